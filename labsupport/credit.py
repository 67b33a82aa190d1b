"""Acknowledgements as credit: at most N unacknowledged messages in flight per client.

Notebook 05b §4 measures a hub without it (every message sent at once, however slow
the consumer) and then with it, for N = 1, 10 and 100. It is RabbitMQ's *prefetch*
(``basic.qos``): the consumer says how many messages it may hold unacknowledged, and
the broker sends the next one only when an acknowledgement frees a place.

``CreditHub`` is notebook 05's ``QueueHub`` with three changes:

1. the backlog stays in the store (``DiskWindowQueue``, notebook 05's SQLite queue,
   read one message at a time), and only the **window** of handed-out, unacknowledged
   messages is held in memory, ready to be sent again;
2. ``publish`` and each acknowledgement *pump*: send the oldest messages not yet
   sent while the window has room;
3. a client chooses its N when it connects, ``auth={"clientId": ..., "credit": N}``,
   and ``getAll`` starts its window again from the oldest held message.

``peak`` records, per client, the most messages and payload bytes its window held.
"""

import json

from socketio.exceptions import ConnectionRefusedError

from labsupport.queue_hub import QueueHub, invalid
from labsupport.sqlite_queue import COLUMNS, SqliteQueue


class DiskWindowQueue(SqliteQueue):
    """``SqliteQueue`` that can read one held message at a time, so that a hub with a
    large backlog does not load it all (``pending`` returns every held message)."""

    def first_after(self, client_id, event, after):
        """The oldest message held for ``client_id`` and ``event`` after ``after``, or None."""
        with self.lock:
            row = self.db.execute(
                f"SELECT {COLUMNS} FROM messages WHERE client_id = ? AND event = ? "
                "AND offset > ? ORDER BY offset LIMIT 1",
                (client_id, event, after),
            ).fetchone()
        if row is None:
            return None
        return self._row(row)


class CreditHub(QueueHub):
    """A ``QueueHub`` that hands each client at most ``credit`` unacknowledged messages."""

    def __init__(self, queue, credit=10, **server_options):
        super().__init__(queue, **server_options)
        self.default_credit = credit
        self.credit = {}  # client id -> its N
        self.window = {}  # (client id, event) -> {message id: Message}: out, not acked
        self.sent_up_to = {}  # (client id, event) -> the last offset handed out
        self.held_bytes = {}  # (client id, event) -> payload bytes in its window now
        self.peak = {}  # client id -> [most messages, most payload bytes] in its window

    async def connect(self, sid, environ, auth):
        await super().connect(sid, environ, auth)
        credit = auth.get("credit", self.default_credit)
        if not isinstance(credit, int) or isinstance(credit, bool) or credit < 1:
            raise ConnectionRefusedError(f"credit must be a whole number >= 1, not {credit!r}")
        self.credit[auth["clientId"]] = credit

    async def publish(self, client_id, event, payload):
        message = self.queue.enqueue(client_id, event, payload)
        await self.pump(client_id, event)
        return message

    async def received(self, sid, data=None):
        reply = await super().received(sid, data)
        if reply.get("deleted"):  # a place in the window is free: send the next message
            key = (data["clientId"], data["event"])
            if done := self.window.get(key, {}).pop(data["messageId"], None):
                self.held_bytes[key] -= len(json.dumps(done.payload))
            await self.pump(*key)
        return reply

    async def get_all(self, sid, data=None):
        """A (re)connect: the window is sent again, from memory, then the pump goes on."""
        if invalid("getAll", data) or "after" in data:
            return await super().get_all(sid, data)
        window = self.window.setdefault((data["clientId"], data["event"]), {})
        for message in list(window.values()):  # oldest first: a dict keeps insertion order
            await self.sio.emit(message.event, message.to_wire(), to=sid, namespace=self.namespace)
        return {"sent": len(window) + await self.pump(data["clientId"], data["event"])}

    async def pump(self, client_id, event):
        """Send the next messages while the client's window has room; return how many."""
        key, sent = (client_id, event), 0
        window = self.window.setdefault(key, {})
        while client_id in self.credit and len(window) < self.credit[client_id]:
            message = self.queue.first_after(client_id, event, self.sent_up_to.get(key, 0))
            if message is None:
                break
            window[message.message_id] = message  # kept until acknowledged
            self.sent_up_to[key] = message.offset
            self._note(key, window, len(json.dumps(message.payload)))
            await self.sio.emit(event, message.to_wire(), to=client_id, namespace=self.namespace)
            sent += 1
        return sent

    def _note(self, key, window, size):
        """Count ``size`` more bytes in the window of ``key``; remember the peak."""
        self.held_bytes[key] = self.held_bytes.get(key, 0) + size
        peak = self.peak.setdefault(key[0], [0, 0])
        peak[:] = max(peak[0], len(window)), max(peak[1], self.held_bytes[key])
