"""Notebook 06b's bench: TLS, nginx in front of two servers, peers frozen with SIGSTOP, crowds
that reconnect, and nothing left running.

Every bound is derived from the settings under test (a heartbeat declares a frozen client
gone between ping_timeout and ping_interval + ping_timeout after the freeze), with one
margin for a busy machine. Every test waits on events, never a fixed sleep, except the
plain TCP server's, which is given exactly the window the slowest heartbeat needs.
"""

import asyncio
import os
import signal
import socket
import ssl
import threading
import time

import aiohttp
import pytest
import socketio

from labsupport.lab import dead_peers, nginx, processes, registry, servers, tls
from labsupport.lab.clients import SimpleClient

MARGIN = 1.0  # seconds a busy test machine may add


def _gone_when_frozen(settings):
    """Freeze one peer connected to a server per setting; return {setting: seconds}."""
    watched = []
    for interval, timeout in settings:
        sio = socketio.AsyncServer(async_mode="aiohttp", ping_interval=interval,
                                   ping_timeout=timeout)  # fmt: skip
        gone, when = threading.Event(), {}

        def left(sid, reason, gone=gone, when=when):
            when["at"], when["reason"] = time.monotonic(), reason
            gone.set()

        sio.on("disconnect", left)
        server = servers.serve_socketio(sio, name=f"t-heartbeat-{interval}-{timeout}")
        watched.append(((interval, timeout), gone, when, server))
    peer = dead_peers.start_peer("t-peer", [server.url for *_, server in watched])
    try:
        frozen = peer.freeze()
        for setting, gone, _, _ in watched:
            assert gone.wait(sum(setting) + MARGIN + 5), f"{setting}: never declared gone"
        return {setting: (when["at"] - frozen, when["reason"]) for setting, _, when, _ in watched}
    finally:
        peer.kill()
        for *_, server in watched:
            server.stop()


@pytest.mark.parametrize("settings", [[(1, 0.5), (2, 1)], [(1, 1), (3, 0.5)]])
def test_a_frozen_client_is_declared_gone_within_the_heartbeats_bounds(settings):
    for (interval, timeout), (seconds, reason) in _gone_when_frozen(settings).items():
        assert timeout <= seconds <= interval + timeout + MARGIN, (interval, timeout, seconds)
        assert reason == socketio.AsyncServer.reason.PING_TIMEOUT


def test_a_plain_tcp_server_never_notices_a_frozen_client():
    seen = []
    opened = threading.Event()

    async def handler(reader, writer):
        seen.append("open")
        opened.set()
        await reader.read(1)
        seen.append("end")

    server = servers.serve_tcp(handler, name="t-plain")
    peer = dead_peers.start_peer("t-peer", tcp_ports=[server.port])
    try:
        assert opened.wait(5)
        peer.freeze()
        time.sleep(1 + 0.5 + MARGIN)  # the window of the first setting above, and its margin
        assert seen == ["open"]
    finally:
        peer.kill()
        server.stop()


def test_a_frozen_peer_asked_to_stop_is_gone_at_once_and_leaves_nothing():
    server = servers.serve_tcp(lambda reader, writer: reader.read(1), name="t-plain")
    peer = dead_peers.start_peer("t-peer", tcp_ports=[server.port])
    peer.freeze()
    started = time.monotonic()
    registry.stop_all()  # as at kernel exit: SIGTERM, which a stopped process would hold
    assert time.monotonic() - started < 5
    assert not peer.alive
    with pytest.raises(ProcessLookupError):
        os.kill(peer.pid, 0)
    assert registry.running() == []


def test_a_crowd_without_jitter_comes_back_in_one_burst_and_with_jitter_spread():
    server = processes.start_python_server("t-storm", "labsupport.lab.examples:echo_server")
    try:
        firsts = {}
        for factor in (0, 1):
            crowd = dead_peers.Crowd("t-crowd", 60, reconnection_delay=1,
                                     randomization_factor=factor)  # fmt: skip
            try:
                crowd.connect(server.url)
                killed = time.monotonic()
                server.kill()
                server = processes.start_python_server(
                    "t-storm", "labsupport.lab.examples:echo_server", server.port
                )
                assert crowd.wait_connected_since(killed) == 60
                firsts[factor] = sorted(min(t for t in tries if t > killed) - killed
                                        for tries in crowd.attempts)  # fmt: skip
            finally:
                crowd.stop()
        herd, spread = firsts[0], firsts[1]
        # every first attempt together: a busy machine spreads when each client notices
        # (0.65 s once), so judged against what jitter does to the same crowd
        assert herd[-1] - herd[0] < 0.5 * (spread[-1] - spread[0])
        assert herd[0] >= 1 - 0.05  # and none before reconnection_delay
        assert spread[-1] - spread[0] > 1  # jitter of up to 1 s either way spreads them
        assert spread[-1] <= 2 + MARGIN
    finally:
        server.stop()
    assert registry.running() == []


def _echo_server():
    sio = socketio.AsyncServer(
        async_mode="aiohttp",
        cors_allowed_origins=lambda origin, environ: origin == f"https://{environ['HTTP_HOST']}",
    )
    sio.on("echo", lambda sid, data: data)
    return sio


async def _echo_over_tls(url, transport, text):
    """(the transport used, the echo of ``text``) from the asyncio client, trusting our CA."""
    connector = aiohttp.TCPConnector(ssl=tls.client_context())
    async with aiohttp.ClientSession(connector=connector) as session:
        async with socketio.AsyncSimpleClient(http_session=session) as client:
            await client.connect(url, transports=[transport])
            return client.client.transport(), await client.call("echo", text, timeout=10)


@pytest.mark.parametrize("transport", ["polling", "websocket"])
def test_a_client_trusting_the_course_ca_exchanges_events_over_tls(transport):
    """With the asyncio client, as 06b §1: the threaded one shares one TLS connection between
    two threads, and now and then loses an answer over wss (docs/upstream.md §19)."""
    server = servers.serve_socketio(_echo_server(), name="t-tls", ssl=tls.server_context())
    try:
        assert server.url.startswith("https://")
        assert asyncio.run(_echo_over_tls(server.url, transport, "over TLS")) == (
            transport,
            "over TLS",
        )
    finally:
        server.stop()


def test_a_client_that_does_not_trust_the_ca_is_refused_and_a_wrong_name_too():
    server = servers.serve_socketio(_echo_server(), name="t-tls", ssl=tls.server_context())
    try:
        with pytest.raises(socketio.exceptions.ConnectionError, match="certificate verify failed"):
            with SimpleClient() as stranger:
                stranger.connect(server.url)
        with socket.create_connection(("127.0.0.1", server.port)) as raw:
            with pytest.raises(ssl.SSLCertVerificationError, match="mismatch"):
                tls.client_context().wrap_socket(raw, server_hostname="shop.example")
    finally:
        server.stop()


def test_the_tls_bytes_show_the_hellos_and_the_name_but_not_the_text():
    server = servers.serve_socketio(_echo_server(), name="t-tls", ssl=tls.server_context())
    tap = tls.ByteTap(server.port, name="t-tap")
    try:
        url = f"https://localhost:{tap.port}"
        assert asyncio.run(_echo_over_tls(url, "websocket", "a secret in transit")) == (
            "websocket",
            "a secret in transit",
        )
    finally:
        tap.stop()
        server.stop()
    sent, answered = tap.received("client"), tap.received("server")
    assert sent[:1] == b"\x16" and sent[5] == 1  # a handshake record: ClientHello
    assert answered[:1] == b"\x16" and answered[5] == 2  # ServerHello
    assert b"localhost" in sent[:600]  # the SNI, in the plain ClientHello
    assert b"a secret in transit" not in sent + answered
    assert tap.server.background.thread.is_alive() is False


needs_nginx = pytest.mark.skipif(nginx.program() is None, reason="nginx is not installed")


@pytest.fixture
def two_backends(redis_url):
    env = {"REDIS_URL": redis_url, "PING_INTERVAL": "1"}
    starting = [processes.start_python_server(name, "labsupport.lab.examples:rooms_server",
                                              env=env, wait=False)
                for name in ("t-backend-a", "t-backend-b")]  # fmt: skip
    backends = [server.wait_until_ready() for server in starting]
    yield [server.url.removeprefix("http://") for server in backends]
    for server in backends:
        server.stop()


def _polling_failures(url, count):
    failed = 0
    for _ in range(count):
        client = socketio.Client(reconnection=False)
        try:
            client.connect(url, transports=["polling"], wait_timeout=1)
            client.disconnect()
        except socketio.exceptions.ConnectionError:
            failed += 1
    return failed


@needs_nginx
def test_polling_through_round_robin_fails_and_ip_hash_keeps_every_session(two_backends):
    proxy = nginx.start("t-proxy", two_backends)
    try:
        assert _polling_failures(proxy.url, 4) == 4
        assert any(r["status"] == "400" for r in proxy.log())
        proxy = nginx.start("t-proxy", two_backends, balance="ip_hash")
        assert _polling_failures(proxy.url, 4) == 0
        assert len({r["backend"] for r in proxy.log()}) == 1  # one address: one backend
    finally:
        proxy.stop()
    with pytest.raises(ProcessLookupError):
        os.kill(proxy.pid, 0)


@needs_nginx
def test_websocket_needs_the_upgrade_headers_but_no_stickiness(two_backends):
    proxy = nginx.start("t-proxy", two_backends, balance="ip_hash", upgrade=False)
    try:
        with SimpleClient() as client:  # polling, then a refused upgrade
            client.connect(proxy.url)
            assert client.client.transport() == "polling"
        with pytest.raises(socketio.exceptions.ConnectionError):
            with SimpleClient() as client:
                client.connect(proxy.url, transports=["websocket"])
        proxy = nginx.start("t-proxy", two_backends, upgrade=False)  # round robin
        with pytest.raises(socketio.exceptions.ConnectionError):
            with SimpleClient() as client:
                client.connect(proxy.url, transports=["websocket"])
        proxy = nginx.start("t-proxy", two_backends)  # round robin, headers passed
        for _ in range(4):
            with SimpleClient() as client:
                client.connect(proxy.url, transports=["websocket"])
                assert client.call("join", "drivers") == "joined drivers"
    finally:
        proxy.stop()
    assert not proxy.alive
    assert "t-proxy" not in registry.running()


def test_a_client_gives_up_on_a_frozen_server_within_the_heartbeats_bounds():
    interval, timeout = 2, 1
    server = processes.start_python_server(
        "t-frozen-server", "labsupport.lab.examples:rooms_server",
        env={"PING_INTERVAL": str(interval), "PING_TIMEOUT": str(timeout)},
    )  # fmt: skip
    gone = threading.Event()
    client = socketio.Client(reconnection=False)
    client.on("disconnect", lambda *reason: gone.set())
    try:
        client.connect(server.url, transports=["websocket"])
        os.kill(server.pid, signal.SIGSTOP)
        frozen = time.monotonic()
        assert gone.wait(interval + timeout + MARGIN + 5)
        assert timeout <= time.monotonic() - frozen <= interval + timeout + MARGIN
    finally:
        os.kill(server.pid, signal.SIGCONT)
        server.kill()
    assert not server.alive
