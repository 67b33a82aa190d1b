"""The servers the benchmark compares, as factories for ``python -m labsupport.serve``.

Each socket.io server answers the same three events as ``node_server.mjs``:

- ``echo`` acknowledges with what it was sent (latency, and CPU per message);
- ``join`` puts the connection in a room, acknowledged;
- ``blast`` ``{"room", "count"}`` emits ``news`` to the room ``count`` times, then
  acknowledges (fan-out: the CPU per delivery);
- ``census`` (Python only) answers, after a garbage collection, how many Engine.IO
  session objects are still in memory and how many blocks Python has allocated: the
  memory test's evidence.

``raw_ws`` is a bare aiohttp WebSocket echo: the ceiling with no socket.io at all.
"""

import gc
import os
import sys

import orjson
import socketio
from aiohttp import web
from engineio import packet as eio_packet
from engineio.async_socket import AsyncSocket
from socketio import packet


class OrjsonText:
    """orjson behind the ``json`` module's names (python-socketio's ``json`` option).

    orjson's ``dumps`` returns bytes; socket.io text packets need str.
    """

    @staticmethod
    def dumps(obj, **_options):
        return orjson.dumps(obj).decode()

    @staticmethod
    def loads(text, **_options):
        return orjson.loads(text)


@web.middleware
async def decline_compression(request, handler):
    """Take the client's offer of compression out of the request, so aiohttp declines it.

    Browsers and Node's ``ws`` offer permessage-deflate on every WebSocket; aiohttp
    accepts, then compresses messages of a few dozen bytes and keeps zlib state for
    every connection (about 85 KB each, measured). Node's socket.io declines by
    default. Declining costs nothing: compression is an offer, not a requirement.
    """
    if "Sec-WebSocket-Extensions" in request.headers:
        headers = request.headers.copy()
        del headers["Sec-WebSocket-Extensions"]
        request = request.clone(headers=headers)
    return await handler(request)


class FanOutManager(socketio.AsyncManager):
    """A manager whose broadcasts send to each recipient in turn, with no task each.

    python-socketio's manager encodes a broadcast once, then starts one asyncio task
    per recipient and waits for them all. Handing a packet to a connection's send
    queue never waits for the network, so a plain loop does the same work without
    creating (and scheduling) hundreds of tasks. Broadcasts with a callback, which
    need a packet per recipient, are left to python-socketio.
    """

    async def emit(self, event, data, namespace, room=None, skip_sid=None, callback=None,
                   to=None, **kwargs):  # fmt: skip
        if callback is not None or namespace not in self.rooms:
            return await super().emit(event, data, namespace, room, skip_sid, callback, to,
                                      **kwargs)  # fmt: skip
        args = list(data) if isinstance(data, tuple) else [] if data is None else [data]
        skip = skip_sid if isinstance(skip_sid, list) else [skip_sid]
        encoded = self.server.packet_class(packet.EVENT, namespace=namespace,
                                           data=[event, *args]).encode()  # fmt: skip
        frames = [eio_packet.Packet(eio_packet.MESSAGE, part)
                  for part in (encoded if isinstance(encoded, list) else [encoded])]  # fmt: skip
        for sid, eio_sid in self.get_participants(namespace, to or room):
            if sid not in skip:
                for frame in frames:
                    await self.server._send_eio_packet(eio_sid, frame)


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
    """The course's recommended configuration; run it on uvloop (``serve_uvloop.py``).

    orjson for JSON; the fan-out manager; handlers run in the connection's own task
    (``async_handlers=False``: one task less per event, in order, as notebook 03 shows);
    and no compression.
    """
    sio = socketio.AsyncServer(async_mode="aiohttp", json=OrjsonText,
                               client_manager=FanOutManager(), async_handlers=False)  # fmt: skip
    app = web.Application(middlewares=[decline_compression])
    add_handlers(sio).attach(app)
    return app


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
