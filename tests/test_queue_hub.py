"""labsupport.queue_hub and queue_client: the contract, bad input, and kill -9 mid-stream."""

import asyncio

import pytest
import requests
import socketio
from aiohttp import web

from labsupport.ackqueue import MemoryQueue
from labsupport.lab import faults, servers
from labsupport.lab.clients import SimpleClient
from labsupport.production.group_commit import BatchedSqliteQueue, GroupCommitHub
from labsupport.queue_client import QueueClient
from labsupport.queue_hub import QueueHub
from labsupport.sqlite_queue import SqliteQueue


@pytest.fixture
def hub():
    hub = QueueHub(MemoryQueue())
    server = servers.serve_socketio(hub.sio, name="hub", app=hub.add_routes(web.Application()))
    hub.url = server.url
    hub.server = server
    yield hub
    servers.stop_all()


def raw_client(url, client_id="raw"):
    client = SimpleClient()
    client.connect(url, auth={"clientId": client_id})
    return client


def test_a_connection_without_a_client_id_is_refused_with_the_reason(hub):
    client = socketio.Client()
    errors = []
    client.on("connect_error", errors.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(hub.url, wait_timeout=5)
    assert errors == [{"message": 'connect with auth={"clientId": "<a name you keep>"}'}]


BAD = [None, "x", 3, [], {}, {"clientId": "raw"}, {"clientId": "raw", "event": "news"},
       {"clientId": 1, "event": "news", "messageId": "m1"},
       {"clientId": "raw", "event": "news", "messageId": ["m1"]}]  # fmt: skip


@pytest.mark.parametrize("data", BAD)
def test_malformed_received_gets_an_error_ack_and_changes_nothing(hub, data):
    hub.server.run(hub.publish("raw", "news", "kept"))
    with raw_client(hub.url) as client:
        reply = client.call("received", data, timeout=5)
        assert set(reply) == {"error"} and "received" in reply["error"]
    assert [m.payload for m in hub.queue.pending("raw", "news")] == ["kept"]


@pytest.mark.parametrize("data", [None, "x", {"clientId": "raw"}, {"event": "news"},
                                  {"clientId": "raw", "event": "news", "after": "m1"}])  # fmt: skip
def test_malformed_get_all_gets_an_error_ack_and_sends_nothing(hub, data):
    with raw_client(hub.url) as client:
        hub.server.run(hub.publish("raw", "news", "kept"))
        client.receive(timeout=5)  # the live copy
        reply = client.call("getAll", data, timeout=5)
        assert set(reply) == {"error"}
        with pytest.raises(socketio.exceptions.TimeoutError):
            client.receive(timeout=0.3)


def test_get_all_resends_exactly_the_unacked_in_order_and_received_deletes(hub):
    with raw_client(hub.url) as client:
        for n in range(4):
            hub.server.run(hub.publish("raw", "news", n))
        live = [client.receive(timeout=5)[1] for _ in range(4)]
        assert [m["payload"] for m in live] == [0, 1, 2, 3]
        ack = {k: live[1][k] for k in ("clientId", "event", "messageId")}
        assert client.call("received", ack, timeout=5) == {"ok": True, "deleted": True}
        assert client.call("received", ack, timeout=5) == {"ok": True, "deleted": False}
        assert client.call("getAll", {"clientId": "raw", "event": "news"}, timeout=5) == {"sent": 3}
        again = [client.receive(timeout=5)[1]["payload"] for _ in range(3)]
    assert again == [0, 2, 3]


def test_http_publish_validates_its_input(hub):
    assert requests.post(f"{hub.url}/publish", json={"event": "x"}, timeout=5).status_code == 400
    reply = requests.post(f"{hub.url}/publish", timeout=5,
                          json={"clientId": "raw", "event": "news", "payload": 1})  # fmt: skip
    assert reply.json() == {"messageId": "m1"}


def test_a_client_offline_on_a_schedule_gets_everything_once_in_order(hub):
    client = QueueClient("reader", ["news"]).connect(hub.url)
    schedule = faults.outages(150, offline=0.4, seed=3)
    assert 0 < sum(schedule) < 150
    faults.run(schedule, client, lambda n: hub.server.run(hub.publish("reader", "news", n)))
    assert [payload for _, payload in client.log] == list(range(150))
    assert hub.queue.pending("reader", "news") == []


def test_a_client_that_never_acks_gets_duplicates_and_drops_them(hub):
    client = QueueClient("forgetful", ["news"], acknowledge=False).connect(hub.url)
    for n in range(3):
        hub.server.run(hub.publish("forgetful", "news", n))
    client.sync()
    client.drop()
    client.rejoin()
    client.sync()
    assert (len(client.log), client.duplicates) == (3, 3)


def test_group_commit_stores_each_publish_before_it_returns_with_fewer_commits(tmp_path):
    class CountedQueue(BatchedSqliteQueue):
        commits = 0

        def commit(self):
            self.commits += 1
            super().commit()

    queue = CountedQueue(tmp_path / "q.db")
    hub = GroupCommitHub(queue)
    elsewhere = SqliteQueue(tmp_path / "q.db")  # sees only what is committed
    durable_when_returned = []

    async def publish(n):
        message = await hub.publish("c", "e", n)
        stored = {m.message_id for m in elsewhere.pending("c", "e")}
        durable_when_returned.append(message.message_id in stored)

    async def publish_many():
        await asyncio.gather(*(publish(n) for n in range(50)))

    asyncio.run(publish_many())
    assert durable_when_returned == [True] * 50
    assert 1 <= queue.commits < 50  # the publishes of the same moment shared commits
    print(f"\n50 publishes, {queue.commits} commits")
