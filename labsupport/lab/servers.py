"""Real servers on 127.0.0.1, running in the background of the notebook.

Notebook 00 builds the idea in cells (section 4) before it uses this module.

Every notebook of the course uses this module, so here is the whole idea:

1. Each server gets its own thread with its own asyncio event loop
   (``background.BackgroundLoop``), so it keeps serving while your cell blocks.
2. It binds 127.0.0.1 (reachable from this machine only) on port 0, which asks the
   operating system for any free port; ``server.url`` tells you which one you got.
3. It is started under a name (``registry.py``): running the same cell again stops the
   old server before starting the new one, and kernel exit stops them all.
4. It stops quickly even with clients connected: aiohttp would wait up to 60 s for
   open connections to finish; we give them ``SHUTDOWN_TIMEOUT`` seconds.

Four kinds of server, all returning a ``Server``:

- ``serve_app(app)``: any aiohttp web application (HTTP, WebSocket);
- ``serve_socketio(sio)``: a python-socketio ``AsyncServer``, attached to a new aiohttp app;
- ``serve_tcp(handler)``: a raw TCP server, ``handler(reader, writer)`` per connection;
- ``serve_udp(handler)``: a raw UDP server, ``handler(data, addr)`` per datagram
  (``serve_datagrams(protocol)`` when the server needs to send on its own, as a relay does).

Servers in separate OS processes are in ``processes.py``.
"""

import asyncio

from aiohttp import web

from labsupport.lab import guard, registry
from labsupport.lab.background import BackgroundLoop

HOST = "127.0.0.1"
SHUTDOWN_TIMEOUT = 0.5  # seconds open connections get to finish when a server stops


class Server:
    """A running server: its ``name``, ``url``, ``port``, and how to talk to its loop."""

    def __init__(self, name, scheme, background):
        self.name = name
        self.scheme = scheme
        self.background = background
        self.port = None
        self._closers = []  # coroutine functions that shut the server down, in order

    @property
    def url(self):
        return f"{self.scheme}://{HOST}:{self.port}"

    def run(self, coro, timeout=10):
        """Run ``coro`` on the server's own loop and return its result.

        Use it to make the server act from a cell, e.g. ``srv.run(sio.emit("news", 1))``:
        the server's objects belong to its loop, so their coroutines must run there.
        """
        return self.background.run(coro, timeout)

    async def arun(self, coro):
        """``run()`` for async code: ``await srv.arun(sio.emit("news", 1))``."""
        return await self.background.arun(coro)

    def stop(self):
        """Close the server, its connections, its loop and its thread. Safe to call twice."""
        registry.forget(self.name, self)
        if not self.background.thread.is_alive():
            return
        try:
            self.run(self._close(), timeout=SHUTDOWN_TIMEOUT + 5)
        finally:
            self.background.close()

    async def _close(self):
        """Run every closer, even if one fails, so the port is always released."""
        errors = []
        for closer in self._closers:
            try:
                await closer()
            except Exception as exc:
                errors.append(exc)
        if errors:
            raise errors[0]

    def __repr__(self):
        state = "running" if self.background.thread.is_alive() else "stopped"
        return f"<Server {self.name!r} {state} at {self.url}>"


def _start(name, scheme, opener):
    """Stop any server called ``name``, then open a new one with ``opener(server)``."""
    registry.replace(name)
    server = Server(name, scheme, BackgroundLoop(name))
    try:
        server.run(opener(server))
    except BaseException:
        server.background.close()
        raise
    return registry.register(server)


def serve_app(app, name="app", port=0, ssl=None):
    """Serve an aiohttp ``web.Application`` at ``http://127.0.0.1:<port>``.

    ``ssl``, an ``ssl.SSLContext`` with the server's certificate, serves ``https``
    instead (notebook 06b, ``lab/tls.py``).
    """

    async def open_(server):
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT)
        await runner.setup()
        site = web.TCPSite(runner, HOST, port, reuse_address=True, ssl_context=ssl)
        await site.start()
        server.port = runner.addresses[0][1]
        server._closers.append(runner.cleanup)

    return _start(name, "https" if ssl else "http", open_)


def serve_socketio(sio, name="socketio", port=0, app=None, ssl=None):
    """Attach the socket.io server ``sio`` to an aiohttp app and serve it.

    ``app`` lets you add your own routes (a web page, say) beside ``/socket.io/``.
    On stop, ``sio.shutdown()`` ends socket.io's background tasks before the web server
    closes, as python-socketio asks. Connected clients are not told goodbye: their
    connections simply drop, as they would if the server crashed, so they try to
    reconnect (and get a new session id if a server is there again).
    """
    app = guard.attach(sio, app or web.Application())  # the specification's rules: guard.py
    server = serve_app(app, name=name, port=port, ssl=ssl)  # ssl: https and wss (serve_app)

    async def shut_down():
        # Each client's disconnect is handled here, as the server sees a crash's:
        # "transport close", and no goodbye sent. Left to the web server's shutdown, a
        # busy machine can end the loop before Engine.IO has noticed (and told `sio`).
        for session in list(sio.eio.sockets.values()):
            await session.close(wait=False, abort=True, reason=sio.eio.reason.TRANSPORT_CLOSE)
        # Engine.IO starts its background task (pings, time-outs) once, and its
        # shutdown() fails if called again. Re-arm it, so that re-running a cell can
        # serve the same `sio` again with all of its machinery.
        if sio.eio.service_task_handle is not None:
            await sio.shutdown()
        sio.eio.start_service_task = True

    server._closers.insert(0, shut_down)
    return server


def serve_tcp(handler, name="tcp", port=0):
    """Serve raw TCP: ``await handler(reader, writer)`` runs for each new connection."""
    writers = set()

    async def tracked(reader, writer):
        writers.add(writer)
        try:
            await handler(reader, writer)
        finally:
            writers.discard(writer)
            writer.close()

    async def open_(server):
        tcp = await asyncio.start_server(tracked, HOST, port, reuse_address=True)
        server.port = tcp.sockets[0].getsockname()[1]

        async def close():
            tcp.close()
            for writer in list(writers):  # hang up on clients still connected
                writer.close()
            await tcp.wait_closed()

        server._closers.append(close)

    return _start(name, "tcp", open_)


class _Datagrams(asyncio.DatagramProtocol):
    """Calls ``handler(data, addr)`` per datagram; sends back whatever it returns."""

    def __init__(self, handler):
        self.handler = handler

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        reply = self.handler(data, addr)
        if reply is not None:
            self.transport.sendto(reply, addr)


def serve_datagrams(protocol, name="udp", port=0):
    """Serve UDP with an ``asyncio.DatagramProtocol`` object; ``server.protocol`` is it."""

    async def open_(server):
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: protocol, local_addr=(HOST, port)
        )
        server.port = transport.get_extra_info("sockname")[1]
        server.protocol = protocol

        async def close():
            transport.close()

        server._closers.append(close)

    return _start(name, "udp", open_)


def serve_udp(handler, name="udp", port=0):
    """Serve raw UDP: ``handler(data, addr)`` runs per datagram; a returned bytes is the reply."""
    return serve_datagrams(_Datagrams(handler), name=name, port=port)


def stop(name):
    """Stop the server (or process) called ``name``, if it is running."""
    registry.replace(name)


def stop_all():
    """Stop every server and process the course started in this kernel."""
    return registry.stop_all()


def running():
    """The names of the servers and processes running now."""
    return registry.running()
