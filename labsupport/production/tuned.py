"""The tuned configuration of the course's socket.io server, for the benchmark.

Not a lesson: notebook 08 and ``bench/systems.py`` (``tuned``) use it, and
``bench/queue_systems.py`` borrows its JSON and its middleware. Each setting was
measured to matter (README, "Measuring"):

- orjson for JSON (``OrjsonText``);
- a manager whose broadcasts send to each recipient in turn (``FanOutManager``);
- handlers run in the connection's own task (``async_handlers=False``: one task less
  per event, and events handled in order, as notebook 03 shows);
- no WebSocket compression (``decline_compression``).

``tuned_app(sio)`` serves it guarded like every other server the course starts
(``guard.py``): the specification's rules hold in the benchmark too.
"""

import orjson
import socketio
from aiohttp import web
from engineio import packet as eio_packet
from socketio import packet

from labsupport.lab import guard


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


def tuned_server(server_class=socketio.AsyncServer, **options):
    """A python-socketio ``AsyncServer`` with the tuned settings; ``options`` add to them.

    ``server_class`` is the benchmark's hook for a subclass (``bench/fast_socket.py``).
    """
    return server_class(async_mode="aiohttp", json=OrjsonText, client_manager=FanOutManager(),
                        async_handlers=False, **options)  # fmt: skip


def tuned_app(sio):
    """Serve ``sio`` as an aiohttp app that declines compression, guarded."""
    return guard.attach(sio, web.Application(middlewares=[decline_compression]))
