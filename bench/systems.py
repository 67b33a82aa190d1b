"""The servers the benchmark compares, as factories for ``python -m labsupport.lab.run_server``.

Each socket.io server answers the same three events as ``node_server.mjs``:

- ``echo`` acknowledges with what it was sent (latency, and CPU per message);
- ``join`` puts the connection in a room, acknowledged;
- ``blast`` ``{"room", "count"}`` emits ``news`` to the room ``count`` times, then
  acknowledges (fan-out: the CPU per delivery);
- ``census`` (Python only) answers, after a garbage collection, how many Engine.IO
  session objects are still in memory and how many blocks Python has allocated: the
  memory test's evidence.

``fast_path`` is ``tuned`` on the prototype of ``fast_socket.py`` (``fast_path_once``:
with its next step); ``raw_ws`` is a bare
aiohttp WebSocket echo: the ceiling with no socket.io at all.
"""

import gc
import os
import sys

import socketio
from aiohttp import web
from engineio.async_socket import AsyncSocket

# The tuned server lives in the production layer, guarded like every course server
# (queue_systems.py imports OrjsonText and decline_compression from here).
from labsupport.production.tuned import OrjsonText, decline_compression, tuned_app, tuned_server  # noqa: F401


def add_handlers(sio):
    @sio.event
    async def echo(sid, data):
        return data

    @sio.event
    async def join(sid, room):
        await sio.enter_room(sid, room)
        return room

    @sio.event
    async def blast(sid, order):
        for n in range(order["count"]):
            await sio.emit("news", n, to=order["room"])
        return order["count"]

    @sio.event
    async def census(sid):
        """Engine.IO session objects still in memory, after a garbage collection.

        For the memory test: a closed session is only freed once nothing refers to
        it any more, which can be later than the disconnection (see the test).
        """
        gc.collect()
        sessions = sum(isinstance(o, AsyncSocket) for o in gc.get_objects())
        return {"sessions": sessions, "blocks": sys.getallocatedblocks()}

    return sio


def plain():
    """python-socketio as it comes: the default JSON module and manager.

    ``PING_INTERVAL`` and ``PING_TIMEOUT`` in the environment set its ping settings
    (whole seconds; the defaults are python-socketio's, 25 and 20).
    """
    ping = {"ping_interval": int(os.environ.get("PING_INTERVAL", 25)),
            "ping_timeout": int(os.environ.get("PING_TIMEOUT", 20))}  # fmt: skip
    return add_handlers(socketio.AsyncServer(async_mode="aiohttp", **ping))


def tuned():
    """The course's recommended configuration (``labsupport/production/tuned.py``:
    orjson, the fan-out manager, handlers in the connection's task, no compression),
    guarded; run it on uvloop (``serve_uvloop.py``)."""
    return tuned_app(add_handlers(tuned_server()))


def fast_path():
    """The course's configuration on the fast path of ``fast_socket.py`` (python-engineio's
    WebSocket loop with fewer task hops and timers); run it on uvloop too."""
    from fast_socket import FastPathServer

    return tuned_app(add_handlers(tuned_server(FastPathServer)))


def fast_path_once():
    """``fast_path`` with its next step: each handler decided once to be a coroutine
    function or not, not on every event (``fast_socket.py``, ``decided_once``)."""
    from fast_socket import FastPathServer

    return tuned_app(add_handlers(tuned_server(FastPathServer, decided_once=True)))


def raw_ws():
    async def websocket(request):
        ws = web.WebSocketResponse(compress=False)
        await ws.prepare(request)
        async for message in ws:
            await ws.send_str(message.data)
        return ws

    app = web.Application()
    app.router.add_get("/ws", websocket)
    return app
