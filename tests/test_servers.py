"""labsupport.lab.servers: real servers in background threads, stopped by name."""

import asyncio
import socket
import threading
import time

import pytest
import socketio
from aiohttp import ClientSession, web

from labsupport.lab import examples, servers
from labsupport.lab.clients import SimpleClient


@pytest.fixture(autouse=True)
def nothing_left_running():
    yield
    servers.stop_all()
    assert servers.running() == []
    assert [t.name for t in threading.enumerate() if t.name.startswith("loop:")] == []


echo_sio = examples.echo_server  # a socket.io server whose "echo" acks what it got


def test_socketio_server_answers_a_real_client():
    server = servers.serve_socketio(echo_sio(), name="echo")
    assert server.url.startswith("http://127.0.0.1:")
    with SimpleClient() as client:
        client.connect(server.url)
        assert client.call("echo", {"n": 1}, timeout=5) == {"n": 1}


def test_same_name_on_same_port_three_times_replaces_the_old_server():
    port = servers.serve_socketio(echo_sio(), name="again").port
    for _ in range(3):
        server = servers.serve_socketio(echo_sio(), name="again", port=port)
    assert server.port == port
    assert servers.running() == ["again"]
    with SimpleClient() as client:
        client.connect(server.url)
        assert client.call("echo", "still here", timeout=5) == "still here"


def test_handlers_are_not_doubled_by_a_restart():
    calls = []
    sio = socketio.AsyncServer(async_mode="aiohttp")

    @sio.event
    async def ping(sid):
        calls.append(sid)
        return len(calls)

    for _ in range(2):
        server = servers.serve_socketio(sio, name="counted")
    with SimpleClient() as client:
        client.connect(server.url)
        assert client.call("ping", timeout=5) == 1


def test_stop_with_a_connected_client_is_fast_and_frees_the_port():
    server = servers.serve_socketio(echo_sio(), name="busy")
    client = SimpleClient()
    client.connect(server.url)
    started = time.perf_counter()
    server.stop()
    assert time.perf_counter() - started < 2
    client.disconnect()
    again = servers.serve_socketio(echo_sio(), name="busy", port=server.port)
    assert again.port == server.port  # the port was free again


def test_stop_twice_is_harmless_and_stop_all_reports_names():
    servers.serve_socketio(echo_sio(), name="a")
    b = servers.serve_socketio(echo_sio(), name="b")
    b.stop()
    b.stop()
    assert servers.stop_all() == ["a"]


def test_run_makes_the_server_emit_from_outside_its_thread():
    sio = socketio.AsyncServer(async_mode="aiohttp")
    server = servers.serve_socketio(sio, name="push")
    with SimpleClient() as client:
        client.connect(server.url)
        server.run(sio.emit("news", "extra!"))
        assert client.receive(timeout=5) == ["news", "extra!"]


def test_arun_works_from_async_code():
    sio = socketio.AsyncServer(async_mode="aiohttp")
    server = servers.serve_socketio(sio, name="async")

    async def main():
        client = socketio.AsyncClient()
        got = asyncio.get_running_loop().create_future()
        client.on("news", got.set_result)
        await client.connect(server.url)
        await server.arun(sio.emit("news", 7))
        result = await asyncio.wait_for(got, 5)
        await client.disconnect()
        return result

    assert asyncio.run(main()) == 7


def test_plain_aiohttp_app():
    async def hello(request):
        return web.Response(text="hi")

    app = web.Application()
    app.router.add_get("/", hello)
    server = servers.serve_app(app, name="web")

    async def fetch():
        async with ClientSession() as session, session.get(server.url) as response:
            return await response.text()

    assert asyncio.run(fetch()) == "hi"


def test_a_port_in_use_gives_the_real_error_and_leaves_nothing_running():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OSError):
            servers.serve_socketio(echo_sio(), name="clash", port=taken.getsockname()[1])
    assert servers.running() == []


def test_tcp_server_echoes_and_stops_with_a_client_connected():
    async def upper(reader, writer):
        while data := await reader.read(100):
            writer.write(data.upper())
            await writer.drain()

    server = servers.serve_tcp(upper, name="tcp")
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"abc")
        assert sock.recv(100) == b"ABC"
        server.stop()
        assert sock.recv(100) == b""  # the server hung up


def test_udp_server_replies_per_datagram():
    server = servers.serve_udp(lambda data, addr: data[::-1], name="udp")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.settimeout(5)
        sock.sendto(b"abc", ("127.0.0.1", server.port))
        assert sock.recvfrom(100)[0] == b"cba"


def test_serve_socketio_guards_the_server_once_however_often_it_is_served():
    """guard.py's rules hold on every serve; re-serving the same sio keeps one guard."""
    sio = echo_sio()
    servers.serve_socketio(sio, name="guarded")
    guard, handler = sio.course_guard, sio.eio.handlers["message"]
    server = servers.serve_socketio(sio, name="guarded")
    try:
        assert (sio.course_guard, sio.eio.handlers["message"]) == (guard, handler)
        with SimpleClient() as client:  # and it still serves
            client.connect(server.url)
            assert client.call("echo", "hi", timeout=5) == "hi"
    finally:
        servers.stop_all()
