"""The dual write, and the outbox that fixes it: a shop that records orders and announces them.

Notebook 05b §2 has the learner write the shop's one transaction and its relay pass by
hand (``place_order``, ``relay_pass``), then runs this module's SIGKILL experiments on
real processes. The shop keeps its orders in its own SQLite file and announces each
one through the hub (``crash_programs``'s hub and consumer, durable and idempotent).
Two writes, to two systems, cannot be one transaction, so a shop killed between them
(``mode``):

- ``"write-then-publish"``: the order exists, its announcement never went: **lost**;
- ``"publish-then-write"``: the announcement went, the order does not exist: **invented**.

``"outbox"``: the order row and an outbox row (the message) in *one* transaction; a
**relay** process publishes the unsent outbox rows and marks each one sent. Killed at
any step (``STEPS``) and restarted, nothing is lost and nothing invented; a relay killed
after publishing but before marking publishes that row again, and the consumer drops
the copy by its message id, which the outbox row carries from the start.

``run`` is the experiment: it starts four processes (``forked.Forked``), places three
orders, lets the relay make its pass, kills the shop or the relay at ``step`` of order
``VICTIM`` and restarts it. The kernel sends each process commands (tuples); each
answers in lines of text, which ``Forked.wait_for`` matches. The line protocol::

    kernel -> shop        ("order", N)              place order N, in ``mode``
    shop -> kernel        done N                    order N is written (and sent, or in the outbox)
    kernel -> relay       ("pass",)                 publish every unsent outbox row
    relay -> kernel       pass done: K published    the pass is over: K rows went out
    shop|relay -> kernel  at STEP                   paused at STEP (``STEPS``) of order VICTIM:
                                                    kill me now
    kernel -> hub         ("idle?",)                answer once nothing is held for the consumer
    hub -> kernel         listening on URL          started (``crash_points.start_hub``)
    hub -> kernel         ack stored HUB_ID         the consumer's ack of HUB_ID is stored
    hub -> kernel         idle                      every message is acknowledged
    consumer -> kernel    caught up                 connected, and its getAll answered
    consumer -> kernel    got ID as HUB_ID          e.g. ``got shop:2 as m3``: the shop's message
                                                    shop:2 arrived, as the hub's message m3

Two ids, then: the shop's (``shop:N``, inside the message: the consumer deduplicates by
it) and the hub's (``mN``, one per copy the hub stored). A message the relay published
twice arrives once per hub id with one shop id (``Result.copies``). The hub's and the
consumer's lines are ``crash_hub``'s and ``crash_programs``'s, read by 05b §1 as well.

Over 200 lines for a reason: the experiment's steps and the protocol they speak stay in
one file with the two programs they drive (``shop`` and ``relay``, the module's twins of
what 05b §2 has the learner write by hand; ``tests/test_05b_by_hand.py`` compares them).
"""

import json
import sqlite3
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

from labsupport.crash_points import apply_once, effects, start_consumer, start_hub
from labsupport.crash_programs import post
from labsupport.delivery import check
from labsupport.lab.forked import Forked

SHOP = """CREATE TABLE IF NOT EXISTS orders (number INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS outbox (id TEXT PRIMARY KEY, body TEXT, sent INTEGER DEFAULT 0);"""
VICTIM = 2  # the order whose step is the crash point; orders 1 and 3 go through untouched
STEPS = {  # step: (the process killed there, what it has done)
    "between": ("shop", "one of the two writes is done, the other is not"),
    "order written": ("shop", "order row and outbox row written, not yet committed"),
    "committed": ("shop", "order row and outbox row committed together"),
    "read": ("relay", "the relay has read the unsent row"),
    "published": ("relay", "the hub confirmed it; the row is not yet marked sent"),
    "marked": ("relay", "the row is marked sent"),
}


def record(number):
    return ("shop", number, f"order-{number}")  # (producer, sequence, key)


def body(number):
    return {"id": f"shop:{number}", "record": record(number)}


def pause(conn, step, chosen, number):
    """At the chosen step of the victim order: say so, then wait for SIGKILL."""
    if step == chosen and number == VICTIM:
        conn.send(f"at {step}")
        threading.Event().wait()


def shop(conn, url, path, mode, chosen):
    db = sqlite3.connect(path, isolation_level=None)  # each statement commits, unless BEGIN
    db.executescript(SHOP)
    while True:
        _, number = conn.recv()
        if mode == "write-then-publish":
            db.execute("INSERT INTO orders VALUES (?)", (number,))
            pause(conn, "between", chosen, number)
            post(f"{url}/publish", body(number))
        elif mode == "publish-then-write":
            post(f"{url}/publish", body(number))
            pause(conn, "between", chosen, number)
            db.execute("INSERT INTO orders VALUES (?)", (number,))
        else:  # the outbox: both rows in one transaction
            db.execute("BEGIN")
            db.execute("INSERT INTO orders VALUES (?)", (number,))
            db.execute("INSERT INTO outbox (id, body) VALUES (?, ?)",
                       (f"shop:{number}", json.dumps(body(number))))  # fmt: skip
            pause(conn, "order written", chosen, number)
            db.execute("COMMIT")
            pause(conn, "committed", chosen, number)
        conn.send(f"done {number}")


def relay(conn, url, path, chosen):
    """On each "pass": publish every unsent outbox row, oldest first, marking each sent."""
    db = sqlite3.connect(path, isolation_level=None)
    while True:
        conn.recv()
        rows = db.execute("SELECT id, body FROM outbox WHERE sent = 0 ORDER BY rowid").fetchall()
        for message_id, text in rows:
            number = json.loads(text)["record"][1]
            pause(conn, "read", chosen, number)
            post(f"{url}/publish", json.loads(text))
            pause(conn, "published", chosen, number)
            db.execute("UPDATE outbox SET sent = 1 WHERE id = ?", (message_id,))
            pause(conn, "marked", chosen, number)
        conn.send(f"pass done: {len(rows)} published")


@dataclass(frozen=True)
class Result:
    mode: str
    step: str
    exit_code: int  # of the killed process: -9
    orders: list  # the shop's truth: (producer, sequence, key) of each order row
    applied: list  # every effect the consumer committed, in order
    invented: list  # effects of orders that do not exist
    report: object  # delivery.check(orders, the other effects)
    copies: dict  # message id -> the hub's message ids of the copies the consumer got

    @property
    def verdict(self):
        if self.invented:
            return "invented"
        if self.report.lost:
            return "lost"
        return "duplicated" if self.report.duplicated else "exactly once"


def run(mode, step, apply=apply_once, name=None):
    """Three orders; the shop or the relay killed at ``step`` of order 2; a ``Result``."""
    name = name or f"outbox-{mode}-{step}".replace(" ", "-")
    with tempfile.TemporaryDirectory(prefix="outbox-") as folder:
        experiment = _Experiment(mode, step, name, Path(folder), apply)
        experiment.place_orders()
        if mode == "outbox":
            experiment.relay_pass()
        copies = experiment.settle()
        experiment.stop()
        return experiment.result(copies)


class _Experiment:
    """One ``run``: its processes (``team``), and each of its steps as a method."""

    def __init__(self, mode, step, name, folder, apply):
        self.mode, self.step, self.name, self.folder = mode, step, name, folder
        self.where = STEPS[step][0]  # "shop" or "relay": the process killed at ``step``
        self.exit_code = None  # of the killed process, once it is killed
        hub = start_hub(name, folder, "b", None)
        consumer = start_consumer(name, hub.url, folder, apply, None)
        self.team = {"hub": hub, "consumer": consumer}

    def start(self, role, chosen=None):
        """Start (or restart) the shop or the relay, pausing at step ``chosen`` if given."""
        target, args = (shop, (self.mode,)) if role == "shop" else (relay, ())
        url, path = self.team["hub"].url, str(self.folder / "shop.db")
        self.team[role] = Forked(f"{self.name}-{role}", target, url, path, *args, chosen)
        return self.team[role]

    def kill_and_restart(self, role):
        """Once ``role`` says it is at the step, kill it (-9), and start it again, unpaused."""
        self.team[role].wait_for(f"^at {self.step}$")
        self.exit_code = self.team[role].kill()
        return self.start(role)

    def place_orders(self):
        """Orders 1, 2 and 3; a shop killed at order 2 is restarted, and 2 not placed again."""
        process = self.start("shop", self.step if self.where == "shop" else None)
        for number in (1, 2, 3):
            process.send("order", number)
            if number == VICTIM and self.where == "shop":
                process = self.kill_and_restart("shop")
            else:
                process.wait_for(f"^done {number}$")

    def relay_pass(self):
        """One pass of the relay; a relay killed in it is restarted and makes its pass again."""
        process = self.start("relay", self.step if self.where == "relay" else None)
        process.send("pass")
        if self.where == "relay":
            process = self.kill_and_restart("relay")
            process.send("pass")
        process.wait_for("^pass done")

    def settle(self):
        """Wait until the hub holds nothing, then read which copies the consumer got."""
        hub, consumer = self.team["hub"], self.team["consumer"]
        hub.send("idle?")
        hub.wait_for("^idle$")
        acks = sum(line.startswith("ack stored") for line in hub.lines)
        if acks:  # each acknowledgement followed a "got" line: wait until we have read them
            consumer.wait_for("^got ", count=acks)
        copies = {}  # "got shop:2 as m3": the hub's message id of each copy received
        for _, message_id, _, hub_id in (line.split() for line in consumer.lines
                                         if line.startswith("got")):  # fmt: skip
            copies.setdefault(message_id, []).append(hub_id)
        return copies

    def stop(self):
        for process in self.team.values():
            process.stop()

    def result(self, copies):
        """The shop's orders against the consumer's effects: what was lost, invented, doubled."""
        db = sqlite3.connect(self.folder / "shop.db")
        orders = [record(n) for (n,) in db.execute("SELECT * FROM orders")]
        applied = effects(self.folder / "effects.db")
        invented = [e for e in applied if e not in orders]
        kept = [e for e in applied if e in orders]
        report = check(orders, kept)
        return Result(self.mode, self.step, self.exit_code, orders, applied, invented, report,
                      dict(copies))  # fmt: skip
