"""A real nginx in front of the course's servers, run by the kernel (notebook 06b §2).

nginx is a separate program (the Debian package ``nginx``, installed by ``./course``'s
set-up when it can be). ``start(name, backends, ...)`` writes a configuration of its own
into a fresh folder of the kernel's temporary folder (``scratch``), and runs nginx as a
child process with that folder as its prefix: its pid file, its temporary files and its
logs stay there, nothing is written to ``/etc`` or ``/var``, and no root is needed. It
listens on a free port of 127.0.0.1 and runs in the foreground as one process
(``daemon off``, ``master_process off``), registered like every server of the course
(``processes.py``): stopped with the kernel, or when its name is used again.

The configuration says how requests are shared between the ``backends`` (an upstream
group): round robin (nginx's default), ``ip_hash`` (by the client's address: a sticky
session), and whether the WebSocket upgrade headers are passed on (``upgrade``). Each
request is logged with the backend that answered it and its status (``log()``).
"""

import re
import shutil
import tempfile
from pathlib import Path

from labsupport.lab import processes, scratch
from labsupport.lab.ports import free_port
from labsupport.lab.servers import HOST

READY = re.compile(r"start worker process|using the \"\w+\" event method")
LOG_FORMAT = "$remote_addr $upstream_addr $status $request_method $uri"


def program():
    """The nginx program's path, or None where it is not installed."""
    return shutil.which("nginx") or next(
        (path for path in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(path).exists()),
        None,
    )


def config(prefix, port, backends, balance=None, upgrade=True):
    """The text of an nginx.conf: listen on ``port``, pass /socket.io/ to ``backends``."""
    servers_block = "\n".join(f"        server {backend};" for backend in backends)
    rule = f"        {balance};\n" if balance else ""
    headers = (
        "            proxy_set_header Upgrade $http_upgrade;\n"
        "            proxy_set_header Connection $connection_upgrade;\n"
        if upgrade
        else ""
    )
    temp = "\n".join(
        f"    {kind}_temp_path {prefix}/{kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    # Host: $http_host keeps the port, for Engine.IO compares the Host with the Origin
    return f"""daemon off;
master_process off;
pid {prefix}/nginx.pid;
error_log stderr notice;
events {{
    worker_connections 1024;
}}
http {{
    log_format course '{LOG_FORMAT}';
    access_log {prefix}/access.log course;
{temp}
    upstream course {{
{rule}{servers_block}
    }}
    map $http_upgrade $connection_upgrade {{
        default upgrade;
        ''      close;
    }}
    server {{
        listen {HOST}:{port};
        location /socket.io/ {{
            proxy_pass http://course;
            proxy_http_version 1.1;
{headers}            proxy_set_header Host $http_host;
            proxy_read_timeout 60s;
        }}
    }}
}}
"""


class Proxy(processes.ServerProcess):
    """nginx as a child process: ``url``, ``prefix`` (its folder), ``log()``."""

    def log(self):
        """Every request so far: dicts with client, backend, status, method, path."""
        path = Path(self.prefix) / "access.log"
        if not path.exists():
            return []
        keys = ("client", "backend", "status", "method", "path")
        return [
            dict(zip(keys, line.split(), strict=True)) for line in path.read_text().splitlines()
        ]


def start(name, backends, balance=None, upgrade=True):
    """Start nginx as process ``name`` in front of ``backends`` ("127.0.0.1:PORT", ...)."""
    nginx = program()
    if nginx is None:
        raise RuntimeError("nginx is not installed: run ./course setup, or ask your "
                           "administrator for the Debian/Ubuntu package nginx")  # fmt: skip
    prefix = tempfile.mkdtemp(prefix=f"nginx-{name}-", dir=scratch.FOLDER)
    port = free_port()
    conf = Path(prefix) / "nginx.conf"
    conf.write_text(config(prefix, port, backends, balance, upgrade))
    argv = [nginx, "-p", prefix, "-c", str(conf), "-e", "stderr"]
    processes.registry.replace(name)
    proxy = Proxy(name, argv, timeout=20, ready=READY)
    proxy.prefix, proxy.conf = prefix, conf
    proxy.url = f"http://{HOST}:{port}"
    return processes.registry.register(proxy)
