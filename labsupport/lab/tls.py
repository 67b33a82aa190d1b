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
  (``scratch``), for clients that take a path (``requests``' ``verify=``);
- ``ByteTap``: a relay that keeps the bytes between a client and a server, to read
  the TLS records that cross it.
"""

import asyncio
import ssl
import tempfile
from functools import cache
from pathlib import Path

import trustme

from labsupport.lab import scratch, servers

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


@cache
def ca_file():
    """The CA's certificate, as a PEM file of this kernel's own (written once).

    In a folder of its own: processes that share the kernel's temporary folder (a test
    run's workers) each have their own CA, so one file name for all would mix them up.
    """
    path = Path(tempfile.mkdtemp(prefix="course-ca-", dir=scratch.FOLDER)) / "ca.pem"
    authority().cert_pem.write_to_path(str(path))
    return path


class ByteTap:
    """A TCP relay to ``upstream_port`` that keeps every byte crossing it, as it crossed.

    It sits where a router would, between a client and a server, and sees what any
    machine on the path sees: ``chunks`` is a list of ``(direction, bytes)``, direction
    ``"client"`` (from the client) or ``"server"``, in the order they were read.
    """

    def __init__(self, upstream_port, name="byte-tap"):
        self.upstream_port = upstream_port
        self.chunks = []
        self.relays = set()  # the tasks relaying a connection, until both sides hung up
        self.server = servers.serve_tcp(self._relay, name=name)
        self.name, self.port = name, self.server.port

    async def _relay(self, reader, writer):
        self.relays.add(asyncio.current_task())
        up_reader, up_writer = await asyncio.open_connection(servers.HOST, self.upstream_port)

        async def pump(source, sink, direction):
            try:
                while data := await source.read(65536):
                    self.chunks.append((direction, data))
                    sink.write(data)
                    await sink.drain()
            except (ConnectionError, asyncio.IncompleteReadError):
                pass  # one side hung up abruptly: the relay's part is over
            finally:
                sink.close()

        await asyncio.gather(pump(reader, up_writer, "client"), pump(up_reader, writer, "server"))
        self.relays.discard(asyncio.current_task())

    def received(self, direction):
        """Every byte that went one way, joined."""
        return b"".join(data for side, data in self.chunks if side == direction)

    def stop(self, patience=5):
        """Let the relays finish what the client's goodbye started, then stop the server."""

        async def relayed():
            if self.relays:
                await asyncio.wait(list(self.relays), timeout=patience)

        if self.server.background.thread.is_alive():
            self.server.run(relayed(), timeout=patience + 1)
        self.server.stop()
