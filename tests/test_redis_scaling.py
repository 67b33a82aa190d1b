"""Notebook 06's claims, on a real Redis: rooms shared across server processes. (The
queue on Redis Streams surviving a killed hub and a restarted Redis, with 10,000
messages each, is in test_faults_at_scale.py.)"""

import pytest

from labsupport import clients, processes, redis_server, registry, trace


@pytest.fixture(autouse=True)
def clean_up():
    yield
    registry.stop_all()


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
