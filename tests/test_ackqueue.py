"""labsupport.ackqueue: the queue's rules, for both backends, and SQLite surviving kill -9."""

import signal
import subprocess
import sys

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from labsupport.ackqueue import MemoryQueue, QueueFull
from labsupport.production.group_commit import BatchedSqliteQueue
from labsupport.sqlite_queue import SqliteQueue
from labsupport.streams_queue import StreamsQueue


@pytest.fixture(params=["memory", "sqlite", "sqlite-batched", "redis"])
def make(request, tmp_path):
    """The backends, held to the same rules (side by side: test_queue_rules_side_by_side.py)."""

    def make_queue(**limits):
        if request.param == "memory":
            return MemoryQueue(**limits)
        if request.param.startswith("sqlite"):
            kind = BatchedSqliteQueue if request.param == "sqlite-batched" else SqliteQueue
            return kind(tmp_path / "queue.db", **limits)
        return StreamsQueue(request.getfixturevalue("redis_url"), **limits)

    return make_queue


def test_ack_deletes_only_the_named_message(make):
    queue = make()
    first = queue.enqueue("driver-1", "pickup", {"orderId": 1})
    second = queue.enqueue("driver-1", "pickup", {"orderId": 2})
    other = queue.enqueue("driver-2", "pickup", {"orderId": 1})
    assert queue.ack("driver-1", "pickup", first.message_id) is True
    assert [m.payload for m in queue.pending("driver-1", "pickup")] == [{"orderId": 2}]
    assert [m.message_id for m in queue.pending("driver-2", "pickup")] == [other.message_id]
    assert second.offset > first.offset


def test_pending_is_exactly_the_unacked_in_order_and_resumes_after_an_offset(make):
    queue = make()
    sent = [queue.enqueue("v", "delivered", n) for n in range(5)]
    queue.ack("v", "delivered", sent[1].message_id)
    queue.ack("v", "delivered", sent[3].message_id)
    assert [m.payload for m in queue.pending("v", "delivered")] == [0, 2, 4]
    assert [m.payload for m in queue.pending("v", "delivered", after=sent[2].offset)] == [4]
    assert queue.pending("v", "other-event") == []


@pytest.mark.parametrize("bad_id", ["m999", "m1", "x1", "", None, 1, "m-1", ["m1"]])
def test_duplicate_unknown_or_malformed_acks_are_harmless(make, bad_id):
    queue = make()
    message = queue.enqueue("c", "e", "p")
    assert queue.ack("c", "e", message.message_id) is True
    kept = queue.enqueue("c", "e", "kept")
    assert queue.ack("c", "e", message.message_id) is False  # twice
    assert queue.ack("c", "e", bad_id) is False
    assert queue.ack("someone-else", "e", kept.message_id) is False  # not theirs
    assert [m.payload for m in queue.pending("c", "e")] == ["kept"]


def test_max_length_refuses_visibly(make):
    queue = make(max_length=2)
    queue.enqueue("c", "e", 1)
    queue.enqueue("c", "e", 2)
    with pytest.raises(QueueFull, match="max_length=2"):
        queue.enqueue("c", "e", 3)
    queue.enqueue("c", "other", 3)  # the limit is per client and event
    assert [m.payload for m in queue.pending("c", "e")] == [1, 2]


def test_expired_messages_become_dead_letters_with_the_reason(make):
    now = [100.0]
    queue = make(ttl=10, clock=lambda: now[0])
    queue.enqueue("c", "e", "old")
    now[0] += 5
    queue.enqueue("c", "e", "new")
    now[0] += 6
    assert [m.payload for m in queue.pending("c", "e")] == ["new"]
    ((message, reason),) = queue.dead_letters()
    assert (message.payload, reason) == ("old", "expired: older than ttl=10 s")


def test_too_many_deliveries_become_dead_letters(make):
    queue = make(max_deliveries=2)
    queue.enqueue("c", "e", "never acked")
    assert [m.deliveries for m in queue.deliver("c", "e")] == [1]
    assert [m.deliveries for m in queue.deliver("c", "e")] == [2]
    assert queue.deliver("c", "e") == []
    ((message, reason),) = queue.dead_letters()
    assert "after 2 deliveries" in reason and message.payload == "never acked"


def test_sqlite_keeps_everything_across_a_reopen(tmp_path):
    queue = SqliteQueue(tmp_path / "q.db")
    kept = [queue.enqueue("c", "e", {"n": n}) for n in range(3)]
    queue.ack("c", "e", kept[0].message_id)
    queue.close()
    again = SqliteQueue(tmp_path / "q.db")
    assert [m.payload for m in again.pending("c", "e")] == [{"n": 1}, {"n": 2}]
    assert again.enqueue("c", "e", "next").offset == 4  # offsets are never reused


def test_a_batched_queue_makes_its_changes_durable_at_commit_all_together(tmp_path):
    queue = BatchedSqliteQueue(tmp_path / "q.db")
    elsewhere = SqliteQueue(tmp_path / "q.db")  # another connection: sees only commits
    first = queue.enqueue("c", "e", 1)
    queue.enqueue("c", "e", 2)
    queue.ack("c", "e", first.message_id)
    assert [m.payload for m in queue.pending("c", "e")] == [2]  # its own changes, at once
    assert elsewhere.pending("c", "e") == []  # not on disk yet: a crash now loses them
    queue.commit()
    assert [m.payload for m in elsewhere.pending("c", "e")] == [2]


def test_a_failed_change_in_a_batch_leaves_the_rest_of_the_batch(tmp_path):
    queue = BatchedSqliteQueue(tmp_path / "q.db")
    kept = queue.enqueue("c", "e", "kept")
    with pytest.raises(TypeError):
        queue.enqueue("c", "e", object())  # not JSON: this change alone is undone
    queue.commit()
    assert [m.message_id for m in SqliteQueue(tmp_path / "q.db").pending("c", "e")] == [
        kept.message_id
    ]


WRITER = """
import sys
from labsupport.sqlite_queue import SqliteQueue
queue = SqliteQueue(sys.argv[1], synchronous="NORMAL")
n = 0
while True:
    message = queue.enqueue("client", "event", n)
    print(message.offset, flush=True)  # reported only after the commit returned
    n += 1
"""


def test_sqlite_loses_nothing_it_reported_when_the_process_is_killed(tmp_path):
    path = tmp_path / "killed.db"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE,
                              text=True)  # fmt: skip
    reported = []
    for line in writer.stdout:
        reported.append(int(line))
        if len(reported) == 2000:
            writer.send_signal(signal.SIGKILL)  # kill -9, mid-stream
            break
    writer.wait()
    reported += [int(line) for line in writer.stdout.read().split()]
    stored = {m.offset for m in SqliteQueue(path).pending("client", "event")}
    assert writer.returncode == -9
    assert set(reported) <= stored  # every reported message survived
    assert len(stored) >= 2000


class QueueMachine(RuleBasedStateMachine):
    """Any sequence of enqueue, deliver, ack and reconnect keeps the invariant:
    every enqueued message is either acked or still pending, never both, never gone."""

    def __init__(self):
        super().__init__()
        self.queue = MemoryQueue()
        self.acked, self.enqueued, self.seen_after = set(), {}, {}

    @rule(client=st.sampled_from(["a", "b"]), payload=st.integers())
    def enqueue(self, client, payload):
        message = self.queue.enqueue(client, "e", payload)
        self.enqueued[message.message_id] = client

    @rule(client=st.sampled_from(["a", "b"]), pick=st.integers(0, 50))
    def deliver_and_ack_one(self, client, pick):
        delivered = self.queue.deliver(client, "e")
        if delivered:
            message = delivered[pick % len(delivered)]
            assert self.queue.ack(client, "e", message.message_id)
            self.acked.add(message.message_id)

    @rule(client=st.sampled_from(["a", "b"]), message_id=st.text(max_size=4))
    def stray_ack(self, client, message_id):
        if message_id not in self.enqueued or message_id in self.acked:
            assert not self.queue.ack(client, "e", message_id)

    @rule(client=st.sampled_from(["a", "b"]))
    def reconnect_and_get_all(self, client):
        ids = [m.message_id for m in self.queue.pending(client, "e")]
        offsets = [int(i[1:]) for i in ids]
        assert offsets == sorted(offsets)

    @invariant()
    def acked_xor_pending(self):
        pending = {m.message_id for c in ("a", "b") for m in self.queue.pending(c, "e")}
        assert pending.isdisjoint(self.acked)
        assert pending | self.acked == set(self.enqueued)


TestQueueMachine = QueueMachine.TestCase
TestQueueMachine.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
