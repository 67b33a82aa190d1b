"""A trace: the record of who received what, from whom, in what order.

Why not ``print``? A server runs in its own thread, and Jupyter sends what that
thread prints to whichever cell happens to be running, or to none. A trace keeps
every event in one ordered list instead; a later cell shows it as a table
(``trace.table()``) or a sequence diagram (``trace.diagram()``), and a cell can
*wait* for an event (``trace.wait_for("pong")``) rather than sleep and hope.

Each record reads "``actor`` got ``event`` (with ``payload``) from ``sender``":

    seq  actor   event  from   conn  payload
      1  server  hello  alice  c1    'hi'
      2  alice   reply  server c1    'HI'

``conn`` names the connection. Socket.io session ids are random (``'kX9...'``), so
the trace relabels each new one ``c1``, ``c2``... in order of first appearance.

Notebook 00 introduces it (section 4); every later notebook records into one.
"""

import threading
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Record:
    seq: int  # 1, 2, 3... in the order the records were made
    time: float  # seconds since the trace started
    actor: str  # who received or did it ("server", "alice", ...)
    event: str  # the event name ("connect", "chat", ...)
    payload: object = None
    sender: str | None = None  # who sent it, if it came from someone
    conn: str | None = None  # the connection's short label ("c1")


class Trace:
    """A thread-safe, ordered list of ``Record``s, with a way to wait for one."""

    def __init__(self):
        self._records = []
        self._labels = {}  # session id -> "c1", "c2", ...
        self._changed = threading.Condition()
        self._start = time.perf_counter()

    def record(self, actor, event, payload=None, *, sender=None, conn=None):
        """Add a record. Call it from any thread: a handler, a client, a cell."""
        with self._changed:
            record = Record(
                seq=len(self._records) + 1,
                time=time.perf_counter() - self._start,
                actor=actor,
                event=event,
                payload=payload,
                sender=sender,
                conn=self._label(conn),
            )
            self._records.append(record)
            self._changed.notify_all()
        return record

    def label(self, conn):
        """The short label (``"c1"``...) of a session id, given on first sight."""
        with self._changed:
            return self._label(conn)

    def _label(self, conn):
        if conn is None:
            return None
        if conn not in self._labels:
            self._labels[conn] = f"c{len(self._labels) + 1}"
        return self._labels[conn]

    def records(self, event=None, actor=None, sender=None):
        """The records so far, optionally only those with this ``event``, ``actor``, ``sender``."""
        with self._changed:
            found = list(self._records)
        wanted = {"event": event, "actor": actor, "sender": sender}
        return [
            r
            for r in found
            if all(value is None or getattr(r, key) == value for key, value in wanted.items())
        ]

    def wait_for(self, event, actor=None, count=1, timeout=5, sender=None):
        """Block until ``count`` records of ``event`` (by ``actor``, from ``sender``) exist.

        Returns the first ``count`` of them. Raises ``TimeoutError`` saying what *did*
        arrive, which is usually the clue.
        """
        with self._changed:
            done = self._changed.wait_for(
                lambda: len(self.records(event, actor, sender)) >= count, timeout
            )
        if not done:
            where = "".join(f" {k} {v!r}" for k, v in (("at", actor), ("from", sender)) if v)
            self._timed_out(f"{count} x {event!r}{where}", timeout)
        return self.records(event, actor, sender)[:count]

    def wait_until(self, predicate, timeout=5, description="a matching record"):
        """Block until some record satisfies ``predicate(record)``; return the first that does."""
        with self._changed:
            done = self._changed.wait_for(lambda: any(map(predicate, self._records)), timeout)
        if not done:
            self._timed_out(description, timeout)
        return next(r for r in self.records() if predicate(r))

    def _timed_out(self, what, timeout):
        seen = ", ".join(f"{r.actor}:{r.event}" for r in self.records()) or "nothing"
        raise TimeoutError(f"waited {timeout} s for {what}; the trace has: {seen}")

    def by_actor(self, *actors):
        """Text: what each actor got, in order. Stable even when actors run concurrently."""
        actors = actors or dict.fromkeys(r.actor for r in self.records())
        lines = []
        for actor in actors:
            got = [
                f"{r.event} {r.payload!r}" if r.payload is not None else r.event
                for r in self.records(actor=actor)
            ]
            lines.append(f"{actor}: {', '.join(got) if got else '(nothing)'}")
        return "\n".join(lines)

    def clear(self):
        """Forget all records and connection labels, and restart the clock."""
        with self._changed:
            self._records.clear()
            self._labels.clear()
            self._start = time.perf_counter()

    def table(self, times=False, **only):
        """The records as a text table, one line each; ``times=True`` adds milliseconds.

        ``only`` filters like ``records()``: ``trace.table(actor="server")``.
        """
        clock = ["t (ms)"] if times else []
        rows = [["seq", *clock, "actor", "event", "from", "conn", "payload"]]
        for r in self.records(**only):
            ms = [f"{r.time * 1000:.1f}"] if times else []
            rows.append([str(r.seq), *ms, r.actor, r.event, r.sender or "", r.conn or "",
                         repr(r.payload) if r.payload is not None else ""])  # fmt: skip
        widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
        lines = (
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows
        )
        return "\n".join(line.rstrip() for line in lines)

    def diagram(self, title=None):
        """Draw the records as a sequence diagram (see ``sequence.py``)."""
        from labsupport.lab.sequence import draw

        return draw(self.records(), title=title)

    def __len__(self):
        return len(self.records())

    def __repr__(self):
        return self.table()
