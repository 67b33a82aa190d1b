"""Notebook 06's claims, on a real Redis: rooms shared across server processes, and the
count of what a hub took over from a dead one. (The
queue on Redis Streams surviving a killed hub and a restarted Redis, with 10,000
messages each, is in test_faults_at_scale.py.)"""

import os
import subprocess
import sys

import pytest

from labsupport.lab import clients, processes, redis_server, registry, trace
from labsupport.streams_queue import StreamsQueue


@pytest.fixture(autouse=True)
def clean_up():
    yield
    registry.stop_all()


def test_a_room_broadcast_reaches_members_on_every_server_through_redis(redis_url):
    env = {"REDIS_URL": redis_url}
    server_a = processes.start_python_server("rooms-a", "labsupport.lab.examples:rooms_server",
                                             env=env)  # fmt: skip
    server_b = processes.start_python_server("rooms-b", "labsupport.lab.examples:rooms_server",
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
    server_a = processes.start_python_server("rooms-a", "labsupport.lab.examples:rooms_server")
    server_b = processes.start_python_server("rooms-b", "labsupport.lab.examples:rooms_server")
    log = trace.Trace()
    ann = clients.connect("ann", server_a.url, log)
    ben = clients.connect("ben", server_b.url, log)
    ann.call("join", "drivers")
    ben.call("join", "drivers")
    ann.call("announce", {"room": "drivers", "text": "pickup"})
    log.wait_for("announcement", actor="ann")
    assert ben.call("members", "drivers") == 1  # a round trip: anything sent has arrived
    assert [r.event for r in log.records(actor="ben")] == ["connected"]


def test_reclaimed_counts_what_a_consumers_xautoclaim_took_from_a_dead_one(redis_url):
    # notebook 06 section 5 reads this count to show hub B's takeover of hub A
    dead = StreamsQueue(redis_url, consumer="hub-dead")
    alive = StreamsQueue(redis_url, consumer="hub-alive")
    for n in range(3):
        dead.enqueue("reader", "news", n)
    handed_out = dead.deliver("reader", "news")  # pending under hub-dead, never acknowledged
    assert [m.payload for m in handed_out] == [0, 1, 2]
    assert alive.reclaimed() == {}
    taken = alive.deliver("reader", "news")
    assert [(m.payload, m.deliveries) for m in taken] == [(0, 2), (1, 2), (2, 2)]
    assert alive.reclaimed() == {"hub-alive": 3}
    for message in taken:
        alive.ack("reader", "news", message.message_id)
    assert alive.deliver("reader", "news") == [] and alive.reclaimed() == {"hub-alive": 3}


def test_the_benchmark_reads_cpu_time_finer_than_a_clock_tick():
    # notebook 08: /proc/<pid>/stat counts 10 ms ticks; the kernel's CPU clock counts ns
    from labsupport.production.benchmark import cpu_seconds

    busy = ("import time\nt = time.process_time()\nwhile time.process_time() - t < 0.0137: pass\n"
            "print('done', flush=True)\ninput()")  # fmt: skip
    child = subprocess.Popen([sys.executable, "-c", busy], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert child.stdout.readline() == "done\n"  # it has burnt 13.7 ms of CPU, then waits
        used = cpu_seconds(child.pid)
        assert 0.0137 < used < 5
        ticks = used * os.sysconf("SC_CLK_TCK")
        assert abs(ticks - round(ticks)) > 1e-6  # not a whole number of 10 ms ticks
    finally:
        child.communicate("\n", timeout=10)
