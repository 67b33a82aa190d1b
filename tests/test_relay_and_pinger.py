"""lab.relay and labsupport.pinger: losses are repeatable; retransmission delivers all."""

import socket

import pytest

from labsupport import pinger
from labsupport.lab import relay, servers


@pytest.fixture
def echo():
    server = servers.serve_udp(lambda data, addr: data, name="test-echo")
    yield server
    servers.stop_all()


def test_no_loss_means_every_ping_answers(echo):
    report = pinger.ping(relay.start_relay(echo.port).port, count=10)
    assert (report.sent, report.received, report.loss) == (10, 10, 0.0)
    assert all(rtt < 0.5 for rtt in report.rtts)  # on 127.0.0.1, even on a busy machine


def test_same_seed_loses_the_same_pings_and_everything_is_counted(echo):
    results = []
    for _ in range(2):
        lossy = relay.start_relay(echo.port, loss=0.3, seed=11)
        report = pinger.ping(lossy.port, count=30, timeout=0.3)  # a later reply: lost
        stats = lossy.protocol.stats
        assert stats["received"] == stats["dropped"] + stats["forwarded"]
        assert report.received < 30
        results.append((report.received, stats))
    assert results[0] == results[1]


def test_reordering_keeps_every_datagram(echo):
    shuffler = relay.start_relay(echo.port, reorder=0.5, seed=5)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.settimeout(2)
        for n in range(20):
            udp.sendto(str(n).encode(), ("127.0.0.1", shuffler.port))
        arrived = [int(udp.recvfrom(100)[0]) for _ in range(20)]
    assert sorted(arrived) == list(range(20))
    assert arrived != list(range(20))


def test_retransmission_delivers_everything_once_and_in_order():
    receiver = pinger.ReliableReceiver()
    server = servers.serve_udp(receiver, name="reliable")
    try:
        lossy = relay.start_relay(server.port, loss=0.4, seed=3)
        messages = [f"m{n}" for n in range(15)]
        tries = pinger.send_reliably(lossy.port, messages, timeout=0.05)
        assert receiver.delivered == messages
        assert sum(tries) > len(messages)  # some were sent more than once
    finally:
        servers.stop_all()


def test_a_receiver_that_never_answers_gives_a_clear_timeout():
    silent = servers.serve_udp(lambda data, addr: None, name="silent")
    try:
        with pytest.raises(TimeoutError, match="not acknowledged after 3 tries"):
            pinger.send_reliably(silent.port, ["x"], timeout=0.02, max_tries=3)
    finally:
        servers.stop_all()
