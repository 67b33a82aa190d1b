"""Connection state recovery: socket.io's own answer to a short outage, for python-socketio.

socket.io 4.6 added it to the Node server; python-socketio does not have it. Notebook 05
adds it, watches the official client recover with it, and then shows where it stops and
the queue has to take over. The rules, as the Node server and the official client
speak them:

- the CONNECT reply carries ``{"sid": ..., "pid": ...}``: ``pid`` is a private session
  id that only this client learns;
- every event the server sends without an acknowledgement gets an *offset*, a string,
  as its last argument; the client remembers the last one it received;
- when the transport drops (not a goodbye), the server keeps the session: its sid, its
  rooms, the time it left;
- on reconnect the client sends ``{"pid": ..., "offset": ..., ...auth}`` in its CONNECT.
  If the session is still kept (within ``window`` seconds) and the offset is still in
  the server's log of recent packets, the client gets the same sid and rooms back, the
  same pid (so it sets ``recovered``), and every packet after the offset that it would
  have received. Otherwise it is a new session, and what it missed is gone.

One decision differs from Node's default (``skipMiddlewares: true``): a recovered
connection runs the connect handler. In python-socketio that handler is also where a
connection is authenticated, and recovery must not be a way around it.

The python-socketio internals this touches, each wrapped on one server object and named
in ``INTERNALS`` (``tests/test_recovery.py`` fails loudly if an upgrade moves one):
``manager.emit`` (offsets and the log), ``_send_packet`` (the pid in CONNECT),
``_handle_connect`` (restoring), ``_handle_disconnect`` (keeping the session), and
``eio.generate_id`` (for one call, the old sid).
"""

import itertools
import time
from collections import deque
from dataclasses import dataclass, field

from socketio import packet

INTERNALS = ("manager.emit", "_send_packet", "_handle_connect", "_handle_disconnect",
             "eio.generate_id")  # fmt: skip
RECOVERABLE = {"transport close", "transport error", "ping timeout"}  # not a goodbye


@dataclass
class Session:
    """What the server keeps of a socket that dropped: enough to give it back."""

    sid: str
    namespace: str
    rooms: list
    left_at: float = 0.0


@dataclass
class Sent:
    """One event packet in the log: its offset, who it was for, and its data."""

    offset: str
    namespace: str
    to: object  # a room, a sid, a list of them, or None for everyone
    skip: list
    data: list  # [event, *args, offset]
    at: float = field(default=0.0)


class Recovery:
    """Connection state recovery added to one ``socketio.AsyncServer``.

    ``window``: seconds a dropped session is kept; ``max_packets``: the log's length.
    """

    def __init__(self, sio, window=120.0, max_packets=1000, clock=time.monotonic):
        self.sio, self.window, self.clock = sio, window, clock
        self.log = deque(maxlen=max_packets)
        self.pids = {}  # (sid, namespace) -> pid, for connected sockets
        self.kept = {}  # pid -> Session, for dropped ones
        self.offsets = map(str, itertools.count(1))  # "1", "2", ...: strings, as in Node
        self._emit, self._send = sio.manager.emit, sio._send_packet
        self._connect, self._disconnect = sio._handle_connect, sio._handle_disconnect
        sio.manager.emit, sio._send_packet = self.emit, self.send_packet
        sio._handle_connect, sio._handle_disconnect = self.handle_connect, self.handle_disconnect

    async def emit(self, event, data, namespace, room=None, skip_sid=None, callback=None,
                   to=None, **kwargs):  # fmt: skip
        """Every event without an acknowledgement gets the next offset, and is logged."""
        if callback is not None:  # an ack cannot be replayed later: no offset, as in Node
            return await self._emit(event, data, namespace, room=room, skip_sid=skip_sid,
                                    callback=callback, to=to, **kwargs)  # fmt: skip
        args = list(data) if isinstance(data, tuple) else [] if data is None else [data]
        sent = Sent(next(self.offsets), namespace, to or room,
                    skip_sid if isinstance(skip_sid, list) else [skip_sid],
                    [event, *args], self.clock())  # fmt: skip
        sent.data.append(sent.offset)
        self.log.append(sent)
        await self._emit(event, tuple(sent.data[1:]), namespace, to=sent.to, skip_sid=skip_sid,
                         **kwargs)  # fmt: skip

    async def send_packet(self, eio_sid, pkt):
        """A CONNECT reply also carries the socket's private session id."""
        if pkt.packet_type == packet.CONNECT and isinstance(pkt.data, dict):
            key = (pkt.data["sid"], pkt.namespace or "/")
            if key not in self.pids:
                self.pids[key] = self.sio.eio.generate_id()
            pkt.data = {**pkt.data, "pid": self.pids[key]}
        await self._send(eio_sid, pkt)

    async def handle_disconnect(self, eio_sid, namespace, reason=None):
        """Keep a session whose transport dropped; forget one that said goodbye."""
        namespace = namespace or "/"
        sid = self.sio.manager.sid_from_eio_sid(eio_sid, namespace)
        pid = self.pids.pop((sid, namespace), None)
        if pid and reason in RECOVERABLE:
            rooms = [r for r in self.sio.manager.get_rooms(sid, namespace) if r != sid]
            self.kept[pid] = Session(sid, namespace, rooms, self.clock())
        await self._disconnect(eio_sid, namespace, reason)

    async def handle_connect(self, eio_sid, namespace, data):
        """Give a returning client its session back, if it is still kept; else a new one."""
        namespace = namespace or "/"
        data = dict(data) if isinstance(data, dict) else {}
        pid, offset = data.pop("pid", None), data.pop("offset", None)
        session, missed = self.restorable(pid, offset, namespace)
        if session is None:
            return await self._connect(eio_sid, namespace, data or None)
        self.pids[(session.sid, namespace)] = pid
        generate_id = self.sio.eio.generate_id
        self.sio.eio.generate_id = lambda: session.sid  # pre_connect's one call: the old sid
        try:
            await self._connect(eio_sid, namespace, data or None)
        finally:
            self.sio.eio.generate_id = generate_id
        if self.sio.manager.is_connected(session.sid, namespace):
            await self.replay(eio_sid, session, missed)

    def restorable(self, pid, offset, namespace):
        """(the kept session, the packets it missed), or (None, []) if it cannot come back."""
        self.forget_old()
        session = self.kept.pop(pid, None) if isinstance(pid, str) else None
        offsets = [sent.offset for sent in self.log]
        if session is None or session.namespace != namespace or offset not in offsets:
            return None, []
        after = list(self.log)[offsets.index(offset) + 1 :]
        return session, [sent for sent in after if self.was_for(sent, session)]

    def was_for(self, sent, session):
        """Would this socket, in these rooms, have received this packet?"""
        targets = [sent.to] if sent.to is None or isinstance(sent.to, str) else list(sent.to)
        mine = {session.sid, *session.rooms}
        addressed = sent.to is None or any(t in mine for t in targets)
        return sent.namespace == session.namespace and addressed and session.sid not in sent.skip

    async def replay(self, eio_sid, session, missed):
        """Rejoin the rooms, then send what was missed, each with its original offset."""
        for room in session.rooms:
            await self.sio.enter_room(session.sid, room, namespace=session.namespace)
        for sent in missed:
            await self._send(eio_sid, self.sio.packet_class(
                packet.EVENT, namespace=session.namespace, data=sent.data))  # fmt: skip

    def forget_old(self):
        """Sessions and packets older than the window are gone for good."""
        too_old = self.clock() - self.window
        self.kept = {pid: s for pid, s in self.kept.items() if s.left_at >= too_old}
        while self.log and self.log[0].at < too_old:
            self.log.popleft()


class ClientRecovery:
    """The client's half, for a python-socketio ``AsyncClient`` on one namespace.

    It remembers the pid and the last offset, sends both when it connects again
    (``client.connect(url, auth=recovery.auth)``: python-socketio calls a callable auth
    at each connection), strips the offset before the handler sees the event, and sets
    ``recovered`` when the server answers with the same pid. (The official JavaScript
    client leaves the offset in as a last, extra argument.)
    """

    def __init__(self, client, auth=None):
        self.client, self.user_auth = client, dict(auth or {})
        self.pid = self.offset = None
        self.recovered = False
        self._connect, self._event = client._handle_connect, client._handle_event
        client._handle_connect, client._handle_event = self.handle_connect, self.handle_event

    def auth(self):
        """What CONNECT carries: the user's auth, plus pid and offset once there are both."""
        if self.pid and self.offset:
            return {**self.user_auth, "pid": self.pid, "offset": self.offset}
        return self.user_auth

    async def handle_connect(self, namespace, data):
        pid = (data or {}).get("pid")
        self.recovered, self.pid = pid is not None and pid == self.pid, pid
        await self._connect(namespace, data)

    async def handle_event(self, namespace, id, data):
        offset = None
        if self.pid and id is None and len(data) > 1 and isinstance(data[-1], str):
            data, offset = data[:-1], data[-1]
        await self._event(namespace, id, data)
        self.offset = offset or self.offset
