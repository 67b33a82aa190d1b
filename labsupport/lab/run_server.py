"""A course server as a program of its own: ``python -m labsupport.lab.run_server MOD:FACTORY``.

Notebook 00 (section 6) starts its first one; notebooks 05 to 08 kill and restart theirs.

``FACTORY`` is a function that returns either a python-socketio ``AsyncServer`` or an
aiohttp ``web.Application``. This program serves it on 127.0.0.1, every socket.io server
in it guarded like those of the notebooks (``guard.py``; ``--connect-timeout`` and
``--upgrade-timeout`` set its timeouts), and prints::

    listening on http://127.0.0.1:PORT

once it accepts connections: ``processes.start_process`` waits for that line. It exits
cleanly on SIGTERM or Ctrl-C. Try it in a terminal::

    python -m labsupport.lab.run_server labsupport.lab.examples:echo_server --port 8000
"""

import argparse
import asyncio
import importlib
import signal

import socketio
from aiohttp import web

from labsupport.lab import guard
from labsupport.lab.servers import HOST

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


def as_app(server, **timeouts):
    """Wrap a socket.io server in an aiohttp app, guarded (``lab/guard.py``).

    An aiohttp app passes through, with every socket.io server attached to it guarded.
    """
    if isinstance(server, socketio.AsyncServer):
        return guard.attach(server, **timeouts)
    return guard.guard_app(server, **timeouts)


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
    parser.add_argument(
        "--connect-timeout",
        type=float,
        default=None,
        help="close a session with no CONNECT after this many seconds",
    )
    parser.add_argument("--upgrade-timeout", type=float, default=None,
                        help="close a session whose WebSocket upgrade takes longer")  # fmt: skip
    args = parser.parse_args(argv)
    app = as_app(load(args.target), connect_timeout=args.connect_timeout,
                 upgrade_timeout=args.upgrade_timeout)  # fmt: skip
    asyncio.run(serve(app, args.port))


if __name__ == "__main__":
    main()
