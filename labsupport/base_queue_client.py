"""What every client of a queue hub does, written once: catch up, keep each message once, ack.

Notebook 05 §2 builds these rules by hand (``HandClient``, in cells); two clients then
use them, twins on this shared base as python-socketio's ``Client`` and ``AsyncClient``
share ``BaseClient``:

- ``queue_client.QueueClient``, driven from a notebook's plain (synchronous) code on a
  loop of its own (notebooks 05, 05b and 06), which logs what it gets;
- ``caps_programs.CapsClient``, an asyncio program (a vendor or driver of notebook 07),
  which hands each order to a vendor's or a driver's handler, one at a time.

Unlike python-socketio's base, which does no I/O, this one holds the steps both twins
take on their ``socketio.AsyncClient``, so the contract of ``queue_hub.py`` is written
in one place:

1. on every (re)connect, a ``getAll`` for each event listened to, to catch up on what
   was missed (not in the connect handler itself: that must return first);
2. each message handled once: delivery is *at least once*, so the same message can
   arrive twice (an ack lost, or a catch-up overlapping a live send); a repeat is
   counted in ``duplicates`` and not handled again;
3. a ``received`` for every message, repeats included, once it is handled: a client
   that crashes halfway has not acknowledged, and the hub sends the message again.

A twin fills in ``_arrival`` (what happens when a message comes), ``_ask`` (a call to
the hub, and how patient it is) and ``_handle`` (what handling a message means).
"""

import socketio


class BaseQueueClient:
    """The state and the shared steps of a queue hub's client named ``client_id``."""

    namespace = "/"
    reconnection_delay_max = 0.5  # seconds: the longest wait between reconnection attempts
    acknowledge = True  # False plays a client that "forgets" to ack

    def __init__(self, client_id, events):
        self.client_id = client_id
        self.events = list(events)
        self.seen = set()  # the keys (``_key``) of the messages handled so far
        self.duplicates = 0  # repeats that arrived and were not handled again
        self.sio = socketio.AsyncClient(
            reconnection_delay=0.2, reconnection_delay_max=self.reconnection_delay_max
        )
        self.sio.on("connect", self._catch_up, namespace=self.namespace)
        for event in self.events:
            self.sio.on(event, self._arrival(event), namespace=self.namespace)

    def _query(self, event):
        """The ``getAll`` that asks the hub for what this client has not acknowledged."""
        return {"clientId": self.client_id, "event": event}

    def _key(self, event, message):
        """What makes two arrivals the same message: by default the hub's message id."""
        return message["messageId"]

    async def _catch_up(self):
        self.sio.start_background_task(self._get_all)  # not in the handler: it must return

    async def _get_all(self):
        for event in self.events:
            await self._ask("getAll", self._query(event))
        self._caught_up()

    def _caught_up(self):
        """Called once the catch-up after a (re)connect is done; a twin may wait on it."""

    async def _take(self, event, message):
        """Handle ``message`` unless it is a repeat, then acknowledge it either way.

        The key is remembered only after handling, so a handler that fails halfway is
        run again when the hub redelivers."""
        key = self._key(event, message)
        if key in self.seen:
            self.duplicates += 1
        else:
            await self._handle(event, message)
            self.seen.add(key)
        if self.acknowledge:
            await self._acknowledge(message)

    async def _acknowledge(self, message):
        ack = {field: message[field] for field in ("clientId", "event", "messageId")}
        try:
            await self.sio.emit("received", ack, namespace=self.namespace)
        except socketio.exceptions.SocketIOError:
            pass  # disconnected before the ack went out: the hub keeps it, sends it again

    def _arrival(self, event):  # pragma: no cover
        """The handler python-socketio calls with each ``event`` message."""
        raise NotImplementedError

    async def _ask(self, event, data):  # pragma: no cover
        """Call the hub and return its answer."""
        raise NotImplementedError

    async def _handle(self, event, message):  # pragma: no cover
        """Do what this client is for with one (new) message."""
        raise NotImplementedError
