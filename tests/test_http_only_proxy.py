"""labsupport.lab.http_only_proxy: plain HTTP passes, a WebSocket upgrade never does.

Against a real python-socketio server on 127.0.0.1: a bare WebSocket is refused with 403
through the proxy (and opens without it), a socket.io client with its default transports
stays on polling and still carries events both ways, and an upgrade sent after an
ordinary request on the same keep-alive connection never reaches the server. And a
polling client that disconnects through the proxy, while its GET poll waits at the
server, is done in a moment (the server answers that GET with CLOSE, as Node's does).
"""

import socket
import time

import pytest
import socketio
import websocket

from labsupport import rawhttp
from labsupport.lab import http_only_proxy, servers
from labsupport.lab.clients import SimpleClient

EIO_WEBSOCKET = "/socket.io/?EIO=4&transport=websocket"


@pytest.fixture
def server():
    sio = socketio.AsyncServer(async_mode="aiohttp")

    @sio.event
    async def hello(sid, name):
        return f"hello, {name}!"

    yield sio, servers.serve_socketio(sio, name="test-socketio")
    servers.stop_all()


@pytest.fixture
def proxy(server):
    return http_only_proxy.HttpOnlyProxy(server[1].port, name="test-http-only")


def upgrade_head(port, path=EIO_WEBSOCKET):
    return (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n"
    ).encode()


def test_only_a_websocket_upgrade_counts_as_one():
    assert http_only_proxy.is_websocket_upgrade(upgrade_head(1))
    assert http_only_proxy.is_websocket_upgrade(b"GET / HTTP/1.1\r\nupgrade: WebSocket\r\n\r\n")
    assert not http_only_proxy.is_websocket_upgrade(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert not http_only_proxy.is_websocket_upgrade(b"GET / HTTP/1.1\r\nUpgrade: h2c\r\n\r\n")


def test_plain_http_passes(proxy):
    opened = rawhttp.request(proxy.port, "GET", "/socket.io/?EIO=4&transport=polling")
    assert opened.status == 200 and opened.text.startswith('0{"sid":')
    assert proxy.stats == {"passed": 1, "refused": 0}


def test_a_bare_websocket_opens_directly_and_is_refused_through_the_proxy(server, proxy):
    direct = websocket.create_connection(f"ws://127.0.0.1:{server[1].port}{EIO_WEBSOCKET}")
    assert direct.recv().startswith('0{"sid":')  # the Engine.IO OPEN packet
    direct.close()
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(f"ws://127.0.0.1:{proxy.port}{EIO_WEBSOCKET}", timeout=5)
    assert refused.value.status_code == 403
    assert proxy.stats["refused"] == 1


def test_an_upgrade_after_an_ordinary_request_on_one_connection_never_passes(proxy):
    ordinary = f"GET /socket.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x:{proxy.port}\r\n\r\n"
    with socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as sock:
        sock.sendall(ordinary.encode() + upgrade_head(proxy.port))
        received = b""
        while chunk := sock.recv(65536):  # the proxy hangs up after one answer
            received += chunk
    assert received.startswith(b"HTTP/1.1 200") and received.count(b"HTTP/1.1") == 1
    assert proxy.stats == {"passed": 1, "refused": 0}  # the upgrade never reached the server


def test_close_after_replaces_the_connection_header():
    head = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n"
    assert (
        http_only_proxy.close_after(head)
        == b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )


def test_socketio_stays_on_polling_and_carries_events_both_ways(server, proxy):
    sio, io_server = server
    with SimpleClient() as client:
        client.connect(proxy.url)
        assert client.call("hello", "proxy", timeout=5) == "hello, proxy!"
        io_server.run(sio.emit("news", "pushed", to=client.sid))
        assert client.receive(timeout=5) == ["news", "pushed"]
        assert client.transport == "polling"
    assert proxy.stats["refused"] == 1 and proxy.stats["passed"] >= 3


def wait_for(condition, timeout=5):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_polling_client_disconnects_at_once_through_the_proxy(server, proxy):
    sio, io_server = server
    client = SimpleClient()
    client.connect(proxy.url, transports=["polling"])
    assert client.call("hello", "proxy", timeout=5) == "hello, proxy!"
    eio_sid = client.client.eio.sid
    wait_for(lambda: eio_sid in sio.course_guard.polling)  # a GET poll waits at the server
    started = time.monotonic()
    client.disconnect()
    took = time.monotonic() - started
    # python-engineio alone would hold that GET for pingInterval + pingTimeout (45 s)
    # and the client's disconnect() with it, until its own GET timeout (30 s)
    assert took < 3, f"disconnect took {took:.1f} s"
    wait_for(lambda: eio_sid not in sio.eio.sockets)
