"""Run a course server as a program of its own: ``python -m labsupport.serve MODULE:FACTORY``.

``FACTORY`` is a function that returns either a python-socketio ``AsyncServer`` or an
aiohttp ``web.Application``. This program serves it on 127.0.0.1 and prints::

    listening on http://127.0.0.1:PORT

once it accepts connections: ``processes.start_process`` waits for that line. It exits
cleanly on SIGTERM or Ctrl-C. Try it in a terminal::

    python -m labsupport.serve labsupport.examples:echo_server --port 8000
"""

import argparse
import asyncio
import importlib
import signal

import socketio
from aiohttp import web

from .guard import close_half_open
from .servers import HOST

# Seconds open connections get to finish when the program is stopped. Less than a
# server in the kernel gets (servers.SHUTDOWN_TIMEOUT): a stopped program is going away,
# like a crashed one, and notebooks stop and restart these often.
SHUTDOWN_TIMEOUT = 0.1


def load(target):
    """Import ``"package.module:function"`` and call the function to build the server."""
    module_name, _, function_name = target.partition(":")
    if not function_name:
        raise SystemExit(f"expected MODULE:FUNCTION, got {target!r}")
    factory = getattr(importlib.import_module(module_name), function_name)
    return factory()


def as_app(server):
    """Wrap a socket.io server in an aiohttp app; pass an aiohttp app through."""
    if isinstance(server, socketio.AsyncServer):
        close_half_open(server)  # guard.py: a session that never connects is closed
        app = web.Application()
        server.attach(app)
        return app
    return server


async def serve(app, port):
    """Serve ``app`` until SIGTERM/SIGINT, announcing the URL once listening."""
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT)
    await runner.setup()
    site = web.TCPSite(runner, HOST, port, reuse_address=True)
    await site.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):  # before the ready line: a SIGTERM sent
        loop.add_signal_handler(sig, stop.set)  # the moment it is read still stops cleanly
    print(f"listening on http://{HOST}:{runner.addresses[0][1]}", flush=True)
    await stop.wait()
    await runner.cleanup()


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("target", help="MODULE:FUNCTION returning an AsyncServer or an aiohttp app")
    parser.add_argument("--port", type=int, default=0, help="0 (the default) picks a free port")
    args = parser.parse_args(argv)
    asyncio.run(serve(as_app(load(args.target)), args.port))


if __name__ == "__main__":
    main()
