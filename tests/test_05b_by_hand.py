"""Notebook 05b's hand-built cells against the modules they come before, on the same inputs.

The code under test is the notebook's own: every cell tagged ``built-by-hand`` is taken
from ``notebooks/05b_delivery_guarantees.ipynb`` and run here, so the notebook and this
test cannot drift apart. The learner's shop (``place_order``, ``relay_pass``) must keep
``outbox``'s rules, the learner's ``Window`` must hand out what a real ``CreditHub`` hands
out for any order of acknowledgements, and ``partition_of`` must agree with
``partitions.partition_of`` on every key.
"""

import json
import random
import sqlite3
import zlib

import pytest
from built_cells import run_built
from hypothesis import given
from hypothesis import strategies as st

from labsupport import outbox, partitions
from labsupport.credit import CreditHub, DiskWindowQueue
from labsupport.lab import servers
from labsupport.lab.clients import SimpleClient

NOTEBOOK = "05b_delivery_guarantees.ipynb"


def hand_built():
    """The namespace the notebook's built-by-hand cells define, their ``print`` silenced."""
    names = {"json": json, "sqlite3": sqlite3, "zlib": zlib, "print": lambda *_: None}
    return run_built(NOTEBOOK, names)


@pytest.fixture(scope="module")
def hand():
    return hand_built()


def test_the_notebook_builds_each_part_by_hand():
    names = hand_built()
    for name in ("apply_once", "place_order", "relay_pass", "Window", "partition_of"):
        assert name in names, f"no built-by-hand cell defines {name}"


# --- the outbox ------------------------------------------------------------------------


def test_place_order_writes_the_rows_outbox_writes(hand):
    db = hand["new_shop"]()
    for number in (1, 2, 3):
        hand["place_order"](db, number)
    rows = db.execute("SELECT id, body, sent FROM outbox ORDER BY rowid").fetchall()
    assert [n for (n,) in db.execute("SELECT number FROM orders")] == [1, 2, 3]
    wire = [json.loads(json.dumps(outbox.body(n))) for n in (1, 2, 3)]  # as the hub gets it
    assert [(i, json.loads(b), s) for i, b, s in rows] == [(m["id"], m, 0) for m in wire]


def test_a_refused_outbox_row_takes_the_order_with_it(hand):
    db = hand["new_shop"]()
    db.execute("INSERT INTO outbox (id, body) VALUES ('shop:2', '{}')")  # taken: the insert fails
    db.commit()
    with pytest.raises(sqlite3.IntegrityError):
        hand["place_order"](db, 2)
    assert db.execute("SELECT * FROM orders").fetchall() == []  # rolled back, both or neither


def test_relay_pass_publishes_oldest_first_and_marks_only_what_was_published(hand):
    db, published = hand["new_shop"](), []
    for number in (3, 1, 2):
        hand["place_order"](db, number)

    def publish(message):
        if message["id"] == "shop:2" and "failed" not in published:
            published.append("failed")
            raise ConnectionError("the hub is gone")
        published.append(message["id"])

    with pytest.raises(ConnectionError):
        hand["relay_pass"](db, publish)
    assert db.execute("SELECT id FROM outbox WHERE sent = 0").fetchall() == [("shop:2",)]
    hand["relay_pass"](db, publish)  # a restarted relay: only what was never marked
    assert published == ["shop:3", "shop:1", "failed", "shop:2"]
    assert db.execute("SELECT count(*) FROM outbox WHERE sent = 0").fetchone() == (0,)


# --- the credit window ----------------------------------------------------------------


@pytest.fixture
def credit_hub(tmp_path):
    hub = CreditHub(DiskWindowQueue(str(tmp_path / "window.db")))
    server = servers.serve_socketio(hub.sio, name="test-credit-by-hand")
    yield hub, server
    server.stop()


@pytest.mark.parametrize(("n", "jobs", "seed"), [(1, 4, 1), (3, 7, 2), (3, 7, 3), (5, 12, 4)])
def test_window_holds_what_a_real_credit_hub_holds(hand, credit_hub, n, jobs, seed):
    hub, server = credit_hub
    for job in range(1, jobs + 1):
        server.run(hub.publish("c", "job", job))
    ours, rng = hand["Window"](n, range(1, jobs + 1)), random.Random(seed)
    ours_sent = ours.pump()
    with SimpleClient() as client:
        client.connect(server.url, auth={"clientId": "c", "credit": n})
        client.call("getAll", {"clientId": "c", "event": "job"})
        while window := hub.window[("c", "job")]:
            assert [m.payload for m in window.values()] == ours.out
            assert len(ours.out) == min(n, jobs - len(ours_sent) + len(ours.out))
            acked = rng.choice(list(window.values()))
            client.call(
                "received", {"clientId": "c", "event": "job", "messageId": acked.message_id}
            )
            ours_sent += ours.ack(acked.payload)
        hub_sent = [client.receive(timeout=5)[1]["payload"] for _ in range(jobs)]
    assert hub_sent == ours_sent == list(range(1, jobs + 1))
    assert ours.out == ours.backlog == []


def test_an_ack_of_a_message_not_out_is_refused_by_the_window(hand):
    window = hand["Window"](2, [1, 2, 3])
    window.pump()
    with pytest.raises(ValueError):
        window.ack(3)  # never handed out: nothing to free
    assert window.out == [1, 2]


# --- partitions -----------------------------------------------------------------------


@given(key=st.text(max_size=40), count=st.integers(1, 64))
def test_partition_of_agrees_with_the_module(hand, key, count):
    assert hand["partition_of"](key, count) == partitions.partition_of(key, count)
