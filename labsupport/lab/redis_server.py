"""A real Redis server for notebook 06, started on 127.0.0.1 and stopped with the kernel.

Redis is a separate program (``redis-server``, installed by the README's set-up), so
it runs as a child process like the course's own servers (``processes.py``): named
in the registry, killed if the kernel dies, and ready when it prints::

    Ready to accept connections

Each server keeps its data in a folder of its own under one temporary folder, which
is deleted when the kernel exits. ``durable=True`` (the default) turns on Redis's
append-only file with a write to disk after every command, so ``kill()`` followed
by ``restart()`` brings back every stream entry: that is what a queue needs.
"""

import re
import shutil
import tempfile
import time
from pathlib import Path

import redis

from labsupport.lab import processes
from labsupport.lab.ports import free_port  # a port chosen outside Linux's own range
from labsupport.lab.servers import HOST

READY = re.compile(r"Ready to accept connections")
_data = None  # the TemporaryDirectory every Redis of this kernel keeps its files in


def _folder(name, port):
    global _data
    if _data is None:  # removed automatically when the kernel exits
        _data = tempfile.TemporaryDirectory(prefix="course-redis-")
    folder = Path(_data.name) / f"{name}-{port}"
    folder.mkdir(exist_ok=True)
    return folder


def start(name="redis", port=None, durable=True):
    """Start ``redis-server`` as process ``name``; returns it, with ``.url`` set.

    Started again with the same ``name`` and ``port``, it finds its data again.
    """
    program = shutil.which("redis-server")
    if program is None:
        raise RuntimeError("redis-server is not installed: run the README's set-up command "
                           "(or labsupport.doctor() to see what is missing)")  # fmt: skip
    port = port or free_port()
    argv = [program, "--bind", HOST, "--port", str(port), "--dir", str(_folder(name, port)),
            "--save", "", "--appendonly", "yes" if durable else "no",
            "--appendfsync", "always"]  # fmt: skip
    server = processes.start_process(name, argv, ready=READY)
    server.url = f"redis://{HOST}:{port}"
    server.durable = durable
    return server


def restart(server):
    """Start ``server`` again, on its port and with its data (after ``kill()``, say)."""
    return start(server.name, server.port, server.durable)


def wait_for_subscribers(url, channel, count, timeout=10):
    """Wait until ``count`` connections listen on ``channel`` (PUBSUB NUMSUB).

    Redis pub/sub keeps nothing: a message published before a server has subscribed
    is lost for that server. A socket.io server subscribes a moment after it starts,
    so before a cross-server broadcast we wait for every server to be listening.
    """
    client = redis.Redis.from_url(url)
    deadline = time.monotonic() + timeout
    try:
        while (listening := dict(client.pubsub_numsub(channel))[channel.encode()]) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{listening} of {count} servers subscribed to {channel!r}")
            time.sleep(0.02)
    finally:
        client.close()
    return listening
