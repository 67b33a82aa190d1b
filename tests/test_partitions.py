"""Notebook 05b §5: per-key order with competing consumers on a real Redis.

Two consumer processes on one stream apply a parcel's ``delivered`` before its
``pickup`` (one of them pauses on the pickup, so the bad interleaving happens every
time); one stream per partition, each read by one consumer, applies every key in
order, even when a partition's consumer is killed with SIGKILL and restarted.
"""

import os
import random
import signal
import subprocess
import sys

import pytest

from labsupport import partitions
from labsupport.delivery import check
from labsupport.lab import registry

PARCELS = [f"parcel-{n}" for n in range(1, 7)]


@pytest.fixture(autouse=True)
def clean_up():
    yield
    registry.stop_all()


@pytest.fixture
def db(redis_url):
    client = partitions.connect(redis_url)
    yield client
    client.close()


def start(url, plan):
    """``plan``: consumer name -> the streams it reads; wait until all of them read."""
    started = [partitions.start_consumer(url, name, streams) for name, streams in plan.items()]
    return {consumer.name: consumer.wait_until_ready() for consumer in started}


def behind_the_hold(messages, count):
    """The messages sent after the held pickup into its stream: they wait for it."""
    held = partitions.stream_of("parcel-7", count)
    return [m for m in messages[1:] if count and partitions.stream_of(m[2], count) == held]


def run(db, url, count, seed, kill_the_holder=False):
    """Send the parcels' events, hold parcel 7's pickup, let everything else apply."""
    streams = ["parcels"] if count is None else [f"parcels:{p}" for p in range(count)]
    partitions.prepare(db, streams)
    plan = {"c1": streams, "c2": streams} if count is None else {
        f"c{p}": [stream] for p, stream in enumerate(streams)}  # fmt: skip
    consumers = start(url, plan)
    messages = partitions.parcel_events(PARCELS, random.Random(seed))
    partitions.send(db, messages[0], count)
    holder, _ = partitions.held(db)
    for message in messages[1:]:
        partitions.send(db, message, count)
    waiting = behind_the_hold(messages, count)
    partitions.wait_applied(db, len(messages) - 1 - len(waiting))
    if kill_the_holder:
        assert consumers[holder].kill() == -signal.SIGKILL
        start(url, {holder: plan[holder]})  # the same name: it finds its pending entry
    else:
        partitions.release(db, holder)
    partitions.wait_applied(db, 1 + len(waiting))
    effects = partitions.applied(db)
    return check([m[:3] for m in messages], [e[:3] for e in effects]), messages, effects


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_two_consumers_on_one_stream_apply_the_delivery_before_the_pickup(db, redis_url, seed):
    report, messages, _ = run(db, redis_url, None, seed)
    assert report.out_of_order == [("shop", 1, "parcel-7")]
    assert not report.lost and not report.duplicated


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_stream_per_partition_keeps_every_key_in_order(db, redis_url, seed):
    report, messages, effects = run(db, redis_url, 2, seed)
    assert report.exactly_once_in_order, report
    assert behind_the_hold(messages, 2), "parcel 7's delivery waited behind its pickup"
    consumers = {partitions.partition_of(key, 2): c for _, _, key, _, c in effects}
    assert len(set(consumers.values())) == 2  # both partitions had work, one reader each


def test_a_partitions_consumer_killed_and_restarted_keeps_the_order(db, redis_url):
    report, _, effects = run(db, redis_url, 2, seed=4, kill_the_holder=True)
    assert report.exactly_once_in_order, report
    assert ("shop", 1, "parcel-7", "pickup") in [e[:4] for e in effects]


def partitions_in_a_new_process(hash_seed):
    code = (
        "from labsupport.partitions import partition_of; "
        f"print([partition_of(k, 4) for k in {PARCELS!r}], [hash(k) % 4 for k in {PARCELS!r}])"
    )
    env = {**os.environ, "PYTHONHASHSEED": str(hash_seed)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    return out.stdout


def test_the_partition_of_a_key_is_the_same_in_every_process_unlike_hash():
    ours = [partitions.partition_of(k, 4) for k in PARCELS]
    first, second = partitions_in_a_new_process(1), partitions_in_a_new_process(2)
    assert first.split("] [")[0] == second.split("] [")[0] == str(ours)[:-1]
    assert first.split("] [")[1] != second.split("] [")[1]  # hash() disagrees between processes
