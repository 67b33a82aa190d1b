"""A message queue that keeps each message until its receiver acknowledges it.

Notebook 05 builds this queue by hand in cells (in memory, then on SQLite), breaks it
on purpose, and then imports this module as "the same rules, hardened". Its rules:

1. Messages are held per **client id** (a name the client keeps across reconnects,
   not the socket.io sid) and per **event**; each gets an **offset**, increasing
   across the whole queue, and the message id ``"m<offset>"``.
2. ``ack(client_id, event, message_id)`` deletes that message, and only that one.
   Twice, or an unknown id, changes nothing and returns False.
3. ``pending(client_id, event, after=offset)`` is the catch-up: what is still held,
   oldest first, optionally only after the last offset the client saw.
4. ``deliver(...)`` is ``pending`` that also counts each delivery attempt.
5. Limits, each with a visible outcome, never a silent drop: ``max_length`` makes
   ``enqueue`` raise ``QueueFull``; a message older than ``ttl`` seconds, or delivered
   ``max_deliveries`` times without an ack, moves to the **dead letters**, with why.

``BaseQueue`` holds the rules and ``MemoryQueue`` stores the messages in a dict, gone
with the process; ``sqlite_queue.SqliteQueue`` keeps them in a file that survives
``kill -9``, ``streams_queue.StreamsQueue`` in Redis, for several hubs (notebook 06).
Batched commits are a production concern: ``production/group_commit.py``.
"""

import threading
import time
from dataclasses import dataclass, replace


class QueueFull(Exception):
    """The client's queue for this event holds ``max_length`` messages already."""


class QueueUnavailable(Exception):
    """The queue's storage cannot be reached (Redis is down, say): nothing was changed."""


@dataclass(frozen=True)
class Message:
    offset: int  # position in the whole queue: a client resumes after the last it saw
    client_id: str
    event: str
    payload: object
    created: float  # seconds (the queue's clock) when it was enqueued
    deliveries: int = 0  # how many times it was handed out without an ack

    @property
    def message_id(self):
        return f"m{self.offset}"

    def to_wire(self):
        """What the hub sends to the client: ``{messageId, clientId, event, payload}``."""
        return {"messageId": self.message_id, "clientId": self.client_id,
                "event": self.event, "payload": self.payload}  # fmt: skip


class BaseQueue:
    """The rules. Subclasses store the messages, with the ``_`` methods of ``MemoryQueue``."""

    def __init__(self, max_length=None, ttl=None, max_deliveries=None, clock=time.time):
        self.max_length, self.ttl, self.max_deliveries = max_length, ttl, max_deliveries
        self.clock = clock  # a parameter, so a notebook can move time by hand
        self.lock = threading.Lock()  # one operation at a time, from any thread

    def enqueue(self, client_id, event, payload):
        """Hold ``payload`` for ``client_id`` under ``event``; return the ``Message``."""
        with self.lock:
            held = self._count(client_id, event) if self.max_length is not None else 0
            if self.max_length is not None and held >= self.max_length:
                raise QueueFull(f"{client_id!r} already has {held} {event!r} messages "
                                f"waiting (max_length={self.max_length})")  # fmt: skip
            return self._insert(client_id, event, payload, self.clock())

    def ack(self, client_id, event, message_id):
        """Delete the message ``message_id``; True if it was held, False otherwise."""
        offset = self.offset_of(message_id)
        with self.lock:
            return offset is not None and self._delete(client_id, event, offset)

    def pending(self, client_id, event, after=0):
        """The messages still held for ``client_id`` and ``event``, oldest first."""
        with self.lock:
            return self._live(client_id, event, after)

    def deliver(self, client_id, event, after=0):
        """Like ``pending``, but counts this as a delivery attempt of each message."""
        with self.lock:
            delivered = []
            for message in self._unexpired(self._hand_out(client_id, event, after)):
                if self.max_deliveries is not None and message.deliveries >= self.max_deliveries:
                    self._bury(message, f"not acknowledged after {message.deliveries} deliveries")
                    continue
                message = replace(message, deliveries=message.deliveries + 1)
                self._set_deliveries(message)
                delivered.append(message)
            return delivered

    def dead_letters(self):
        """``(message, reason)`` for each message the queue gave up on, oldest first."""
        with self.lock:
            return self._dead()

    def offset_of(self, message_id):
        """The offset ``message_id`` names, or None. A method, so that a storage whose ids
        look different (Redis's ``<ms>-<n>``, notebook 06) keeps this ``ack``."""
        return offset_of(message_id)

    def _live(self, client_id, event, after):
        """Held messages after ``after``, with the expired ones moved to the dead letters."""
        return self._unexpired(self._select(client_id, event, after))

    def _hand_out(self, client_id, event, after):
        """What ``deliver`` hands out, each with its deliveries so far: what is held. A hook,
        because Redis Streams hands out through a consumer group instead (notebook 06)."""
        return self._select(client_id, event, after)

    def _unexpired(self, messages):
        """``messages`` without those older than ``ttl``, which move to the dead letters."""
        live = []
        for message in messages:
            if self.ttl is not None and self.clock() - message.created > self.ttl:
                self._bury(message, f"expired: older than ttl={self.ttl} s")
            else:
                live.append(message)
        return live


def offset_of(message_id):
    """``"m7"`` -> 7; None for anything that is not one of this queue's message ids."""
    if isinstance(message_id, str) and message_id[:1] == "m" and message_id[1:].isdigit():
        return int(message_id[1:])
    return None


class MemoryQueue(BaseQueue):
    """Messages in a dictionary: fast, and gone when the process ends."""

    def __init__(self, first_offset=1, **limits):
        super().__init__(**limits)
        self.messages, self.dead = {}, []  # offset -> Message; (Message, reason)
        self.last_offset = first_offset - 1

    def _insert(self, client_id, event, payload, created):
        self.last_offset += 1
        message = Message(self.last_offset, client_id, event, payload, created)
        self.messages[message.offset] = message
        return message

    def _count(self, client_id, event):
        return sum((m.client_id, m.event) == (client_id, event) for m in self.messages.values())

    def _select(self, client_id, event, after):
        return [m for offset, m in sorted(self.messages.items())
                if offset > after and (m.client_id, m.event) == (client_id, event)]  # fmt: skip

    def _delete(self, client_id, event, offset):
        message = self.messages.get(offset)
        if message is None or (message.client_id, message.event) != (client_id, event):
            return False
        del self.messages[offset]
        return True

    def _set_deliveries(self, message):
        self.messages[message.offset] = message

    def _bury(self, message, reason):
        del self.messages[message.offset]
        self.dead.append((message, reason))

    def _dead(self):
        return list(self.dead)
