"""Notebook 05b §4: a slow consumer against a fast producer, measured in the hub process.

Unbounded, the hub's own memory (``tracemalloc``, ``GET /memory``) grows with its
backlog; bounded (``max_length``), the producer is refused with 429 and the memory
stays under a bound. The credit hub never has more than N messages in flight, and
killed with SIGKILL in the middle of a drain it loses nothing (the backlog is on disk).
"""

import threading
import time

import pytest
import requests
import socketio

from labsupport.credit import DiskWindowQueue
from labsupport.lab import processes, registry
from labsupport.lab.clients import SimpleClient
from labsupport.queue_client import QueueClient

PROGRAM = "labsupport.production.flow_program:from_environment"
JOB = "x" * 20_000


@pytest.fixture(autouse=True)
def clean_up():
    yield
    registry.stop_all()


def hub(name, **env):
    return processes.start_python_server(name, PROGRAM, env=env)


class SlowConsumer:
    """Handles one job per ``work`` seconds (a sleep standing for the work), then acks."""

    def __init__(self, url, name, work):
        self.app, self.name, self.work, self.done = SimpleClient(), name, work, 0
        self.app.connect(url, auth={"clientId": name})
        self.app.call("getAll", {"clientId": name, "event": "job"})
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stopping.is_set():
            try:
                _, message = self.app.receive(timeout=0.1)
            except socketio.exceptions.TimeoutError:
                continue
            time.sleep(self.work)
            self.app.emit("received", {k: message[k] for k in ("clientId", "event", "messageId")})
            self.done += 1

    def stop(self):
        self.stopping.set()
        self.thread.join(5)
        self.app.disconnect()


def flood(url, name, count):
    """Post ``count`` jobs, retrying on 429; return (refusals, the hub's /memory samples)."""
    web, accepted, refused, samples = requests.Session(), 0, 0, []
    while accepted < count:
        reply = web.post(f"{url}/publish", json={"clientId": name, "event": "job", "payload": JOB})
        if reply.status_code == 429:
            refused += 1
            time.sleep(0.002)
            continue
        reply.raise_for_status()
        accepted += 1
        if accepted % 10 == 0:
            samples.append(web.get(f"{url}/memory", timeout=5).json())
    return refused, samples


def test_bounded_the_hubs_memory_stays_under_a_bound_while_unbounded_it_grows():
    unbounded, bounded = hub("unbounded-hub"), hub("bounded-hub", FLOW_MAX_LENGTH="3")
    grew = {}
    for server in (unbounded, bounded):
        consumer = SlowConsumer(server.url, "slow", work=0.05)
        refused, samples = flood(server.url, "slow", 50)
        consumer.stop()
        traced = [sample["traced"] for sample in samples]
        grew[server.name] = (max(traced) - traced[0], refused, max(s["held"] for s in samples))
    memory, refused, most_held = grew["bounded-hub"]
    assert refused > 0 and most_held <= 3
    assert memory < 250_000  # a few 20 KB jobs, and the hub's own bookkeeping
    memory, refused, most_held = grew["unbounded-hub"]
    assert refused == 0 and most_held > 20
    assert memory > 15_000 * (most_held - 10)  # at least 15 KB more per job held


def drained(reader, count, rounds=2000):
    """Round trips (``sync``, each answered after everything sent before it) until the
    reader has ``count`` messages."""
    for _ in range(rounds):
        if len(reader.log) >= count:
            return
        reader.sync(10)
    raise TimeoutError(f"{len(reader.log)} of {count} after {rounds} round trips")


def backlog(path, client_id, count):
    store = DiskWindowQueue(path, "NORMAL")
    for n in range(count):
        store.enqueue(client_id, "job", n)
    store.close()


@pytest.mark.parametrize("credit", [1, 7])
def test_the_credit_hub_never_has_more_than_n_in_flight_and_delivers_all_in_order(tmp_path, credit):
    path = str(tmp_path / "jobs.db")
    backlog(path, "reader", 40)
    server = hub("credit-hub", FLOW_DB=path, FLOW_CREDIT=str(credit))
    reader = QueueClient("reader", ["job"]).connect(server.url)
    drained(reader, 40)
    window = requests.get(f"{server.url}/memory", timeout=5).json()["window"]["reader"]
    assert [payload for _, payload in reader.log] == list(range(40))
    assert window[0] == credit and reader.duplicates == 0


def test_the_credit_hub_killed_in_the_middle_of_a_drain_loses_nothing(tmp_path):
    path = str(tmp_path / "jobs.db")
    backlog(path, "reader", 200)
    server = hub("credit-hub", FLOW_DB=path, FLOW_CREDIT="10")
    reader = QueueClient("reader", ["job"]).connect(server.url)
    port = server.port
    assert server.kill() == -9  # SIGKILL, whatever was in flight
    had = len(reader.log)
    server = processes.start_python_server("credit-hub", PROGRAM, port, env={
        "FLOW_DB": path, "FLOW_CREDIT": "10"})  # fmt: skip
    reader.move_to(server.url)  # give up on the dead one; the new one, on its port
    drained(reader, 200)
    assert [payload for _, payload in reader.log] == list(range(200))
    assert had < 200  # the kill came before the end
    assert acknowledged_all(path, "reader", "job")


def acknowledged_all(path, client_id, event, within=10.0):
    """Has the hub stored every acknowledgement? The last one may still be on its way
    when the reader holds all it asked for, so wait for it, up to ``within`` seconds."""
    deadline = time.monotonic() + within
    while DiskWindowQueue(path).pending(client_id, event):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_credit_that_is_not_a_whole_number_is_refused_at_connect(tmp_path):
    server = hub("credit-hub", FLOW_DB=str(tmp_path / "jobs.db"))
    client, refusals = socketio.Client(reconnection=False), []
    client.on("connect_error", refusals.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(server.url, auth={"clientId": "reader", "credit": 0}, wait_timeout=5)
    assert "credit must be a whole number >= 1, not 0" in str(refusals)
