"""A socket.io server that delivers through a queue, so that a client who was away misses nothing.

The wire contract (the same as the capstone's hub in notebook 07):

- connect with ``auth={"clientId": "<a name you keep>"}``; without one you are refused.
  The hub puts each connection in the room named after its client id, so messages
  reach a client whatever its (changing) sid.
- every message from the hub is the event's own name with the payload
  ``{"messageId", "clientId", "event", "payload"}``, and stays queued until the client
  emits ``received`` ``{"clientId", "event", "messageId"}``.
- ``getAll`` ``{"clientId", "event"}`` (optionally ``"after": offset``) sends again, in
  order, everything still queued for that client and event. Clients send it on every
  (re)connect.
- a malformed ``received`` or ``getAll`` gets the acknowledgement
  ``{"error": "<reason>"}`` and changes nothing.

Producers put messages in with ``hub.publish(client_id, event, payload)`` (from Python)
or ``POST /publish`` with that JSON (from anywhere; used when the hub is a process).
"""

import asyncio
import os
import time

import socketio
from aiohttp import web

from .ackqueue import MemoryQueue, QueueFull, QueueUnavailable, SqliteQueue
from .guard import CONNECT_TIMEOUT, close_half_open

FIELDS = {"received": ("clientId", "event", "messageId"), "getAll": ("clientId", "event")}


def invalid(name, data):
    """Why ``data`` is not a valid ``name`` payload (``received``/``getAll``), or None."""
    if not isinstance(data, dict):
        return f"{name} takes an object with {list(FIELDS[name])}, not {type(data).__name__}"
    missing = [field for field in FIELDS[name] if field not in data]
    if missing:
        return f"{name} is missing {missing}"
    wrong = [field for field in FIELDS[name] if not isinstance(data[field], str)]
    if wrong:
        return f"{name} fields {wrong} must be strings"
    if "after" in data and not isinstance(data["after"], int):
        return f"{name} 'after' must be a whole number (an offset)"
    return None


class GroupCommit:
    """One commit, and so one disk sync, for all the publishes of a few milliseconds.

    A publish must not be sent or reported before its message is durable, or a crash
    could lose a message its producer thinks is safe. A batched queue (``SqliteQueue(...,
    batched=True)``) makes its changes durable only at ``commit()``. The first publish
    schedules a commit ``delay`` seconds later; every publish until then waits for that
    same commit. With many messages in flight that is far fewer disk syncs (``bench/``
    measures it); the price is up to ``delay`` more latency for each message.
    """

    def __init__(self, queue, delay=0.002):
        self.queue = queue
        self.delay = delay
        self.next = None  # the future the next commit resolves, once one is scheduled

    def soon(self):
        """Schedule a commit (unless one is scheduled); return the future it resolves."""
        if self.next is None:
            loop = asyncio.get_running_loop()
            self.next = loop.create_future()
            loop.call_later(self.delay, self._commit)
        return self.next

    def _commit(self):
        done, self.next = self.next, None
        try:
            self.queue.commit()
        except Exception as error:  # no publish waiting on it is reported as stored
            done.set_exception(error)
        else:
            done.set_result(None)


class QueueHub:
    """The socket.io server ``self.sio`` and its ``queue``, wired together."""

    namespace = "/"  # the capstone's hub (caps.py) serves "/caps" instead

    def __init__(self, queue, connect_timeout=CONNECT_TIMEOUT, **server_options):
        self.queue = queue
        self.group_commit = GroupCommit(queue) if getattr(queue, "batched", False) else None
        # One event at a time per client, in order: a catch-up (getAll) must finish
        # before that client's next request is handled (notebook 03, section 6).
        server_options.setdefault("async_handlers", False)
        self.sio = socketio.AsyncServer(async_mode="aiohttp", **server_options)
        close_half_open(self.sio, connect_timeout)  # guard.py: no session without CONNECT
        for event, handler in (("connect", self.connect), ("received", self.received),
                               ("getAll", self.get_all)):  # fmt: skip
            self.sio.on(event, handler, namespace=self.namespace)

    async def connect(self, sid, environ, auth):
        client_id = (auth or {}).get("clientId")
        if not isinstance(client_id, str) or not client_id:
            raise socketio.exceptions.ConnectionRefusedError(
                'connect with auth={"clientId": "<a name you keep>"}'
            )
        await self.sio.enter_room(sid, client_id, namespace=self.namespace)

    async def publish(self, client_id, event, payload):
        """Queue the message, then send it to the client's room: it may or may not be there."""
        message = self.queue.enqueue(client_id, event, payload)
        if self.group_commit:  # durable before anyone hears of it
            await self.group_commit.soon()
        await self.sio.emit(event, message.to_wire(), to=client_id, namespace=self.namespace)
        return message

    async def received(self, sid, data=None):  # None: the client sent no payload
        if reason := invalid("received", data):
            return {"error": reason}
        try:
            deleted = self.queue.ack(data["clientId"], data["event"], data["messageId"])
        except QueueUnavailable as down:  # the message stays queued: it will come again
            return {"error": str(down)}
        if self.group_commit:  # committed soon, not waited for: a lost ack is a duplicate
            self.group_commit.soon()
        return {"ok": True, "deleted": deleted}

    async def get_all(self, sid, data=None):
        if reason := invalid("getAll", data):
            return {"error": reason}
        try:
            messages = self.queue.deliver(data["clientId"], data["event"], data.get("after", 0))
        except QueueUnavailable as down:
            return {"error": str(down)}
        if self.group_commit:  # the delivery counts
            self.group_commit.soon()
        for message in messages:  # to this connection only, oldest first
            await self.sio.emit(message.event, message.to_wire(), to=sid, namespace=self.namespace)
        return {"sent": len(messages)}

    async def http_publish(self, request):
        """``POST /publish`` ``{"clientId", "event", "payload"}`` -> ``{"messageId"}``."""
        try:
            data = await request.json()
        except ValueError:
            return web.json_response({"error": "the body must be JSON"}, status=400)
        if not (isinstance(data, dict) and all(isinstance(data.get(f), str) and data[f]
                                                for f in ("clientId", "event"))):  # fmt: skip
            shape = '{"clientId": "<string>", "event": "<string>", "payload": ...}'
            return web.json_response({"error": f"publish takes {shape}"}, status=400)
        try:
            message = await self.publish(data["clientId"], data["event"], data.get("payload"))
        except QueueFull as full:
            return web.json_response({"error": str(full)}, status=429)
        except QueueUnavailable as down:  # nothing was queued: the producer tries again
            return web.json_response({"error": str(down)}, status=503)
        return web.json_response({"messageId": message.message_id})

    def add_routes(self, app):
        """Add ``POST /publish`` to the aiohttp ``app``; return it (serve it with ``sio``)."""
        app.router.add_post("/publish", self.http_publish)
        return app


def from_environment():
    """The hub as a program: ``QUEUE_DB=path`` makes the queue durable (SQLite), and
    ``QUEUE_BATCH=1`` commits it once for all the publishes of a moment (``GroupCommit``).

    With no ``QUEUE_DB`` the queue is in memory, and dies with the process.
    ``QUEUE_REDIS=redis://...`` puts it on Redis Streams instead, shared by every hub
    given that URL, and passes broadcasts between the hubs through Redis (notebook 06).

    ``python -m labsupport.serve labsupport.queue_hub:from_environment``
    """
    path, redis_url = os.environ.get("QUEUE_DB"), os.environ.get("QUEUE_REDIS")
    manager = None
    if redis_url:
        from .streams_queue import StreamsQueue  # only hubs on Redis need the redis package

        queue = StreamsQueue(redis_url)
        manager = socketio.AsyncRedisManager(redis_url)
    elif path:  # QUEUE_SYNC=NORMAL trades safety against power cuts for speed
        batched = os.environ.get("QUEUE_BATCH") == "1"  # GroupCommit: one commit per 2 ms
        queue = SqliteQueue(path, os.environ.get("QUEUE_SYNC", "FULL"), batched=batched)
    else:
        # A restarted in-memory hub must not hand out the message ids of its previous
        # life (clients would drop new messages as duplicates): start counting from now.
        queue = MemoryQueue(first_offset=time.time_ns() // 1000)
    hub = QueueHub(queue, client_manager=manager)
    app = hub.add_routes(web.Application())
    hub.sio.attach(app)
    return app
