"""The course's socket.io server, held to the Engine.IO v4 and Socket.IO v5 specifications.

Not a lesson, but the bench every lesson's server stands on: notebook 03 shows why it
exists (a burst of 40 events over polling, of which plain python-socketio keeps 1 and
answers 200), notebook 08 shows the table of
what it changes. Every server the course starts goes through it: ``servers.
serve_socketio`` (the notebooks), ``run_server.as_app`` (the programs), ``tuned.py``
(the benchmark) and the queue hubs, which call ``close_half_open``.
``tests/test_spec_engineio.py`` and
``tests/test_spec_socketio.py`` check each rule, against Node's server too.

=============================================  ====================================
The rule (what Node's server does)              How, here
=============================================  ====================================
Every packet of a polling POST is taken, up     the POST is handed on in slices of
to ``maxPayload`` bytes; beyond: 413 (the        at most 16 packets (python-engineio's
client closes on it)                             limit, which it answers with 200)
A POST is answered ``ok``                       the body of python-engineio's ``OK``
A packet that is not Engine.IO: 400, closed     each packet is decoded before
Over a WebSocket, a packet of a type Engine.IO  the session's ``receive`` checks the
lacks (``9``) or a PING from the client: closed  type first (``known_packets_only``)
A Socket.IO packet that is invalid: closed      a strict packet class (``StrictPacket``)
No ``transport``, or a method other than GET,   answered here, before python-engineio
POST, OPTIONS: 400                              (which takes polling, and says 405)
A request after an unanswered ping's timeout:   ``ping_overdue``: from the handshake
400, the session closed                         or the last PONG, as the client counts
A CLOSE from a polling client: the GET under    ``receive`` queues a NOOP, then the end
way is answered 200 with a NOOP ``6``
A GET during an upgrade: NOOP at the next      held until the upgrade ends, at most
check (100 ms), or 400 once upgraded            ``UPGRADE_CHECK`` s (``upgrade_settled``)
A second GET (or POST) while one is under way:  the requests under way are counted
400, and the session closed
No CONNECT within ``connect_timeout``: closed   one sweeper task per server
No upgrade within ``upgrade_timeout``: its     a timer per upgrade request
WebSocket closed, the session keeps polling
An upgrading session that closes ends its       the session's ``close`` cancels the
WebSocket (its ping timeout, say)               upgrade's task
After the upgrade, no NOOP over the WebSocket   the session's ``poll`` leaves them out
A second WebSocket for an upgraded (or          accepted and closed at once
upgrading) session
CONNECT_ERROR carries ``{"message": ...}``;     ``StrictPacket.encode``
an unknown namespace's is "Invalid namespace"
``pingInterval`` advertised in exact ms         the queued handshake is corrected
=============================================  ====================================

Where it reaches into python-engineio / python-socketio (the ``test_reach_*`` tests of
both spec test files fail loudly if an upgrade moves one): ``sio.packet_class``;
``sio.eio.handlers``; ``sio.eio.sockets`` and a session's ``close(wait=False)``,
``queue`` (``None`` ends its transport; the handshake is its only packet when the
``connect`` handler runs), ``upgraded``, ``upgrading``, ``last_ping`` (set while a ping
waits for its PONG), and its instance attributes ``receive`` (each packet of either
transport goes through it), ``poll`` (the WebSocket writer takes its packets from it)
and ``close`` (every way a session ends calls it);
``engineio.payload.Payload.max_decode_packets``; the aiohttp driver reading a POST body
with ``request.content.read``; the route handler being the Engine.IO server's bound
``handle_request``; python-engineio's POST answer ``OK``; python-socketio's refusal of
an unknown namespace, the bare string ``Unable to connect``.

One module of about 500 lines, for a reason: every rule in the table patches the same
few objects of one session (its ``receive``, ``poll`` and ``close``), and a reader
checks the table against the code in one file, top to bottom.
"""

import asyncio
import logging
import time

import engineio
import socketio
from aiohttp import web
from engineio.packet import CLOSE as EIO_CLOSE
from engineio.packet import NOOP as EIO_NOOP
from engineio.packet import OPEN as EIO_OPEN
from engineio.packet import PING as EIO_PING
from engineio.packet import PONG as EIO_PONG
from engineio.packet import Packet as EioPacket
from engineio.packet import packet_names as EIO_TYPES
from engineio.payload import Payload
from socketio import packet

CONNECT_TIMEOUT = 45  # seconds, Node's connectTimeout; a real client needs milliseconds
UPGRADE_TIMEOUT = 10  # seconds, Node's upgradeTimeout
UPGRADE_CHECK = 0.1  # seconds, how often Node ends a GET with a NOOP during an upgrade
FROM_CLIENT = set("134")  # Engine.IO types a polling client sends: close, pong, message
RESERVED = {"connect", "connect_error", "disconnect", "disconnecting", "newListener",
            "removeListener"}  # fmt: skip
NO_NAMESPACE = {"Unable to connect": "Invalid namespace"}  # python-socketio's: Node's
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
                # python-socketio sends a bare string, "Unable to connect" for a namespace
                # it does not have: Node's message for that case is "Invalid namespace"
                message = NO_NAMESPACE.get(self.data, self.data)
                self.data = {"message": message}
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
        self.sio, self.eio = sio, sio.eio
        self.connect_timeout, self.upgrade_timeout = connect_timeout, upgrade_timeout
        self.new_sessions = {}  # eio sid -> when it opened, until it connects a namespace
        self.polling, self.posting = set(), set()  # eio sids with a GET (a POST) under way
        self.heard = {}  # eio sid -> when it opened or last answered a ping (monotonic)
        self.upgrades = {}  # eio sid -> the task serving its WebSocket while it upgrades
        self.sweeper = None
        if not getattr(sio.packet_class, "strict", False):
            sio.packet_class = strict(sio.packet_class)
        self.opened, self.received = sio.eio.handlers["connect"], sio.eio.handlers["message"]
        sio.eio.on("connect", self.on_session)
        sio.eio.on("message", self.on_message)

    async def on_session(self, eio_sid, environ, *args):
        if (session := self.eio.sockets.get(eio_sid)) is not None:
            exact_ping_interval(self.eio, session)
            self.heard[eio_sid] = time.monotonic()
            self.known_packets_only(eio_sid, session)
            self.no_noop_once_upgraded(session)
            self.upgrade_ends_with_session(eio_sid, session)
        result = await self.opened(eio_sid, environ, *args)
        self.new_sessions[eio_sid] = time.monotonic()
        loop = asyncio.get_running_loop()  # a re-served server runs on a new loop
        if self.sweeper is None or self.sweeper.done() or self.sweeper.get_loop() is not loop:
            self.sweeper = loop.create_task(self.sweep())
        return result

    def known_packets_only(self, eio_sid, session):
        """Close a session whose WebSocket sends a packet type Engine.IO v4 lacks, or a PING.

        python-engineio logs "Unknown receive error" and keeps reading; Node closes. (A
        polling POST is checked packet by packet in ``post``.)"""
        receive = session.receive

        async def receive_known(pkt):
            kind = pkt.packet_type
            if kind == EIO_PING or not 0 <= kind < len(EIO_TYPES):  # the server pings, in v4
                return await close_now(self.eio, eio_sid, f"Engine.IO packet type {kind}")
            if kind == EIO_PONG:
                self.heard[eio_sid] = time.monotonic()
            result = await receive(pkt)
            if kind == EIO_CLOSE and not session.upgraded:  # a CLOSE from a polling client
                session.queue.put_nowait(eio_packet(EIO_NOOP))  # ends the GET under way
                session.queue.put_nowait(None)  # then nothing more
            return result

        session.receive = receive_known

    @staticmethod
    def no_noop_once_upgraded(session):
        """Once upgraded, no NOOP goes over the WebSocket: it only ends a GET poll.

        python-engineio queues one after ``3probe`` to end the poll under way; when no
        poll was waiting, its WebSocket writer sent it as the first frame after the
        upgrade, where a client expects the next message (Node never sends it there).
        The writer takes its packets from the session's ``poll``, left empty only when
        the session ends."""
        poll = session.poll

        async def poll_without_noop():
            while True:
                packets = await poll()
                if not session.upgraded or not packets:
                    return packets
                if kept := [p for p in packets if p.packet_type != EIO_NOOP]:
                    return kept

        session.poll = poll_without_noop

    def upgrade_ends_with_session(self, eio_sid, session):
        """A session that closes (its ping timeout, say) ends its unfinished upgrade.

        python-engineio waits for the ``5`` with no limit of its own; Node ends the
        upgrading WebSocket with its session (in 0.5 s with the suites' 300 ms and 200 ms
        pings, unanswered while the client neither polls nor upgrades)."""
        close = session.close

        async def close_and_end_upgrade(*args, **kwargs):
            result = await close(*args, **kwargs)
            self.heard.pop(eio_sid, None)
            task = self.upgrades.get(eio_sid)
            if task is not None and not session.upgraded and task is not asyncio.current_task():
                task.cancel()
            return result

        session.close = close_and_end_upgrade

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
        if request.method not in ("GET", "POST", "OPTIONS"):
            return web.json_response("invalid method", status=400)  # python-engineio: 405
        if request.method != "OPTIONS" and "transport" not in request.query:
            return web.json_response("no transport", status=400)  # python-engineio: polling
        sid = request.query.get("sid")
        session = self.eio.sockets.get(sid) if sid else None
        if session is None or request.method == "OPTIONS":
            return await handler(request)  # a handshake, or python-engineio's own 400
        if self.ping_overdue(sid, session):
            return await self.refuse(sid, 400, "no answer to the ping in time")
        if request.method == "POST":
            return await self.one_at_a_time(
                self.posting, "POST", sid, self.post(request, handler, sid)
            )
        if request.headers.get("Upgrade", "").lower() == "websocket":
            if session.upgraded or session.upgrading:
                return await accept_and_close(request)  # as Node: python-engineio says 400
            return await self.upgrade(request, handler, session)
        if sid in self.upgrades:
            await self.upgrade_settled(session)
        return await self.one_at_a_time(self.polling, "GET poll", sid, handler(request))

    @staticmethod
    async def upgrade_settled(session, most=UPGRADE_CHECK):
        """Hold a GET that arrives while the session upgrades, up to ``most`` s.

        A client pauses its polling before it upgrades; a GET sent meanwhile races the
        WebSocket's ``5``. Node answers such a GET at its next upgrade check (every
        100 ms) with a NOOP, or with 400 once the session has upgraded; python-engineio
        answered it at once. Held here for as long, it gets the same answers."""
        loop = asyncio.get_running_loop()
        until = loop.time() + most
        while session.upgrading and not session.upgraded and loop.time() < until:
            await asyncio.sleep(most / 10)

    def ping_overdue(self, sid, session):
        """True once the client has left a ping unanswered past ``pingTimeout``.

        Counted from when the ping was due (the handshake or the last PONG, plus
        ``pingInterval``), as the client counts it. python-engineio checks only when it
        sends, and from its service task now and then: a GET arriving after the timeout
        was answered 200, with the overdue PING in it."""
        heard = self.heard.get(sid)
        window = self.eio.ping_interval + self.eio.ping_timeout
        return (
            session.last_ping is not None
            and heard is not None
            and (time.monotonic() - heard > window)
        )

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
        if response.body == b"OK":
            response.body = b"ok"  # Engine.IO's answer to a POST (python-engineio: "OK")
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
        self.upgrades[session.sid] = task
        try:
            return await handler(request)
        except asyncio.CancelledError:
            if late:
                log.info("session %s: no upgrade in time", session.sid)
                session.upgrading = False  # polling answers again (it sent NOOPs meanwhile)
            raise
        finally:
            timer.cancel()
            self.upgrades.pop(session.sid, None)


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


def eio_packet(kind, data=None):
    return EioPacket(kind, data)


def exact_ping_interval(eio, session):
    """Advertise ``pingInterval`` in exact milliseconds, as Node does.

    python-engineio advertises ``int(interval + grace) * 1000``: 0.3 s became 0 ms (and
    1.5 s 1000 ms) while it pinged every 300 ms. Its handshake is the first packet of
    the new session's queue when the ``connect`` handler runs: it is corrected there."""
    if session.queue.qsize() != 1:
        return
    handshake = session.queue.get_nowait()
    session.queue.task_done()
    if handshake.packet_type == EIO_OPEN and isinstance(handshake.data, dict):
        interval = eio.ping_interval + eio.ping_interval_grace_period
        handshake.data["pingInterval"] = round(interval * 1000)
    session.queue.put_nowait(handshake)


async def accept_and_close(request):
    """A WebSocket accepted and closed at once (a second one for an upgraded session)."""
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    await ws.close()
    return ws


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


def engineio_of(request):
    """The Engine.IO server whose path ``request`` is on, or None.

    A method aiohttp has no route for (PUT, say) matches no handler: aiohttp answers 405
    itself, so the path decides."""
    eio = getattr(request.match_info.handler, "__self__", None)
    if isinstance(eio, engineio.AsyncServer):
        return eio
    refused = getattr(request.match_info, "http_exception", None)
    if refused is None or refused.status != 405:
        return None
    for route in request.app.router.routes():
        eio = getattr(route.handler, "__self__", None)
        path = route.resource.canonical if route.resource is not None else None
        if isinstance(eio, engineio.AsyncServer) and path.rstrip("/") == request.path.rstrip("/"):
            return eio
    return None


@web.middleware
async def spec_guard(request, handler):
    """Send Engine.IO requests through their server's ``Guard``; others pass."""
    eio = engineio_of(request)
    if eio is None:
        return await handler(request)
    return await guard(server_of(eio)).handle(request, handler)


def guard_app(app, **timeouts):
    """Guard every socket.io server attached to the aiohttp ``app`` (before it starts)."""
    for route in app.router.routes():  # guarded now, before the first request
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


def close_half_open(sio, timeout=CONNECT_TIMEOUT):
    """Guard ``sio``: a session with no namespace connected after ``timeout`` s is closed.

    The queue hubs of notebooks 05-07 call it: a half-open session would hold a queue's
    place for a client that never says who it is."""
    guard(sio, connect_timeout=timeout)
    return sio
