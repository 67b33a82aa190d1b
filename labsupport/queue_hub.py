"""A socket.io server that delivers through a queue, so that a client who was away misses nothing.

Notebook 05 builds this hub by hand in cells (§2), then uses this module as the same
rules, hardened (§5): bad input answered, never a crash. Notebook 07's ``CapsHub``
is this hub with the parcel service's events added.

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
or ``POST /publish`` with that JSON (from anywhere; used when the hub is a process:
``labsupport.production.queue_program``).
"""

import socketio
from aiohttp import web

from labsupport.ackqueue import QueueFull, QueueUnavailable
from labsupport.lab.guard import CONNECT_TIMEOUT, close_half_open

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


class QueueHub:
    """The socket.io server ``self.sio`` and its ``queue``, wired together."""

    namespace = "/"  # the capstone's hub (caps.py) serves "/caps" instead

    def __init__(self, queue, connect_timeout=CONNECT_TIMEOUT, **server_options):
        self.queue = queue
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
        await self.sio.emit(event, message.to_wire(), to=client_id, namespace=self.namespace)
        return message

    async def received(self, sid, data=None):  # None: the client sent no payload
        if reason := invalid("received", data):
            return {"error": reason}
        try:
            deleted = self.queue.ack(data["clientId"], data["event"], data["messageId"])
        except QueueUnavailable as down:  # the message stays queued: it will come again
            return {"error": str(down)}
        return {"ok": True, "deleted": deleted}

    async def get_all(self, sid, data=None):
        if reason := invalid("getAll", data):
            return {"error": reason}
        try:
            messages = self.queue.deliver(data["clientId"], data["event"], data.get("after", 0))
        except QueueUnavailable as down:
            return {"error": str(down)}
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
