"""Crash points: kill a process at each step of a message's way, and count the effects.

Notebook 05b §1 builds the idempotent consumer in a cell, then runs this harness. One
run sends one message from a producer through a hub to a consumer, each a real process
(``crash_programs.py``, the hub in ``crash_hub.py``, started by ``forked.py``). At the
chosen point the process there is killed with SIGKILL, started again, the consumer
catches up (``getAll``, as in notebook 05), and ``delivery.check`` compares what was
sent with the effects the consumer committed to its SQLite file: lost, duplicated, or
exactly once.

The variants: (a) the hub's queue in memory, (b) on SQLite, (c) on SQLite with a
consumer that records the message id in the same transaction as its effect.
"""

import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from labsupport import crash_hub, crash_programs
from labsupport.delivery import check
from labsupport.lab.forked import Forked, shipped

# point: (where, what has just happened, who must have seen it before the kill)
POINTS = {
    1: ("hub", "the producer's publish arrives", None),
    2: ("hub", "it is stored (not yet committed)", None),
    3: ("hub", "it is committed (the producer is told)", ("producer", "^confirmed")),
    4: ("hub", "it is emitted", ("consumer", "^got")),
    5: ("consumer", "the consumer's handler runs", None),
    6: ("consumer", "its effect is committed", None),
    7: ("consumer", "the ack is sent", ("hub", "^ack stored")),
    8: ("hub", "the ack is stored", None),
}
OUTCOMES = ("exactly once", "duplicated", "lost")
VARIANTS = {"a": "in-memory queue", "b": "durable SQLite queue", "c": "durable + idempotent"}


def apply_plain(db, message_id, record):
    """A consumer's effect: one row, committed (it outlives the consumer)."""
    with db:
        db.execute("INSERT INTO effects VALUES (?, ?, ?)", record)


def apply_once(db, message_id, record):
    """The effect and the message id in one transaction: both are kept, or neither;
    a message id already kept means the effect is done already, so it is skipped."""
    with db:
        if db.execute("INSERT OR IGNORE INTO seen VALUES (?)", (message_id,)).rowcount:
            db.execute("INSERT INTO effects VALUES (?, ?, ?)", record)


RECORD = ("shop", 1, "order-1")  # (producer, sequence, key), for delivery.check
MESSAGE_ID = "shop:1"  # the producer's id for it: the same in every copy


@dataclass(frozen=True)
class Run:
    point: int
    variant: str
    killed: str  # which process, and its exit code
    exit_code: int
    report: object  # delivery.Report

    @property
    def outcome(self):
        if self.report.lost:
            return "lost"
        return "duplicated" if self.report.duplicated else "exactly once"


def effects(path):
    """The effects the consumer committed, in order: ``(producer, sequence, key)``."""
    import sqlite3

    with sqlite3.connect(path) as db:
        return db.execute("SELECT producer, sequence, key FROM effects ORDER BY rowid").fetchall()


def start_hub(name, folder, variant, point, port=0):
    db = str(folder / "queue.db") if variant in "bc" else None
    hub = Forked(f"{name}-hub", crash_hub.hub, port, db, point)
    hub.url = hub.wait_for("^listening on").split()[-1]
    return hub


def start_consumer(name, url, folder, apply, point):
    consumer = Forked(f"{name}-consumer", crash_programs.consumer, url,
                      str(folder / "effects.db"), shipped(apply), point)  # fmt: skip
    consumer.wait_for("^caught up")
    return consumer


def run(point, variant, apply=None, name=None):
    """One message, one kill at ``point``; the ``Run`` with ``check``'s report.

    ``apply``: the consumer's ``apply(db, message_id, record)``; by default
    ``apply_once`` in variant (c), ``apply_plain`` otherwise.
    """
    where, _, witness = POINTS[point]
    apply = apply or (apply_once if variant == "c" else apply_plain)
    name = name or f"crash-{variant}{point}"
    with tempfile.TemporaryDirectory(prefix="crash-") as folder:
        folder = Path(folder)
        hub = start_hub(name, folder, variant, point if where == "hub" else None)
        consumer = start_consumer(name, hub.url, folder, apply,
                                  point if where == "consumer" else None)  # fmt: skip
        producer = Forked(f"{name}-producer", crash_programs.producer, hub.url)
        team = {"hub": hub, "consumer": consumer, "producer": producer}
        producer.send("publish", MESSAGE_ID, *RECORD)
        team[where].wait_for(f"^at point {point}$")
        if witness:
            team[witness[0]].wait_for(witness[1])
        exit_code = team[where].kill()  # SIGKILL, mid-step
        if where == "hub":
            hub = start_hub(name, folder, variant, None, port=int(hub.url.rsplit(":", 1)[1]))
            consumer.wait_for("^caught up", count=2)  # it reconnected by itself
        else:
            consumer = start_consumer(name, hub.url, folder, apply, None)
        if producer.wait_for("confirmed").startswith("unconfirmed"):
            producer.send("retry")  # what the hub never confirmed, the producer sends again
            producer.wait_for("^confirmed")
        hub.send("idle?")
        hub.wait_for("^idle$")  # nothing held: every delivery acknowledged
        for process in (producer, consumer, hub):
            process.stop()
        report = check([RECORD], effects(folder / "effects.db"))
        return Run(point, variant, where, exit_code, report)


def table(variants=VARIANTS, points=POINTS, once=None):
    """Every point x variant: ``{(point, variant): Run}``.

    ``once``: variant (c)'s ``apply`` (the notebook's cell, say); ``apply_once`` if None.
    """
    cases = [(point, variant, once if variant == "c" else None) for variant in variants
             for point in points]  # fmt: skip
    return {(r.point, r.variant): r for r in side_by_side(run, cases)}


def side_by_side(function, cases, parallel=4):
    """``function(*case)`` for each case, a few at once (each run mostly waits on its
    processes, and every run has its own ports and files); results in order."""
    with ThreadPoolExecutor(parallel) as pool:
        return list(pool.map(lambda case: function(*case), cases))
