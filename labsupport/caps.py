"""CAPS, the parcel service of notebook 07: the hub, and its wire contract.

Vendors (shops) ask for pickups, drivers carry the parcels, and the hub in the middle
queues every message until its receiver acknowledges it. Any socket.io client, in any
language, can play vendor or driver from this contract alone:

- **Connect** to the namespace ``/caps`` with ``auth={"clientId": ..., "role": ...}``:
  ``role`` is ``"vendor"`` or ``"driver"``; a vendor's ``clientId`` is its store name
  (``"1-206-flowers"``), a driver's any stable name. Anything else is refused, with
  the reason as the connection error's message.
- **Rooms:** the hub puts a vendor in the room named after its store, a driver in
  ``drivers``, and everyone in the room of their client id. ``join`` ``{"room"}`` joins
  another (acked ``{"ok": true, "room"}``).
- **Orders** are ``{"store", "orderId", "customer", "address"}``, all strings.
- ``pickup`` (vendor -> hub) with an order of its own store: the hub queues it for
  every driver it knows (every driver that ever connected) and sends it to them.
- ``in-transit``, then ``delivered`` (driver -> hub) with the order: the hub queues and
  sends them to that store's vendor only. The first driver to send ``in-transit`` for
  an order takes it; another gets the error ack ``{"error": "... taken by ..."}``.
- **Every hub -> client message** is ``{"messageId", "clientId", "event", "payload"}``
  under the event's own name, and is held until the client emits ``received``
  ``{"clientId", "event", "messageId"}``. ``getAll`` ``{"clientId", "event"}`` sends
  again, in order, all still held; clients send it on every (re)connect.
- **Bad input** (a malformed ``pickup``, ``received``, ``getAll``, ``join``, or an event
  from the wrong role) gets the ack ``{"error": "<reason>"}`` and changes nothing.
- **Good input** is acked ``{"ok": true, ...}``; delivery is at least once, so clients
  drop repeats by (event, store, orderId): the order id is the *idempotency key*.

Every event the hub handles is logged as ``EVENT: {"event", "time", "payload"}``.
Notebook 07 builds the hub's pieces as four stages and runs this hub, with the learner's
stages 3 and 4 in it, as a program: ``python -m labsupport.caps_programs --help``.
"""

import json
import time

import socketio
from aiohttp import web

from labsupport.ackqueue import QueueUnavailable
from labsupport.queue_hub import QueueHub

NAMESPACE = "/caps"
ROLES = ("vendor", "driver")
ORDER_FIELDS = ("store", "orderId", "customer", "address")


def refusal(auth):
    """Why ``auth`` may not connect, or None if it may."""
    if not isinstance(auth, dict):
        return 'connect with auth={"clientId": "<stable id>", "role": "vendor" or "driver"}'
    if not isinstance(auth.get("clientId"), str) or not auth["clientId"]:
        return "auth.clientId must be a non-empty string (a vendor's is its store name)"
    if auth.get("role") not in ROLES:
        return f"auth.role must be 'vendor' or 'driver', not {auth.get('role')!r}"
    return None


def invalid_order(order):
    """Why ``order`` is not an order, or None."""
    if not isinstance(order, dict):
        return f"an order is an object with {list(ORDER_FIELDS)}, not {type(order).__name__}"
    missing = [field for field in ORDER_FIELDS if not isinstance(order.get(field), str)]
    if missing:
        return f"the order needs string fields {missing}"
    return None


def order_key(order):
    return f"{order['store']}/{order['orderId']}"


class Ledger:
    """What the hub must remember besides the queue: its drivers, and who took which order.

    This one is in memory. ``caps_storage`` has twins that survive a restart.
    """

    def __init__(self):
        self._drivers, self._takers = set(), {}

    def add_driver(self, driver):
        self._drivers.add(driver)

    def drivers(self):
        return sorted(self._drivers)

    def take(self, key, driver):
        """Give order ``key`` to ``driver`` unless taken; return who has it now."""
        return self._takers.setdefault(key, driver)


class CapsHub(QueueHub):
    """The parcel hub: ``QueueHub``'s queue and acknowledgements, plus the CAPS events."""

    namespace = NAMESPACE

    def __init__(self, queue, ledger=None, log=print, **server_options):
        super().__init__(queue, **server_options)
        self.ledger = ledger or Ledger()
        self.log = log  # where the EVENT lines go: print, or a trace's record
        handlers = {"join": self.join, "pickup": self.pickup, "in-transit": self.in_transit,
                    "delivered": self.delivered}  # fmt: skip
        for event, handler in handlers.items():
            self.sio.on(event, handler, namespace=NAMESPACE)

    def log_event(self, event, payload):
        self.log("EVENT: " + json.dumps({"event": event, "time": time.time(), "payload": payload}))

    async def connect(self, sid, environ, auth):
        if reason := refusal(auth):
            raise socketio.exceptions.ConnectionRefusedError(reason)
        client_id, role = auth["clientId"], auth["role"]
        await self.sio.save_session(sid, {"clientId": client_id, "role": role}, NAMESPACE)
        await self.sio.enter_room(sid, client_id, namespace=NAMESPACE)
        if role == "driver":
            self.ledger.add_driver(client_id)
            await self.sio.enter_room(sid, "drivers", namespace=NAMESPACE)
        self.log_event("connect", {"clientId": client_id, "role": role})

    async def join(self, sid, data=None):
        if not (isinstance(data, dict) and isinstance(data.get("room"), str)):
            return {"error": 'join takes {"room": "<name>"}'}
        await self.sio.enter_room(sid, data["room"], namespace=NAMESPACE)
        return {"ok": True, "room": data["room"]}

    async def pickup(self, sid, order=None):
        who = await self.sio.get_session(sid, NAMESPACE)
        reason = self._refuse(who, "vendor", order)
        if reason is None and order["store"] != who["clientId"]:
            reason = f"a vendor sends pickups for its own store ({who['clientId']!r}) only"
        if reason:
            return {"error": reason}
        self.log_event("pickup", order)
        return await self._send("pickup", order, self.ledger.drivers())

    async def in_transit(self, sid, order=None):
        return await self._driver_update(sid, "in-transit", order)

    async def delivered(self, sid, order=None):
        return await self._driver_update(sid, "delivered", order)

    async def _driver_update(self, sid, event, order):
        who = await self.sio.get_session(sid, NAMESPACE)
        if reason := self._refuse(who, "driver", order):
            return {"error": reason}
        taker = self.ledger.take(order_key(order), who["clientId"])
        if taker != who["clientId"]:
            return {"error": f"order {order_key(order)} is taken by {taker}"}
        self.log_event(event, order)
        return await self._send(event, order, [order["store"]])

    def _refuse(self, who, role, order):
        if who["role"] != role:
            return f"only a {role} sends this event; you connected as a {who['role']}"
        return invalid_order(order)

    async def _send(self, event, order, recipients):
        """Queue ``order`` for each recipient and send it; the error if the queue is down."""
        try:
            for client_id in recipients:
                await self.publish(client_id, event, order)
        except QueueUnavailable as down:
            return {"error": str(down)}
        return {"ok": True, "to": recipients}

    async def http_pickup(self, request):
        """``POST /pickup`` with an order: a stretch goal, for vendors without socket.io."""
        try:
            order = await request.json()
        except ValueError:
            return web.json_response({"error": "the body must be JSON"}, status=400)
        if reason := invalid_order(order):
            return web.json_response({"error": reason}, status=400)
        self.log_event("pickup", order)
        reply = await self._send("pickup", order, self.ledger.drivers())
        return web.json_response(reply, status=503 if "error" in reply else 200)

    def add_routes(self, app):
        """``POST /publish`` (from ``QueueHub``) and ``POST /pickup`` on the aiohttp ``app``."""
        super().add_routes(app)
        app.router.add_post("/pickup", self.http_pickup)
        return app
