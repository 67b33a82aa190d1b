"""Bad input, half-open connections, ping settings and load, against the course's hub.

Each bad input gets a clear answer (an error, a refusal, or the connection closed),
the hub keeps serving a well-behaved client, and no queued message is lost or changed.
"""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
import socketio
import websocket
from aiohttp import web

from labsupport import caps
from labsupport.ackqueue import MemoryQueue
from labsupport.lab import examples, processes, registry, servers
from labsupport.lab.clients import SimpleClient
from labsupport.queue_client import QueueClient
from labsupport.queue_hub import QueueHub

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def hub():
    hub = QueueHub(MemoryQueue(), connect_timeout=1, max_http_buffer_size=10_000)
    app = hub.add_routes(web.Application())
    hub.url = servers.serve_socketio(hub.sio, name="hub", app=app).url
    hub.queue.enqueue("keeper", "news", "kept")  # must survive everything below
    yield hub
    registry.stop_all()


def still_serving(hub):
    """A well-behaved client still connects, catches up and acknowledges."""
    hub.queue.enqueue("reader", "news", "hello")  # waiting for it: the catch-up brings it
    client = QueueClient("reader", ["news"]).connect(hub.url)
    requests.post(f"{hub.url}/publish", json={"clientId": "reader", "event": "news",
                                              "payload": "live"}, timeout=5)  # fmt: skip
    client.sync()
    assert [payload for _, payload in client.log] == ["hello", "live"]
    client.stop()
    assert [m.payload for m in hub.queue.pending("keeper", "news")] == ["kept"]
    return True


def raw_websocket(url, origin=None):
    ws_url = url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
    options = {"origin": origin} if origin else {"suppress_origin": True}
    ws = websocket.create_connection(ws_url, timeout=5, **options)
    assert ws.recv().startswith("0{")  # the Engine.IO handshake
    return ws


def closed(ws):
    """True once the server has closed this WebSocket (reading until it does)."""
    try:
        while True:
            frame = ws.recv()
            if frame == "" or frame.startswith("1"):  # end of stream, or an Engine.IO close
                return True
    except (websocket.WebSocketConnectionClosedException, ConnectionError):
        return True
    except websocket.WebSocketTimeoutException:
        return False


MALFORMED = ["garbage", "4", "4{", "42[", "42[1,2", '42["received"', "49zz", "4" + "9" * 40,
             "40/nope,", '42/nowhere,["x"]', "\x00\xff"]  # fmt: skip


@pytest.mark.parametrize("packet", MALFORMED)
def test_a_malformed_packet_closes_that_connection_or_is_ignored(hub, packet):
    ws = raw_websocket(hub.url)
    ws.send('40{"clientId":"raw"}')
    assert ws.recv().startswith("40")  # connected to "/"
    ws.send(packet)
    ws.send('42["getAll",{"clientId":"keeper","event":"nothing"}]')  # still usable?
    assert still_serving(hub)
    ws.close()


def test_an_oversized_message_closes_that_connection_and_changes_nothing(hub):
    ws = raw_websocket(hub.url)
    ws.send('40{"clientId":"big"}')
    assert ws.recv().startswith("40")
    ack = {"clientId": "keeper", "event": "news", "messageId": "m1", "padding": "x" * 20_000}
    ws.send("42" + json.dumps(["received", ack]))  # twice max_http_buffer_size
    assert closed(ws)
    assert still_serving(hub)  # and "kept" (m1) is still queued: the ack was never handled


def test_a_session_that_never_connects_a_namespace_is_closed(hub):
    ws = raw_websocket(hub.url)  # handshake done, pings answered by the library, no CONNECT
    ws.settimeout(5)
    assert closed(ws), "the half-open session was still open after 5 s (timeout is 1 s)"
    assert still_serving(hub)


def test_a_connected_client_is_not_closed_by_the_guard(hub):
    client = QueueClient("patient", ["news"]).connect(hub.url)
    ws = raw_websocket(hub.url)
    ws.settimeout(3)
    assert closed(ws)  # the guard's 1 s passed for everyone...
    client.sync()  # ...and the connected client is still fine
    assert client.connected
    client.stop()


def test_a_cross_origin_page_is_refused_and_same_origin_is_not(hub):
    with pytest.raises(websocket.WebSocketBadStatusException):
        raw_websocket(hub.url, origin="http://evil.example")
    raw_websocket(hub.url, origin=hub.url).close()  # the hub's own origin
    assert still_serving(hub)


BAD_BODIES = ["not json", "[]", '{"clientId": 1, "event": "news"}',
              '{"clientId": "", "event": "news"}', '{"clientId": "x"}']  # fmt: skip


@pytest.mark.parametrize("body", BAD_BODIES)
def test_bad_http_publish_bodies_get_400_with_a_reason(hub, body):
    reply = requests.post(f"{hub.url}/publish", data=body, timeout=5,
                          headers={"Content-Type": "application/json"})  # fmt: skip
    assert reply.status_code == 400 and reply.json()["error"]
    assert still_serving(hub)


def handshake(url):
    text = requests.get(f"{url}/socket.io/?EIO=4&transport=polling", timeout=5).text
    return json.loads(text[1:])


@pytest.mark.parametrize("name, make", [
    ("echo", lambda: examples.echo_server()),
    ("rooms", lambda: examples.rooms_server()),
    ("queue", lambda: QueueHub(MemoryQueue()).sio),
    ("caps", lambda: caps.CapsHub(MemoryQueue(), log=lambda line: None).sio),
])  # fmt: skip
def test_course_servers_advertise_whole_second_ping_settings(name, make):
    sio = make()
    url = servers.serve_socketio(sio, name=name).url
    try:
        advertised = handshake(url)
    finally:
        registry.stop_all()
    assert advertised["pingInterval"] == sio.eio.ping_interval * 1000
    assert advertised["pingTimeout"] == sio.eio.ping_timeout * 1000
    assert advertised["pingInterval"] % 1000 == 0 and advertised["pingTimeout"] % 1000 == 0


def test_500_clients_exchange_events_and_memory_does_not_grow_after_they_leave():
    """Found by this test: python-engineio frees a closed session only when its ping
    task next wakes up, up to ``ping_interval`` + ``ping_timeout`` after the
    disconnection (45 s by default; 500 clients hold about 30 MB meanwhile). So the
    server here uses 2 s for both, and each round waits until the closed sessions are
    really gone."""
    argv = [sys.executable, "-m", "labsupport.lab.run_server", "systems:plain", "--port", "0"]
    env = {"PYTHONPATH": str(ROOT / "bench"), "PING_INTERVAL": "2", "PING_TIMEOUT": "2"}
    server = processes.start_process("load", argv, env=env)
    try:
        blocks = [load_round(server) for _ in range(4)]
    finally:
        server.stop()
    # Python's own count of allocated memory blocks: unlike the process's RSS, it goes
    # back down when objects are freed (RSS grows for a while as the allocator's arenas
    # fragment, then levels off: 117, 147, 166, 182, 187 ... MB in one run).
    assert blocks[3] <= blocks[1] * 1.02, f"allocated blocks after each round: {blocks}"


def load_round(server, clients=500, count=4):
    """500 clients join a room and each receive ``count`` announcements; then all leave."""
    result = subprocess.run(["node", str(ROOT / "bench" / "load.mjs"), server.url],
                            input=f"broadcast {clients} {count}\ngo\n", capture_output=True,
                            text=True, timeout=120, cwd=ROOT)  # fmt: skip
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines[-1]["deliveries"] == clients * count, result.stderr[-500:]
    return blocks_once_all_have_left(server)


def blocks_once_all_have_left(server, timeout=30):
    """Python's allocated blocks in the server once only the asking client's session is left.

    A machine busy enough to miss this server's short heartbeat drops the asking client,
    and a call sent meanwhile is never answered: then a new client asks again."""
    deadline, client, census = time.monotonic() + timeout, None, None
    while time.monotonic() < deadline:
        try:
            if client is None:
                client = SimpleClient()
                client.connect(server.url, transports=["websocket"])
            census = client.call("census", timeout=5)
            if census["sessions"] <= 1:
                break
        except (socketio.exceptions.SocketIOError, OSError):
            if client is not None:
                client.disconnect()
            client, census = None, None
        time.sleep(0.2)
    if client is not None:
        client.disconnect()
    assert census is not None, f"no answer to census in {timeout} s"
    left = census["sessions"] - 1
    assert left == 0, f"{left} closed sessions still in memory after {timeout} s"
    return census["blocks"]


def test_the_guard_is_added_once_however_often_it_is_applied():
    from labsupport.lab.guard import close_half_open

    hub = QueueHub(MemoryQueue())  # the hub guards its server already
    handler = hub.sio.eio.handlers["connect"]
    close_half_open(hub.sio)  # as run_server.py would
    assert hub.sio.eio.handlers["connect"] is handler


def test_a_polling_session_that_never_connects_is_closed_too(hub):
    """The sweeper closes without waiting for the client to collect the CLOSE packet:
    python-engineio's ``disconnect()`` would wait for a GET that never comes."""
    from labsupport.production.spec_probes import Polling

    session = Polling(hub.url)  # handshake only: no CONNECT, no GET waiting
    started = time.monotonic()
    assert session.closed_within(4), "the half-open polling session was still open after 4 s"
    assert time.monotonic() - started < 4
    assert still_serving(hub)


def test_a_burst_over_polling_reaches_the_hub_whole(hub):
    """40 acknowledgements in one POST (more than python-engineio's 16): every one counts."""
    from labsupport.production.spec_probes import Polling

    for n in range(40):
        hub.queue.enqueue("bursty", "news", n)
    session = Polling(hub.url)
    session.post('40{"clientId":"bursty"}')
    session.post('42["getAll",{"clientId":"bursty","event":"news"}]')  # the catch-up
    ids = []
    while len(ids) < 40:  # the CONNECT's answer, then the catch-up's 40 events
        for packet in session.get().text.split("\x1e"):
            if packet.startswith('42["news"'):
                ids.append(json.loads(packet[2:])[1]["messageId"])
    acks = [f'42["received",{json.dumps({"clientId": "bursty", "event": "news", "messageId": m})}]'
            for m in ids]  # fmt: skip
    assert session.post("\x1e".join(acks)).status_code == 200
    deadline = time.monotonic() + 5
    while hub.queue.pending("bursty", "news") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert hub.queue.pending("bursty", "news") == []
