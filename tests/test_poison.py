"""Notebook 05b §3: a poison message, redelivered until ``max_deliveries``, then a dead letter.

The driver app is the notebook's own code, taken from its cells (``label``, ``catch_up``,
``acknowledge``, ``attempt``, ``life``, ``start_hub``, ``held``, ``lives``), against a
real hub on 127.0.0.1. The last test runs the app as a process of its own that hangs
on the poison, and kills it with SIGKILL each time, as a watchdog would.
"""

import re
import signal
import sys
from pathlib import Path

import nbformat
import pytest
import socketio

from labsupport.ackqueue import MemoryQueue
from labsupport.lab import processes, registry, servers
from labsupport.queue_hub import QueueHub

NOTEBOOK = Path(__file__).parent.parent / "notebooks" / "05b_delivery_guarantees.ipynb"
DEFINED = ("label", "catch_up", "attempt", "life", "start_hub", "held", "lives")


def notebook_code():
    """The cells that define the app and the experiment, run in a fresh namespace."""
    cells = nbformat.read(NOTEBOOK, as_version=4).cells
    namespace = {"socketio": socketio, "servers": servers, "QueueHub": QueueHub,
                 "MemoryQueue": MemoryQueue}  # fmt: skip
    for cell in cells:
        if cell.cell_type == "code" and re.match(rf"def ({'|'.join(DEFINED)})\(", cell.source):
            exec(compile(cell.source, "<05b cell>", "exec"), namespace)
    return namespace


@pytest.fixture
def nb():
    yield notebook_code()
    registry.stop_all()


def test_without_a_limit_the_app_is_blocked_and_the_poisons_count_keeps_growing(nb):
    hub, server = nb["start_hub"](limit=None)
    labels, history = nb["lives"](hub, server, 6)
    assert all(crashed for crashed, _ in history)
    assert labels == ["order 1: 1 PIKE ST"]  # orders 3-5, behind the poison, never reached
    assert [held[2] for _, held in history] == [1, 2, 3, 4, 5, 6]
    assert sorted(history[-1][1]) == [2, 3, 4, 5]
    assert hub.queue.dead_letters() == []


def test_a_limit_with_an_app_that_crashes_buries_the_orders_behind_the_poison_too(nb):
    hub, server = nb["start_hub"](limit=3)
    labels, history = nb["lives"](hub, server, 5)
    assert [crashed for crashed, _ in history] == [True, True, True, False, False]
    dead = {m.payload["orderId"]: reason for m, reason in hub.queue.dead_letters()}
    assert sorted(dead) == [2, 3, 4, 5] and len(labels) == 1
    assert set(dead.values()) == {"not acknowledged after 3 deliveries"}


def test_an_app_that_isolates_the_failure_keeps_the_others_flowing_while_the_poison_dies(nb):
    hub, server = nb["start_hub"](limit=3)
    labels, history = nb["lives"](hub, server, 1, on_failure="skip")
    server.run(hub.publish("driver-7", "order", {"orderId": 6, "address": "6 Pike St"}))
    later_labels, later = nb["lives"](hub, server, 3, on_failure="skip")
    assert labels == [f"order {n}: {n} PIKE ST" for n in (1, 3, 4, 5)]
    assert later_labels == ["order 6: 6 PIKE ST"]
    assert [held.get(2) for _, held in history + later] == [1, 2, 3, None]
    assert [m.payload["orderId"] for m, _ in hub.queue.dead_letters()] == [2]


HANGING_APP = r"""
import sys, threading
import socketio

URL, NAME = sys.argv[1:3]
with socketio.SimpleClient() as app:
    app.connect(URL, auth={"clientId": NAME})
    sent = app.call("getAll", {"clientId": NAME, "event": "order"})["sent"]
    for _ in range(sent):
        _, message = app.receive(timeout=5)
        order = message["payload"]
        print("handling order", order["orderId"], flush=True)
        if order["address"] is None:
            threading.Event().wait()  # the poison: the label printer hangs on it
        app.call("received", {k: message[k] for k in ("clientId", "event", "messageId")})
    app.call("getAll", {"clientId": NAME, "event": "order", "after": 1 << 62})
print("queue done", flush=True)
"""


def app_life(url):
    """Start the app as a process; return it once it hangs on order 2 or has finished."""
    argv = [sys.executable, "-c", HANGING_APP, url, "driver-7"]
    ready = re.compile(r"handling order 2|queue done")
    return processes.start_process("driver-app", argv, ready=ready)


def test_a_real_app_process_hanging_on_the_poison_is_killed_until_the_limit_buries_it(nb):
    hub, server = nb["start_hub"](limit=3)
    counts = []
    for _ in range(3):
        app = app_life(server.url)
        assert app.kill() == -signal.SIGKILL
        counts.append({m.payload["orderId"]: m.deliveries
                       for m in hub.queue.pending("driver-7", "order")})  # fmt: skip
    assert [c[2] for c in counts] == [1, 2, 3]
    assert 1 not in counts[0]  # order 1 was labelled and acknowledged before the hang
    last = app_life(server.url)  # the fourth life: order 2 is over its limit
    assert last.output[-1] == "queue done" and last.proc.wait(10) == 0
    assert [m.payload["orderId"] for m, _ in hub.queue.dead_letters()] == [2, 3, 4, 5]
