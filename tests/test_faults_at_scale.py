"""Faults at scale: 10,000 messages through each fault, and what came out.

Each test prints (run pytest with ``-s`` to see it) what was sent, delivered,
duplicated (received again under the same message id, and dropped by the client) and
lost, and asserts it: nothing lost from a durable queue; from the in-memory queue,
exactly the kind of loss notebook 05 shows, at this scale.

The producer is a program POSTing to ``/publish`` with 32 requests in flight, which
tries again while the hub answers 503 (its storage is down). The receiver is notebook
05's ``QueueClient``: it catches up on every (re)connect and acknowledges each message.
"""

import asyncio
import random
import time

import aiohttp
import pytest
import redis

from labsupport.lab import processes, redis_server, registry
from labsupport.queue_client import QueueClient
from labsupport.streams_queue import GROUP

COUNT = 10_000
HUB = "labsupport.production.queue_program:from_environment"


@pytest.fixture(autouse=True)
def clean_up():
    yield
    registry.stop_all()


def publish_all(url, numbers, in_flight=32, client_id="reader", retry_for=30):
    """POST each number as a message to ``client_id``; return them once all are accepted.

    A 503 (the hub's storage is down: nothing was queued) is tried again for
    ``retry_for`` seconds."""

    async def publish(session, gate, n):
        body = {"clientId": client_id, "event": "news", "payload": n}
        deadline = time.monotonic() + retry_for
        async with gate:
            while True:
                async with session.post(f"{url}/publish", json=body) as reply:
                    if reply.status != 503 or time.monotonic() > deadline:
                        reply.raise_for_status()
                        return
                await asyncio.sleep(0.05)  # storage down: nothing was queued, try again

    async def publish_every_one():
        gate = asyncio.Semaphore(in_flight)
        async with aiohttp.ClientSession() as session:
            await asyncio.gather(*(publish(session, gate, n) for n in numbers))

    asyncio.run(publish_every_one())
    return list(numbers)


def outcome(fault, sent, reader):
    """Print and return the lost messages; check nothing arrived twice under two ids."""
    got = [payload for _, payload in reader.log]
    lost = set(sent) - set(got)
    print(f"\n{fault}: sent {len(sent)}, delivered {len(set(got))}, "
          f"duplicates removed {reader.duplicates}, lost {len(lost)}")  # fmt: skip
    assert len(got) == len(set(got)), "a message was delivered under two message ids"
    return lost


@pytest.mark.parametrize("storage", ["memory", "sqlite-batched"])
def test_the_hub_killed_mid_stream(storage, tmp_path):
    env = {} if storage == "memory" else {"QUEUE_DB": str(tmp_path / "q.db"), "QUEUE_BATCH": "1"}
    hub = processes.start_python_server("hub", HUB, env=env)
    reader = QueueClient("reader", ["news"]).connect(hub.url)
    sent = publish_all(hub.url, range(0, 2500))
    reader.sync(timeout=60)  # these are delivered and acknowledged...
    reader.drop()  # ...then the reader goes offline: the next 2,500 wait in the hub's queue
    sent += publish_all(hub.url, range(2500, 5000))
    port = hub.port
    assert hub.kill() == -9
    hub = processes.start_python_server("hub", HUB, port, env=env)
    reader.rejoin()
    sent += publish_all(hub.url, range(5000, COUNT))
    reader.sync(timeout=60)
    lost = outcome(f"hub kill -9, queue in {storage}", sent, reader)
    if storage == "memory":  # what the killed process held is gone, and nothing else
        assert lost == set(range(2500, 5000))
    else:
        assert lost == set()


def test_the_client_dropped_and_back_at_random_moments(tmp_path):
    env = {"QUEUE_DB": str(tmp_path / "q.db"), "QUEUE_BATCH": "1"}
    hub = processes.start_python_server("hub", HUB, env=env)
    reader = QueueClient("reader", ["news"]).connect(hub.url)
    chance, sent, drops = random.Random(11), [], 0
    for start in range(0, COUNT, 250):
        sent += publish_all(hub.url, range(start, start + 250))
        if reader.connected and chance.random() < 0.5:
            reader.drop()  # mid-delivery: the last messages may not be acknowledged yet
            drops += 1
        elif not reader.connected and chance.random() < 0.6:
            reader.rejoin()
    if not reader.connected:
        reader.rejoin()
    reader.sync(timeout=60)
    assert outcome(f"client dropped {drops} times", sent, reader) == set()
    assert drops >= 10


def test_redis_killed_and_restarted_mid_stream():
    own = redis_server.start("restarting-redis")  # its own: this test kills it
    hub = processes.start_python_server("hub", HUB, env={"QUEUE_REDIS": own.url})
    reader = QueueClient("reader", ["news"]).connect(hub.url)
    sent = publish_all(hub.url, range(COUNT // 2))
    own.kill()  # kill -9: only what Redis wrote to its append-only file is left
    with pytest.raises(aiohttp.ClientResponseError, match="503"):
        publish_all(hub.url, [-1], retry_for=0)  # refused, with nothing queued
    own = redis_server.restart(own)
    sent += publish_all(hub.url, range(COUNT // 2, COUNT))
    reader.drop()  # acknowledgements sent while Redis was down were refused: catch up
    reader.rejoin(timeout=60)  # thousands may be waiting: a busy machine takes seconds
    reader.sync(timeout=60)
    assert outcome("Redis kill -9 and restart", sent, reader) == set()
    assert redis.Redis.from_url(own.url).xlen("queue:reader:news") == 0


def test_a_hub_killed_between_delivery_and_acknowledgement(redis_url):
    env = {"QUEUE_REDIS": redis_url}
    hub_a, hub_b = (processes.start_python_server(name, HUB, env=env) for name in "ab")
    reader = QueueClient("reader", ["news"], acknowledge=False).connect(hub_a.url)
    reader.drop()
    sent = publish_all(hub_b.url, range(COUNT))  # nobody online: all wait in Redis
    reader.rejoin(timeout=60)  # hub A's catch-up hands them all out; the reader never acks
    reader.sync(timeout=60)
    db = redis.Redis.from_url(redis_url, decode_responses=True)
    owners = db.xpending("queue:reader:news", GROUP)["consumers"]
    assert owners == [{"name": f"hub-{hub_a.pid}", "pending": COUNT}]

    hub_a.kill()  # the consumer dies holding 10,000 unacknowledged deliveries
    reader.acknowledge = True
    reader.move_to(hub_b.url, timeout=60)  # hub B claims them (XAUTOCLAIM) and sends them again
    reader.sync(timeout=60)
    assert outcome("hub kill -9 between delivery and ack", sent, reader) == set()
    assert reader.duplicates == COUNT  # every one came twice, and was kept once
    assert db.xpending("queue:reader:news", GROUP)["pending"] == 0
    assert db.xlen("queue:reader:news") == 0, "acknowledged entries are deleted"
