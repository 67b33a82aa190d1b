"""The course's socket.io server, held to the Engine.IO v4 and Socket.IO v5 specifications.

Not a lesson: notebook 03 shows why it exists (a burst of 40 events over polling, of
which plain python-socketio keeps 1 and answers 200), notebook 08 shows the table of
what it changes. Every server the course starts goes through it: ``servers.
serve_socketio`` (the notebooks), ``run_server.as_app`` (the programs), ``tuned.py``
(the benchmark) and the queue hubs. ``tests/test_spec_engineio.py`` and
``tests/test_spec_socketio.py`` check each rule, against Node's server too.

=============================================  ====================================
The rule (what Node's server does)              How, here
=============================================  ====================================
Every packet of a polling POST is taken, up     the POST is handed on in slices of
to ``maxPayload`` bytes; beyond: 413 (the        at most 16 packets (python-engineio's
client closes on it)                             limit, which it answers with 200)
A packet that is not Engine.IO: 400, closed     each packet is decoded before
Over a WebSocket, a packet of a type Engine.IO  the session's ``receive`` checks the
lacks (``9``) or a PING from the client: closed  type first (``known_packets_only``)
A Socket.IO packet that is invalid: closed      a strict packet class (``StrictPacket``)
A second GET (or POST) while one is under way:  the requests under way are counted
400, and the session closed
No CONNECT within ``connect_timeout``: closed   one sweeper task per server
No upgrade within ``upgrade_timeout``: its     a timer per upgrade request
WebSocket closed, the session keeps polling
A polling client's CLOSE: the GET poll that     ``known_packets_only`` queues CLOSE
waits is answered at once, with CLOSE            (python-engineio leaves it waiting
                                                 ``pingInterval + pingTimeout``)
CONNECT_ERROR carries ``{"message": ...}``      ``StrictPacket.encode``
``pingInterval`` advertised exactly             sub-second values refused (ValueError)
=============================================  ====================================

Where it reaches into python-engineio / python-socketio (the ``test_reach_*`` tests of
both spec test files fail loudly if an upgrade moves one): ``sio.packet_class``;
``sio.eio.handlers``; ``sio.eio.sockets`` and a session's ``close(wait=False)``,
``queue`` (``None`` ends its transport), ``upgraded``, ``upgrading``, ``receive`` (each
frame of its WebSocket goes through it);
``engineio.payload.Payload.max_decode_packets``; the aiohttp driver reading a POST body
with ``request.content.read``; the route handler being the Engine.IO server's bound
``handle_request``.
"""

import asyncio
import logging
import time

import engineio
import socketio
from aiohttp import web
from engineio.packet import CLOSE as EIO_CLOSE
from engineio.packet import PING as EIO_PING
from engineio.packet import Packet as EioPacket
from engineio.packet import packet_names as EIO_TYPES
from engineio.payload import Payload
from socketio import packet

CONNECT_TIMEOUT = 45  # seconds, Node's connectTimeout; a real client needs milliseconds
UPGRADE_TIMEOUT = 10  # seconds, Node's upgradeTimeout
FROM_CLIENT = set("134")  # Engine.IO types a polling client sends: close, pong, message
RESERVED = {"connect", "connect_error", "disconnect", "disconnecting", "newListener",
            "removeListener"}  # fmt: skip
log = logging.getLogger(__name__)


class InvalidPacket(ValueError):
    """A Socket.IO packet the specification does not allow: its session is closed."""


def strict(packet_class):
    """``packet_class`` that refuses invalid packets and sends CONNECT_ERROR as an object."""

    class StrictPacket(packet_class):
        def decode(self, encoded_packet):
            try:
                attachments = super().decode(encoded_packet)
            except Exception as exc:
                raise InvalidPacket(f"{encoded_packet!r:.60}: {exc}") from exc
            if not valid(self.packet_type, self.data):
                raise InvalidPacket(f"{encoded_packet!r:.60}: not a valid payload")
            return attachments

        def encode(self):
            if self.packet_type == packet.CONNECT_ERROR and isinstance(self.data, str):
                self.data = {"message": self.data}  # python-socketio sends a bare string
            return super().encode()

    StrictPacket.strict = True
    return StrictPacket


def valid(kind, data):
    """The payload rules of Socket.IO v5, for a packet a client sent."""
    if kind == packet.CONNECT:
        return data is None or isinstance(data, dict)
    if kind == packet.DISCONNECT:
        return data is None
    if kind in (packet.EVENT, packet.BINARY_EVENT):
        return (isinstance(data, list) and len(data) > 0 and isinstance(data[0], str)
                and data[0] not in RESERVED)  # fmt: skip
    return kind in (packet.ACK, packet.BINARY_ACK) and isinstance(data, list)


async def close_now(eio, sid, why=""):
    """Close an Engine.IO session at once, whatever its transport is doing.

    ``eio.disconnect`` waits until the client has collected the CLOSE packet, which a
    polling client that sends no GET never does: that is why an oversized POST got no
    answer at all. Here the CLOSE is queued, and ``None`` after it ends the transport.
    """
    session = eio.sockets.pop(sid, None)
    if session is None or session.closed:
        return
    log.info("closing session %s: %s", sid, why)
    await session.close(wait=False)  # python-socketio's disconnect handlers run here
    session.queue.put_nowait(None)


class Guard:
    """The rules above for one ``AsyncServer``; ``guard(sio)`` makes or finds it."""

    def __init__(self, sio, connect_timeout=CONNECT_TIMEOUT, upgrade_timeout=UPGRADE_TIMEOUT):
        check_ping_interval(sio.eio)
        self.sio, self.eio = sio, sio.eio
        self.connect_timeout, self.upgrade_timeout = connect_timeout, upgrade_timeout
        self.new_sessions = {}  # eio sid -> when it opened, until it connects a namespace
        self.polling, self.posting = set(), set()  # eio sids with a GET (a POST) under way
        self.sweeper = None
        if not getattr(sio.packet_class, "strict", False):
            sio.packet_class = strict(sio.packet_class)
        self.opened, self.received = sio.eio.handlers["connect"], sio.eio.handlers["message"]
        sio.eio.on("connect", self.on_session)
        sio.eio.on("message", self.on_message)

    async def on_session(self, eio_sid, environ, *args):
        if (session := self.eio.sockets.get(eio_sid)) is not None:
            self.known_packets_only(eio_sid, session)
        result = await self.opened(eio_sid, environ, *args)
        self.new_sessions[eio_sid] = time.monotonic()
        loop = asyncio.get_running_loop()  # a re-served server runs on a new loop
        if self.sweeper is None or self.sweeper.done() or self.sweeper.get_loop() is not loop:
            self.sweeper = loop.create_task(self.sweep())
        return result

    def known_packets_only(self, eio_sid, session):
        """Close a session whose WebSocket sends a packet type Engine.IO v4 lacks, or a PING.

        python-engineio logs "Unknown receive error" and keeps reading; Node closes. (A
        polling POST is checked packet by packet in ``post``.) A polling client's CLOSE
        also answers the GET poll waiting at the server, as Node does: python-engineio
        leaves it waiting, and the client's ``disconnect()`` with it, for up to
        ``pingInterval + pingTimeout`` seconds."""
        receive = session.receive

        async def receive_known(pkt):
            kind = pkt.packet_type
            if kind == EIO_PING or not 0 <= kind < len(EIO_TYPES):  # the server pings, in v4
                return await close_now(self.eio, eio_sid, f"Engine.IO packet type {kind}")
            result = await receive(pkt)
            if kind == EIO_CLOSE and not session.upgraded:
                # The client's disconnect waits for its GET poll to end: answer it now.
                session.queue.put_nowait(EioPacket(EIO_CLOSE))
                session.queue.put_nowait(None)  # then the transport ends
            return result

        session.receive = receive_known

    async def on_message(self, eio_sid, data):
        try:
            await self.received(eio_sid, data)
        except InvalidPacket as bad:
            await close_now(self.eio, eio_sid, str(bad))

    async def sweep(self):
        """Close the sessions that connected to no namespace in ``connect_timeout`` s."""
        while self.new_sessions:
            await asyncio.sleep(min(self.connect_timeout / 4, 1))
            for eio_sid, opened_at in list(self.new_sessions.items()):
                if eio_sid not in self.eio.sockets or self.connected(eio_sid):
                    del self.new_sessions[eio_sid]
                elif time.monotonic() - opened_at > self.connect_timeout:
                    del self.new_sessions[eio_sid]
                    await close_now(self.eio, eio_sid, "no CONNECT in time")

    def connected(self, eio_sid):
        manager = self.sio.manager
        namespaces = {"/", *manager.get_namespaces()}
        return any(manager.sid_from_eio_sid(eio_sid, ns) for ns in namespaces)

    async def handle(self, request, handler):
        """One HTTP request on the Engine.IO path: ``handler`` is python-engineio's."""
        sid = request.query.get("sid")
        session = self.eio.sockets.get(sid) if sid else None
        if session is None or request.method not in ("GET", "POST"):
            return await handler(request)  # a handshake, or python-engineio's own 400
        if request.method == "POST":
            return await self.one_at_a_time(
                self.posting, "POST", sid, self.post(request, handler, sid)
            )
        if request.headers.get("Upgrade", "").lower() == "websocket":
            return await self.upgrade(request, handler, session)
        return await self.one_at_a_time(self.polling, "GET poll", sid, handler(request))

    async def refuse(self, sid, status, why, close=True):
        if close:
            await close_now(self.eio, sid, why)
        return web.json_response(why, status=status)

    async def post(self, request, handler, sid):
        """Every packet of the POST reaches the server, or the client is told."""
        limit = self.eio.max_http_buffer_size
        too_big = f"payload over maxPayload, {limit} bytes"  # the client closes, as with Node
        if (request.content_length or 0) > limit:
            return await self.refuse(sid, 413, too_big, close=False)
        body = await read_at_most(request.content, limit + 1)
        if len(body) > limit:
            return await self.refuse(sid, 413, too_big, close=False)
        parts = decode_payload(body)
        if parts is None:
            return await self.refuse(sid, 400, "invalid Engine.IO packet")
        step = Payload.max_decode_packets  # python-engineio drops a longer payload
        for start in range(0, len(parts), step):
            piece = "\x1e".join(parts[start : start + step]).encode()
            response = await handler(Replayed(request, piece))
            if response.status != 200:
                return response
        return response

    async def one_at_a_time(self, under_way, kind, sid, answer):
        """One GET and one POST at a time per session (Engine.IO v4: else 400, closed)."""
        if sid in under_way:
            answer.close()  # the coroutine that would have answered it never runs
            return await self.refuse(sid, 400, f"a second {kind} while one is under way")
        under_way.add(sid)
        try:
            return await answer
        finally:
            under_way.discard(sid)

    async def upgrade(self, request, handler, session):
        """An upgrade not finished in ``upgrade_timeout`` s: its WebSocket is closed, and
        the session goes on polling (as with Node's ``upgradeTimeout``)."""
        task, late = asyncio.current_task(), []

        def give_up():
            if not session.upgraded:
                late.append(True)
                task.cancel()  # ends python-engineio's wait for the UPGRADE packet

        timer = asyncio.get_running_loop().call_later(self.upgrade_timeout, give_up)
        try:
            return await handler(request)
        except asyncio.CancelledError:
            if late:
                log.info("session %s: no upgrade in time", session.sid)
                session.upgrading = False  # polling answers again (it sent NOOPs meanwhile)
            raise
        finally:
            timer.cancel()


class Replayed:
    """The request, with its body already read: python-engineio reads ``content``."""

    def __init__(self, request, body):
        self._request, self.content = request, _Body(body)

    def __getattr__(self, name):
        return getattr(self._request, name)


class _Body:
    def __init__(self, data):
        self.data = data

    async def read(self, _size=-1):
        return self.data


def decode_payload(body):
    """The packets of a polling POST, or None if one is not a client's Engine.IO packet."""
    try:
        parts = body.decode("utf-8").split("\x1e")
        if all(p[:1] in FROM_CLIENT or EioPacket(encoded_packet=p).binary for p in parts):
            return parts
    except Exception:
        pass
    return None


async def read_at_most(stream, size):
    body = bytearray()
    while len(body) < size and (chunk := await stream.read(size - len(body))):
        body += chunk
    return bytes(body)


def check_ping_interval(eio):
    """python-engineio advertises ``int(interval + grace) * 1000``: refuse what it truncates."""
    interval = eio.ping_interval + eio.ping_interval_grace_period
    if int(interval) != interval:
        raise ValueError(f"ping_interval={interval} s would be advertised as pingInterval "
                         f"{int(interval) * 1000} ms: use whole seconds")  # fmt: skip


def guard(sio, connect_timeout=None, upgrade_timeout=None):
    """The ``Guard`` of ``sio``, made on first use; timeouts given are set on it."""
    if not isinstance(sio, socketio.AsyncServer):
        raise TypeError(f"expected a socketio.AsyncServer, got {type(sio).__name__}")
    found = sio.__dict__.get("course_guard") or Guard(sio)
    sio.course_guard = found
    if connect_timeout is not None:
        found.connect_timeout = connect_timeout
    if upgrade_timeout is not None:
        found.upgrade_timeout = upgrade_timeout
    return found


def server_of(eio):
    """The ``AsyncServer`` whose Engine.IO server is ``eio``: its message handler's owner."""
    owner = eio.handlers["message"].__self__  # python-socketio's bound handler, or ours
    return owner.sio if isinstance(owner, Guard) else owner


@web.middleware
async def spec_guard(request, handler):
    """Send Engine.IO requests through their server's ``Guard``; others pass."""
    eio = getattr(request.match_info.handler, "__self__", None)
    if not isinstance(eio, engineio.AsyncServer):
        return await handler(request)
    return await guard(server_of(eio)).handle(request, handler)


def guard_app(app, **timeouts):
    """Guard every socket.io server attached to the aiohttp ``app`` (before it starts)."""
    for route in app.router.routes():  # guarded now: a bad ping setting fails at once
        eio = getattr(route.handler, "__self__", None)
        if isinstance(eio, engineio.AsyncServer):
            guard(server_of(eio), **timeouts)
    if spec_guard not in app.middlewares:
        app.middlewares.append(spec_guard)  # innermost: it sees python-engineio's answer
    return app


def attach(sio, app=None, **timeouts):
    """``sio.attach(app)``, guarded; returns the app (a new one if none is given)."""
    app = app if app is not None else web.Application()
    guard(sio, **timeouts)
    sio.attach(app)
    return guard_app(app)
