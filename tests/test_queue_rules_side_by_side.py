"""The queue's rules on its three storages side by side: memory, SQLite, Redis Streams.

``StreamsQueue`` is a ``BaseQueue`` (notebook 06): its limits are ackqueue's code, not
a copy. Each test runs the same inputs on ``MemoryQueue``, ``SqliteQueue`` and
``StreamsQueue`` (a real ``redis-server``, conftest's ``redis_url``) with a clock moved
by hand, turns what came out into a transcript that does not depend on the shape of the
ids (``m7`` or ``1700000000000-0``), and requires the three transcripts to be equal and
to be the one written here.
"""

import pytest
import redis

from labsupport.ackqueue import BaseQueue, MemoryQueue, QueueFull, QueueUnavailable
from labsupport.lab import redis_server
from labsupport.sqlite_queue import SqliteQueue
from labsupport.streams_queue import GROUP, StreamsQueue

STORAGES = ["memory", "sqlite", "redis"]
RULES = ["enqueue", "ack", "pending", "deliver", "dead_letters", "_live", "_unexpired"]


class Clock:
    """Seconds that pass only when the test says so."""

    def __init__(self, now=1000.0):
        self.now = now

    def __call__(self):
        return self.now


def make(storage, request, tmp_path, **limits):
    if storage == "memory":
        return MemoryQueue(**limits)
    if storage == "sqlite":
        return SqliteQueue(tmp_path / "queue.db", **limits)
    return StreamsQueue(request.getfixturevalue("redis_url"), consumer="hub-test", **limits)


def side_by_side(scenario, request, tmp_path, **limits):
    """Run ``scenario(queue, clock)`` on each storage; return ``{storage: transcript}``."""
    transcripts = {}
    for storage in STORAGES:
        clock = Clock()
        queue = make(storage, request, tmp_path, clock=clock, **limits)
        transcripts[storage] = scenario(queue, clock)
    return transcripts


def held(messages):
    return [(m.payload, m.deliveries) for m in messages]


def dead(queue):
    return [(m.payload, m.deliveries, reason) for m, reason in queue.dead_letters()]


def test_streams_queue_writes_no_rule_of_its_own():
    # the limits come from BaseQueue: StreamsQueue writes storage hooks, nothing else
    assert [name for name in RULES if name in vars(StreamsQueue)] == []
    assert issubclass(StreamsQueue, BaseQueue)


def test_max_length_refuses_the_same_message_on_every_storage(request, tmp_path):
    def scenario(queue, clock):
        outcome = [queue.enqueue("c", "e", n).payload for n in (1, 2)]
        try:
            queue.enqueue("c", "e", 3)
        except QueueFull as full:
            outcome.append(str(full))
        queue.enqueue("c", "other", 3)  # the limit is per client and event
        first = queue.pending("c", "e")[0]
        outcome.append(queue.ack("c", "e", first.message_id))
        outcome.append(queue.enqueue("c", "e", 4).payload)  # room again after an ack
        return outcome + [held(queue.pending("c", "e")), held(queue.pending("c", "other"))]

    expected = [1, 2, "'c' already has 2 'e' messages waiting (max_length=2)", True, 4,
                [(2, 0), (4, 0)], [(3, 0)]]  # fmt: skip
    assert side_by_side(scenario, request, tmp_path, max_length=2) == dict.fromkeys(
        STORAGES, expected
    )


def test_ttl_moves_old_messages_to_the_dead_letters_when_read_or_delivered(request, tmp_path):
    def scenario(queue, clock):
        queue.enqueue("c", "e", "old")
        clock.now += 5
        queue.enqueue("c", "e", "new")
        clock.now += 6  # "old" is 11 s old, "new" 6 s
        outcome = [held(queue.pending("c", "e")), dead(queue)]
        outcome.append(held(queue.deliver("c", "e")))  # "new" handed out once
        clock.now += 5  # "new" is 11 s old, and delivered, never acknowledged
        outcome += [held(queue.deliver("c", "e")), held(queue.pending("c", "e")), dead(queue)]
        return outcome

    reason = "expired: older than ttl=10 s"
    expected = [[("new", 0)], [("old", 0, reason)], [("new", 1)], [], [],
                [("old", 0, reason), ("new", 1, reason)]]  # fmt: skip
    assert side_by_side(scenario, request, tmp_path, ttl=10) == dict.fromkeys(STORAGES, expected)


def test_max_deliveries_sets_a_poison_message_aside(request, tmp_path):
    def scenario(queue, clock):
        queue.enqueue("c", "e", "poison")
        acked = queue.enqueue("c", "e", "fine")
        outcome = [held(queue.deliver("c", "e"))]
        outcome.append(queue.ack("c", "e", acked.message_id))
        outcome += [held(queue.deliver("c", "e")) for _ in range(2)]
        return outcome + [dead(queue), held(queue.pending("c", "e"))]

    reason = "not acknowledged after 2 deliveries"
    expected = [[("poison", 1), ("fine", 1)], True, [("poison", 2)], [],
                [("poison", 2, reason)], []]  # fmt: skip
    assert side_by_side(scenario, request, tmp_path, max_deliveries=2) == dict.fromkeys(
        STORAGES, expected
    )


BAD_IDS = ["m999", "99999999999999-0", "0-0", "m1-0", "x1", "", None, 1, "m-1", ["m1"], "1-"]


def test_acks_twice_unknown_or_malformed_change_nothing(request, tmp_path):
    def scenario(queue, clock):
        message = queue.enqueue("c", "e", "acked")
        kept = queue.enqueue("c", "e", "kept")
        outcome = [queue.ack("c", "e", message.message_id), queue.ack("c", "e", message.message_id)]
        outcome.append([queue.ack("c", "e", bad) for bad in BAD_IDS])
        outcome.append(queue.ack("someone-else", "e", kept.message_id))  # not theirs
        outcome.append(queue.ack("c", "other-event", kept.message_id))
        return outcome + [held(queue.pending("c", "e")), dead(queue)]

    expected = [True, False, [False] * len(BAD_IDS), False, False, [("kept", 0)], []]
    assert side_by_side(scenario, request, tmp_path) == dict.fromkeys(STORAGES, expected)


def test_pending_and_deliver_after_an_offset_give_only_what_came_later(request, tmp_path):
    def scenario(queue, clock):
        sent = [queue.enqueue("v", "delivered", n) for n in range(5)]
        queue.ack("v", "delivered", sent[1].message_id)
        queue.ack("v", "delivered", sent[3].message_id)
        after = sent[2].offset  # the last offset the client saw
        return [
            [m.payload for m in queue.pending("v", "delivered")],
            [m.payload for m in queue.pending("v", "delivered", after=after)],
            [m.payload for m in queue.deliver("v", "delivered", after=after)],
            [m.payload for m in queue.pending("v", "delivered", after=sent[4].offset)],
            queue.pending("v", "other-event"),
        ]

    expected = [[0, 2, 4], [4], [4], [], []]
    assert side_by_side(scenario, request, tmp_path) == dict.fromkeys(STORAGES, expected)


def test_what_redis_holds_after_the_rules_ran(redis_url):
    # the rules' outcome, seen in Redis itself: a dead letter leaves stream and pending list
    clock = Clock()
    queue = StreamsQueue(redis_url, consumer="hub-test", ttl=10, max_deliveries=1, clock=clock)
    queue.enqueue("c", "e", "poison")
    assert held(queue.deliver("c", "e")) == [("poison", 1)]
    assert queue.deliver("c", "e") == []  # handed out once, never acknowledged: set aside
    queue.enqueue("c", "e", "stale")
    queue.ack("c", "e", queue.enqueue("c", "e", "acked").message_id)
    clock.now += 5
    queue.enqueue("c", "e", "late")
    clock.now += 6  # "stale" is 11 s old, "late" 6 s
    assert held(queue.deliver("c", "e")) == [("late", 1)]
    db = redis.Redis.from_url(redis_url, decode_responses=True)
    pending = db.xpending("queue:c:e", GROUP)
    assert (db.xlen("queue:c:e"), pending["pending"]) == (1, 1)  # only "late", held by us
    assert [(p, reason[:7]) for p, _, reason in dead(queue)] == [("poison", "not ack"),
                                                                  ("stale", "expired")]  # fmt: skip


def test_redis_unreachable_is_queue_unavailable_for_every_operation():
    queue = StreamsQueue(f"redis://127.0.0.1:{redis_server.free_port()}", ttl=10)
    operations = [
        lambda: queue.enqueue("c", "e", 1),
        lambda: queue.ack("c", "e", "1-0"),
        lambda: queue.pending("c", "e"),
        lambda: queue.deliver("c", "e"),
        lambda: queue.dead_letters(),
        lambda: queue.reclaimed(),
    ]
    for operation in operations:
        with pytest.raises(QueueUnavailable, match="is unreachable"):
            operation()
    assert queue.ack("c", "e", "not an id") is False  # malformed: no need to ask Redis
    assert not queue.lock.locked()  # a failed operation gives the lock back
