"""Notebook 06's claims, on a real Redis: rooms shared across server processes, and the
queue on Redis Streams surviving a killed hub (consumer) and a restarted Redis."""

import time

import pytest
import redis
import requests

from labsupport import clients, processes, redis_server, registry, trace
from labsupport.queue_client import QueueClient
from labsupport.streams_queue import GROUP


@pytest.fixture(autouse=True)
def clean_up():
    yield
    registry.stop_all()


def start_hubs(redis_url, *names):
    env = {"QUEUE_REDIS": redis_url}
    return [processes.start_python_server(name, "labsupport.queue_hub:from_environment",
                                          env=env) for name in names]  # fmt: skip


def publish(hub_url, n, client_id="reader"):
    """POST one message, trying again while the hub answers 503 (its Redis is down)."""
    body = {"clientId": client_id, "event": "news", "payload": n}
    deadline = time.monotonic() + 30
    while True:
        reply = requests.post(f"{hub_url}/publish", json=body, timeout=5)
        if reply.status_code != 503 or time.monotonic() > deadline:
            reply.raise_for_status()
            return reply.json()["messageId"]
        time.sleep(0.05)


def test_a_room_broadcast_reaches_members_on_every_server_through_redis(redis_url):
    env = {"REDIS_URL": redis_url}
    server_a = processes.start_python_server("rooms-a", "labsupport.examples:rooms_server",
                                             env=env)  # fmt: skip
    server_b = processes.start_python_server("rooms-b", "labsupport.examples:rooms_server",
                                             env=env)  # fmt: skip
    log = trace.Trace()
    ann = clients.connect("ann", server_a.url, log)
    ben = clients.connect("ben", server_b.url, log)
    ann.call("join", "drivers")
    ben.call("join", "drivers")
    redis_server.wait_for_subscribers(redis_url, "socketio", 2)
    assert ann.call("announce", {"room": "drivers", "text": "pickup"}) == "sent"
    log.wait_for("announcement", actor="ben")
    log.wait_for("announcement", actor="ann")
    # the broadcast is shared; the membership lists are not: each process knows its own
    assert (ann.call("members", "drivers"), ben.call("members", "drivers")) == (1, 1)


def test_without_redis_the_broadcast_stops_at_the_process_boundary():
    server_a = processes.start_python_server("rooms-a", "labsupport.examples:rooms_server")
    server_b = processes.start_python_server("rooms-b", "labsupport.examples:rooms_server")
    log = trace.Trace()
    ann = clients.connect("ann", server_a.url, log)
    ben = clients.connect("ben", server_b.url, log)
    ann.call("join", "drivers")
    ben.call("join", "drivers")
    ann.call("announce", {"room": "drivers", "text": "pickup"})
    log.wait_for("announcement", actor="ann")
    assert ben.call("members", "drivers") == 1  # a round trip: anything sent has arrived
    assert [r.event for r in log.records(actor="ben")] == ["connected"]


def test_a_killed_hubs_unacknowledged_messages_are_reclaimed_by_another(redis_url):
    hub_a, hub_b = start_hubs(redis_url, "hub-a", "hub-b")
    reader = QueueClient("reader", ["news"], acknowledge=False).connect(hub_a.url)
    reader.drop()
    sent = [publish(hub_b.url, n) for n in range(20)]  # nobody online: all wait in Redis
    reader.rejoin()  # hub A's catch-up hands them out, and the reader never acks
    reader.sync()
    assert [payload for _, payload in reader.log] == list(range(20))
    db = redis.Redis.from_url(redis_url, decode_responses=True)
    owners = db.xpending("queue:reader:news", GROUP)["consumers"]
    assert owners == [{"name": f"hub-{hub_a.pid}", "pending": 20}]

    hub_a.kill()  # the consumer dies between delivery and acknowledgement
    reader.acknowledge = True
    reader.move_to(hub_b.url)
    reader.sync()
    assert [payload for _, payload in reader.log] == list(range(20))  # once each
    assert reader.duplicates == 20  # every one came again, from hub B
    assert db.xpending("queue:reader:news", GROUP)["pending"] == 0
    assert db.xlen("queue:reader:news") == 0, "acknowledged entries are deleted"
    assert len(set(sent)) == 20


def test_redis_killed_and_restarted_mid_stream_loses_nothing():
    own = redis_server.start("restarting-redis")  # its own: this test kills it
    (hub,) = start_hubs(own.url, "hub")
    reader = QueueClient("reader", ["news"]).connect(hub.url)
    total = 2000
    for n in range(total):
        if n == total // 2:
            own.kill()  # kill -9: only what Redis wrote to its append-only file is left
            answer = requests.post(
                f"{hub.url}/publish",
                timeout=5,
                json={"clientId": "reader", "event": "news", "payload": -1},
            )
            assert answer.status_code == 503 and "unreachable" in answer.json()["error"]
            own = redis_server.restart(own)
        publish(hub.url, n)
    reader.drop()  # acknowledgements sent while Redis was down were refused: catch up
    reader.rejoin()
    reader.sync()
    got = [payload for _, payload in reader.log]
    assert sorted(got) == list(range(total)), f"lost: {sorted(set(range(total)) - set(got))}"
    assert len(got) == total
    db = redis.Redis.from_url(own.url)
    assert db.xlen("queue:reader:news") == 0
