"""Notebook 05's hand-built queue, hub and client against labsupport's, on the same inputs.

The code under test is the notebook's own: every cell tagged ``built-by-hand`` is
extracted from ``notebooks/05_message_queue.ipynb`` and run here, so the notebook and
this test cannot drift apart. ``ackqueue`` must keep the notebook's rules: the same
message ids, the same answers to ``ack``, the same catch-up, in memory and on SQLite.
"""

import json
import os
import random
import sqlite3

import pytest
import socketio
from aiohttp import web
from built_cells import built_cells, run_built

from labsupport.ackqueue import MemoryQueue
from labsupport.lab import faults, registry, servers
from labsupport.lab.background import BackgroundLoop
from labsupport.queue_client import QueueClient
from labsupport.queue_hub import QueueHub
from labsupport.sqlite_queue import SqliteQueue

NOTEBOOK = "05_message_queue.ipynb"


def hand_built():
    """The namespace the notebook's built-by-hand cells define, run in notebook order."""
    names = {"json": json, "os": os, "sqlite3": sqlite3, "socketio": socketio, "web": web,
             "BackgroundLoop": BackgroundLoop, "registry": registry}  # fmt: skip
    return run_built(NOTEBOOK, names)


@pytest.fixture(scope="module")
def hand():
    return hand_built()


def test_the_notebook_builds_each_part_in_cells_of_ten_lines_or_fewer():
    cells = built_cells(NOTEBOOK)
    assert len(cells) >= 10
    assert max(len(c.source.splitlines()) for c in cells) <= 10


def operations(seed, steps=300):
    """A random mix of enqueue, ack (good, repeated and bad ids) and catch-up queries."""
    chance = random.Random(seed)
    clients, events = ["driver-1", "driver-2"], ["pickup", "delivered"]
    for step in range(steps):
        who, event = chance.choice(clients), chance.choice(events)
        kind = chance.choice(["enqueue", "enqueue", "ack", "ack", "pending"])
        if kind == "enqueue":
            yield kind, (who, event, {"n": step, "note": chance.choice(["a", "b"])})
        elif kind == "ack":
            message_id = chance.choice([f"m{chance.randint(0, step + 1)}", "m", "x3", "", None])
            yield kind, (who, event, message_id)
        else:
            yield kind, (who, event, chance.randint(0, step + 1))


def answer(queue, kind, args, theirs):
    """What ``queue`` answers, in the wire format (the module's Messages converted)."""
    if kind == "enqueue":
        message = queue.enqueue(*args)
        return message.to_wire() if theirs else message
    if kind == "ack":
        return queue.ack(*args)
    messages = queue.pending(*args)
    return [m.to_wire() for m in messages] if theirs else messages


@pytest.mark.parametrize("seed", range(5))
def test_in_memory_the_module_answers_as_the_notebooks_queue(hand, seed):
    ours, theirs = hand["HandQueue"](), MemoryQueue()
    for kind, args in operations(seed):
        assert answer(ours, kind, args, False) == answer(theirs, kind, args, True), (kind, args)


@pytest.mark.parametrize("seed", range(3))
def test_on_sqlite_the_module_answers_as_the_notebooks_queue(hand, tmp_path, seed):
    ours = hand["SqliteHandQueue"](str(tmp_path / "ours.db"))
    theirs = SqliteQueue(tmp_path / "theirs.db")
    for kind, args in operations(seed, steps=150):
        assert answer(ours, kind, args, False) == answer(theirs, kind, args, True), (kind, args)


def test_the_notebooks_sqlite_queue_keeps_its_messages_and_offsets_across_a_reopen(hand, tmp_path):
    path = str(tmp_path / "q.db")
    first = hand["SqliteHandQueue"](path)
    kept = [first.enqueue("c", "news", n) for n in range(3)]
    first.ack("c", "news", kept[-1]["messageId"])  # the last row deleted: its offset stays used
    again = hand["SqliteHandQueue"](path)
    assert again.pending("c", "news") == kept[:2]
    assert again.enqueue("c", "news", 3)["messageId"] == "m4"


def test_the_notebooks_hub_and_client_deliver_as_the_modules_do(hand):
    schedule = faults.outages(120, offline=0.3, seed=11)
    queue = hand["HandQueue"]()
    sio = hand["hand_hub"](queue)
    ours_server = servers.serve_socketio(sio, name="hand-hub-test")
    hub = QueueHub(MemoryQueue())
    theirs_server = servers.serve_socketio(hub.sio, name="hub-test")
    try:
        ours = hand["HandClient"]("hand-reader", "news")
        ours.connect(ours_server.url)
        publish = hand["publish"]
        faults.run(
            schedule, ours, lambda n: ours_server.run(publish(sio, queue, "hand-reader", "news", n))
        )
        theirs = QueueClient("reader", ["news"]).connect(theirs_server.url)
        faults.run(schedule, theirs, lambda n: theirs_server.run(hub.publish("reader", "news", n)))
        assert ours.log == [payload for _, payload in theirs.log] == list(range(120))
        assert queue.held == {} and hub.queue.pending("reader", "news") == []
    finally:
        servers.stop_all()
