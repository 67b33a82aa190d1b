"""TLS for the course's servers: a certificate authority and a server certificate per kernel.

Notebook 06b §1. ``trustme`` makes a certificate authority (CA) that exists only in this
kernel, and signs with it a certificate for ``localhost`` and ``127.0.0.1``. Nothing is
installed in the system's trust store: a client trusts this CA only when it is handed
the CA's certificate (``ca_file()``), so every other client refuses the server, as it
should refuse any server whose certificate no authority it trusts has signed.

- ``server_context()``: an ``ssl.SSLContext`` holding the server's certificate and key,
  for ``servers.serve_socketio(sio, ssl=...)`` (aiohttp then serves https and wss);
- ``client_context()``: an ``ssl.SSLContext`` that trusts this CA (and no other);
- ``ca_file()``: the CA's certificate as a PEM file in the kernel's temporary folder
  (``scratch``), for clients that take a path (``requests``' ``verify=``).
"""

import ssl
from functools import cache
from pathlib import Path

import trustme

from .. import scratch

NAMES = ("localhost", "127.0.0.1")  # what the server's certificate is valid for


@cache
def authority():
    """This kernel's certificate authority (made once, kept in memory)."""
    return trustme.CA(organization_name="Sockets to Queues course")


@cache
def server_certificate():
    """The server's certificate, signed by ``authority()``, for ``NAMES``."""
    return authority().issue_cert(*NAMES)


def server_context():
    """An ``ssl.SSLContext`` for a server: its certificate chain and private key."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_certificate().configure_cert(context)
    return context


def client_context():
    """An ``ssl.SSLContext`` for a client that trusts this kernel's CA, and checks names."""
    context = ssl.create_default_context()  # verifies the chain and the host name
    context.load_verify_locations(cafile=str(ca_file()))
    return context


def ca_file():
    """The CA's certificate, as a PEM file (written once per kernel)."""
    path = Path(scratch.FOLDER) / "course-ca.pem"
    if not path.exists():
        authority().cert_pem.write_to_path(str(path))
    return path
