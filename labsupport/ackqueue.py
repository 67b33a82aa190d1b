"""A message queue that keeps each message until its receiver acknowledges it.

Notebook 05 builds it step by step; this is the finished version, in two twins with
one set of rules (``BaseQueue``) and two ways to store the messages:

- ``MemoryQueue``: a dictionary, lost when the process dies;
- ``SqliteQueue``: a SQLite file, which survives ``kill -9`` of the process.

The rules, as in the classic parcel-service lab's hub:

1. Messages are held per **client id** (a name the client keeps across reconnects,
   not the socket.io sid, which changes) and per **event** name.
2. Each message gets an **offset**, increasing across the whole queue, and a
   message id ``"m<offset>"``.
3. ``ack(client_id, event, message_id)`` deletes that message, and only that one.
   Acknowledging twice, or an unknown id, changes nothing and returns False.
4. ``pending(client_id, event, after=offset)`` lists what is still held, in order,
   optionally only after the last offset the client saw (resuming).
5. ``deliver(...)`` is ``pending`` that also counts the delivery attempts.
6. Limits, each with a visible outcome, never a silent drop: ``max_length`` makes
   ``enqueue`` raise ``QueueFull``; a message older than ``ttl`` seconds, or delivered
   ``max_deliveries`` times without an ack, moves to the **dead letters** with the
   reason.
"""

import json
import sqlite3
import threading
import time
from contextlib import contextmanager
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
        self.max_length = max_length
        self.ttl = ttl
        self.max_deliveries = max_deliveries
        self.clock = clock
        self.lock = threading.Lock()  # one operation at a time, from any thread

    def enqueue(self, client_id, event, payload):
        """Hold ``payload`` for ``client_id`` under ``event``; return the ``Message``."""
        with self.lock:
            if self.max_length is not None:
                held = self._count(client_id, event)
                if held >= self.max_length:
                    raise QueueFull(f"{client_id!r} already has {held} {event!r} messages "
                                    f"waiting (max_length={self.max_length})")  # fmt: skip
            return self._insert(client_id, event, payload, self.clock())

    def ack(self, client_id, event, message_id):
        """Delete the message ``message_id``; True if it was held, False otherwise."""
        offset = _offset_of(message_id)
        with self.lock:
            if offset is None:
                return False
            return self._delete(client_id, event, offset)

    def pending(self, client_id, event, after=0):
        """The messages still held for ``client_id`` and ``event``, oldest first."""
        with self.lock:
            return self._live(client_id, event, after)

    def deliver(self, client_id, event, after=0):
        """Like ``pending``, but counts this as a delivery attempt of each message."""
        with self.lock:
            delivered = []
            for message in self._live(client_id, event, after):
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

    batched = False  # SqliteQueue(batched=True) waits for commit() to make changes durable

    def commit(self):
        """Make every change so far durable. Here there is nothing to do: each change is."""

    def _live(self, client_id, event, after):
        """Held messages after ``after``, with the expired ones moved to the dead letters."""
        live = []
        for message in self._select(client_id, event, after):
            if self.ttl is not None and self.clock() - message.created > self.ttl:
                self._bury(message, f"expired: older than ttl={self.ttl} s")
            else:
                live.append(message)
        return live


def _offset_of(message_id):
    if isinstance(message_id, str) and message_id[:1] == "m" and message_id[1:].isdigit():
        return int(message_id[1:])
    return None


class MemoryQueue(BaseQueue):
    """Messages in a dictionary: fast, and gone when the process ends."""

    def __init__(self, first_offset=1, **limits):
        super().__init__(**limits)
        self.messages = {}  # offset -> Message
        self.dead = []
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


class SqliteQueue(BaseQueue):
    """Messages in a SQLite file: every change is committed before it is reported.

    ``synchronous="FULL"`` waits until the disk has the data (safe against a power cut
    too); ``"NORMAL"`` only until the operating system has it (safe against ``kill -9``
    of this process, and faster). WAL mode lets readers and the writer work at once.

    ``batched=True`` trades that "before it is reported" for speed: changes pile up in
    one open transaction until ``commit()``, which makes them all durable with one disk
    sync. Whoever reports a message as stored must call ``commit()`` first (the hub's
    ``GroupCommit`` does, for every publish of the same moment at once).
    """

    SCHEMA = """
    CREATE TABLE IF NOT EXISTS messages (
        offset INTEGER PRIMARY KEY AUTOINCREMENT, client_id TEXT NOT NULL,
        event TEXT NOT NULL, payload TEXT NOT NULL, created REAL NOT NULL,
        deliveries INTEGER NOT NULL DEFAULT 0);
    CREATE INDEX IF NOT EXISTS held ON messages (client_id, event, offset);
    CREATE TABLE IF NOT EXISTS dead (
        offset INTEGER PRIMARY KEY, client_id TEXT, event TEXT, payload TEXT,
        created REAL, deliveries INTEGER, reason TEXT);
    """

    def __init__(self, path, synchronous="FULL", batched=False, **limits):
        super().__init__(**limits)
        self.batched = batched
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(f"PRAGMA synchronous={synchronous}")
        self.db.executescript(self.SCHEMA)

    def commit(self):
        """Make the changes made since the last commit durable (batched queues)."""
        with self.lock:
            if self.db.in_transaction:
                self.db.execute("COMMIT")

    def close(self):
        self.commit()
        self.db.close()

    def _join_batch(self):
        """Batched: a change goes into the open transaction (begun by the first change
        after a commit), which ``commit()`` ends. Unbatched: nothing to do, as SQLite
        commits each statement by itself."""
        if self.batched and not self.db.in_transaction:
            self.db.execute("BEGIN")

    @contextmanager
    def _together(self):
        """The statements inside happen together or not at all (a SQLite savepoint):
        committed on the way out, or with the batch."""
        self._join_batch()
        self.db.execute("SAVEPOINT change")
        try:
            yield
        except BaseException:
            self.db.execute("ROLLBACK TO change")
            raise
        finally:
            self.db.execute("RELEASE change")

    def _row(self, row):
        offset, client_id, event, payload, created, deliveries = row
        return Message(offset, client_id, event, json.loads(payload), created, deliveries)

    def _insert(self, client_id, event, payload, created):
        row = (client_id, event, json.dumps(payload), created)
        self._join_batch()
        cursor = self.db.execute(
            "INSERT INTO messages (client_id, event, payload, created) VALUES (?, ?, ?, ?)", row
        )
        return Message(cursor.lastrowid, client_id, event, payload, created)

    def _count(self, client_id, event):
        query = "SELECT COUNT(*) FROM messages WHERE client_id = ? AND event = ?"
        return self.db.execute(query, (client_id, event)).fetchone()[0]

    def _select(self, client_id, event, after):
        rows = self.db.execute(
            "SELECT offset, client_id, event, payload, created, deliveries FROM messages "
            "WHERE client_id = ? AND event = ? AND offset > ? ORDER BY offset",
            (client_id, event, after),
        )
        return [self._row(row) for row in rows]

    def _delete(self, client_id, event, offset):
        self._join_batch()
        cursor = self.db.execute(
            "DELETE FROM messages WHERE offset = ? AND client_id = ? AND event = ?",
            (offset, client_id, event),
        )
        return cursor.rowcount == 1

    def _set_deliveries(self, message):
        self._join_batch()
        self.db.execute("UPDATE messages SET deliveries = ? WHERE offset = ?",
                        (message.deliveries, message.offset))  # fmt: skip

    def _bury(self, message, reason):
        with self._together():  # never in both tables, never in neither
            self.db.execute("DELETE FROM messages WHERE offset = ?", (message.offset,))
            self.db.execute(
                "INSERT INTO dead VALUES (?, ?, ?, ?, ?, ?, ?)",
                (message.offset, message.client_id, message.event, json.dumps(message.payload),
                 message.created, message.deliveries, reason),
            )  # fmt: skip

    def _dead(self):
        rows = self.db.execute(
            "SELECT offset, client_id, event, payload, created, deliveries, reason "
            "FROM dead ORDER BY offset"
        )
        return [(self._row(row[:6]), row[6]) for row in rows]
