"""The dual write, and the outbox that fixes it: a shop that records orders and announces them.

Notebook 05b §2. The shop keeps its orders in its own SQLite file and announces each
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
    where = STEPS[step][0]
    name = name or f"outbox-{mode}-{step}".replace(" ", "-")
    with tempfile.TemporaryDirectory(prefix="outbox-") as folder:
        folder, shop_db = Path(folder), str(Path(folder) / "shop.db")
        hub = start_hub(name, folder, "b", None)
        consumer = start_consumer(name, hub.url, folder, apply, None)
        team = {"hub": hub, "consumer": consumer}

        def start(role, chosen):
            target = shop if role == "shop" else relay
            args = (mode,) if role == "shop" else ()
            team[role] = Forked(f"{name}-{role}", target, hub.url, shop_db, *args, chosen)

        start("shop", step if where == "shop" else None)
        exit_code = None
        for number in (1, 2, 3):
            team["shop"].send("order", number)
            if number == VICTIM and where == "shop":
                team["shop"].wait_for(f"^at {step}$")
                exit_code = team["shop"].kill()
                start("shop", None)  # restarted; the victim order is not placed again
            else:
                team["shop"].wait_for(f"^done {number}$")
        if mode == "outbox":
            start("relay", step if where == "relay" else None)
            team["relay"].send("pass")
            if where == "relay":
                team["relay"].wait_for(f"^at {step}$")
                exit_code = team["relay"].kill()
                start("relay", None)  # restarted: it makes its pass again
                team["relay"].send("pass")
            team["relay"].wait_for("^pass done")
        hub.send("idle?")
        hub.wait_for("^idle$")
        acks = sum(line.startswith("ack stored") for line in hub.lines)
        if acks:  # each acknowledgement followed a "got" line: wait until we have read them
            consumer.wait_for("^got ", count=acks)
        copies = {}  # "got shop:2 as m3": the hub's message id of each copy received
        for _, message_id, _, hub_id in (line.split() for line in consumer.lines
                                         if line.startswith("got")):  # fmt: skip
            copies.setdefault(message_id, []).append(hub_id)
        for process in team.values():
            process.stop()
        orders = [record(n) for (n,) in sqlite3.connect(shop_db).execute("SELECT * FROM orders")]
        applied = effects(folder / "effects.db")
        invented = [e for e in applied if e not in orders]
        kept = [e for e in applied if e in orders]
        return Result(
            mode, step, exit_code, orders, applied, invented, check(orders, kept), dict(copies)
        )
