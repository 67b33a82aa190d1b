"""Notebook 06b's bench: peers frozen with SIGSTOP, crowds that reconnect, and nothing left.

Every bound is derived from the settings under test (a heartbeat declares a frozen client
gone between ping_timeout and ping_interval + ping_timeout after the freeze), with one
margin for a busy machine. Every test waits on events, never a fixed sleep, except the
plain TCP server's, which is given exactly the window the slowest heartbeat needs.
"""

import os
import threading
import time

import pytest
import socketio

from labsupport import processes, registry, servers
from labsupport.lab import dead_peers

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
    server = processes.start_python_server("t-storm", "labsupport.examples:echo_server")
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
                    "t-storm", "labsupport.examples:echo_server", server.port
                )
                assert crowd.wait_connected_since(killed) == 60
                firsts[factor] = sorted(min(t for t in tries if t > killed) - killed
                                        for tries in crowd.attempts)  # fmt: skip
            finally:
                crowd.stop()
        herd, spread = firsts[0], firsts[1]
        assert herd[-1] - herd[0] < 0.5  # every first attempt together
        assert herd[0] >= 1 - 0.05  # and none before reconnection_delay
        assert spread[-1] - spread[0] > 1  # jitter of up to 1 s either way spreads them
        assert spread[-1] <= 2 + MARGIN
    finally:
        server.stop()
    assert registry.running() == []
