"""``ackqueue``'s rules on a SQLite file, which survives ``kill -9`` of the process.

Notebook 05 §4 builds the same thing by hand (a table, ``INSERT`` to enqueue, ``DELETE``
to acknowledge, ``SELECT`` for the catch-up), kills its hub with ``kill -9`` and finds
nothing lost; notebook 07's hub keeps its queue here when started with ``--db FILE``.

Every change is committed before it is reported (SQLite commits each statement by
itself: ``isolation_level=None``). ``synchronous="FULL"`` waits until the disk has the
data (safe against a power cut too); ``"NORMAL"`` only until the operating system has
it (safe against ``kill -9`` of this process, and faster). WAL mode lets readers and
the writer work at once.
"""

import json
import sqlite3

from labsupport.ackqueue import BaseQueue, Message

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
COLUMNS = "offset, client_id, event, payload, created, deliveries"


class SqliteQueue(BaseQueue):
    """Messages in the SQLite file ``path``: every change committed before it returns."""

    def __init__(self, path, synchronous="FULL", **limits):
        super().__init__(**limits)
        self.db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(f"PRAGMA synchronous={synchronous}")
        self.db.executescript(SCHEMA)

    def close(self):
        self.db.close()

    def _row(self, row):
        offset, client_id, event, payload, created, deliveries = row
        return Message(offset, client_id, event, json.loads(payload), created, deliveries)

    def _insert(self, client_id, event, payload, created):
        cursor = self.db.execute(
            "INSERT INTO messages (client_id, event, payload, created) VALUES (?, ?, ?, ?)",
            (client_id, event, json.dumps(payload), created),
        )
        return Message(cursor.lastrowid, client_id, event, payload, created)

    def _count(self, client_id, event):
        query = "SELECT COUNT(*) FROM messages WHERE client_id = ? AND event = ?"
        return self.db.execute(query, (client_id, event)).fetchone()[0]

    def _select(self, client_id, event, after):
        rows = self.db.execute(
            f"SELECT {COLUMNS} FROM messages "
            "WHERE client_id = ? AND event = ? AND offset > ? ORDER BY offset",
            (client_id, event, after),
        )
        return [self._row(row) for row in rows]

    def _delete(self, client_id, event, offset):
        cursor = self.db.execute(
            "DELETE FROM messages WHERE offset = ? AND client_id = ? AND event = ?",
            (offset, client_id, event),
        )
        return cursor.rowcount == 1

    def _set_deliveries(self, message):
        self.db.execute("UPDATE messages SET deliveries = ? WHERE offset = ?",
                        (message.deliveries, message.offset))  # fmt: skip

    def _bury(self, message, reason):
        """Move ``message`` to the dead letters: never in both tables, never in neither
        (a savepoint: both statements happen, or neither does)."""
        self.db.execute("SAVEPOINT bury")
        try:
            self.db.execute("DELETE FROM messages WHERE offset = ?", (message.offset,))
            self.db.execute(
                "INSERT INTO dead VALUES (?, ?, ?, ?, ?, ?, ?)",
                (message.offset, message.client_id, message.event, json.dumps(message.payload),
                 message.created, message.deliveries, reason),
            )  # fmt: skip
        except BaseException:
            self.db.execute("ROLLBACK TO bury")
            raise
        finally:
            self.db.execute("RELEASE bury")

    def _dead(self):
        rows = self.db.execute(f"SELECT {COLUMNS}, reason FROM dead ORDER BY offset")
        return [(self._row(row[:6]), row[6]) for row in rows]
