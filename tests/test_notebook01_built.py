"""What notebook 01's learner builds in cells, side by side with the labsupport modules.

The cells tagged ``built-by-hand`` are taken from the notebook itself (so the two cannot
drift apart), one part at a time (a second tag: ``part:framing``, ``part:pinger``,
``part:reliable``, ``part:packet``, since each part runs in a namespace of its own),
run here, and given the same inputs as ``framing``, ``pinger`` and ``ip_packets``, against
the same real servers on 127.0.0.1.
"""

import socket
import struct
import time

import pytest
from built_cells import built_cells, run_built
from hypothesis import given, settings
from hypothesis import strategies as st

from labsupport import framing, ip_packets, pinger
from labsupport.lab import relay, servers

NOTEBOOK = "01_sockets_tcp_udp.ipynb"


def built(part):
    """A namespace holding the notebook's cells tagged ``built-by-hand`` and ``part:<part>``,
    run in order."""
    names = {"socket": socket, "struct": struct, "time": time, "delivered": []}
    return run_built(NOTEBOOK, names, part)


@pytest.fixture
def stop_servers():
    yield
    servers.stop_all()


def test_every_built_cell_is_at_most_ten_lines_and_names_its_part():
    cells = built_cells(NOTEBOOK)
    assert len(cells) >= 12
    for cell in cells:
        assert len(cell.source.splitlines()) <= 10, cell.source
        parts = [t for t in cell.metadata["tags"] if t.startswith("part:")]
        assert len(parts) == 1, cell.source


# --- framing --------------------------------------------------------------------------


def through_socket(mine, messages):
    """Send ``messages`` with the notebook's send_message; read them back both ways."""
    left, right = socket.socketpair()
    with left, right:
        right.settimeout(5)
        for message in messages:
            mine["send_message"](left, message)
        left.shutdown(socket.SHUT_WR)
        read_back = [mine["recv_message"](right) for _ in messages]
        assert right.recv(1) == b""  # nothing left over
    return read_back


@settings(max_examples=30, deadline=None)
@given(st.lists(st.binary(max_size=3000), max_size=6))
def test_send_message_writes_what_framing_frame_writes(messages):
    mine = built("framing")
    left, right = socket.socketpair()
    with left, right:
        for message in messages:
            mine["send_message"](left, message)
        left.close()
        wire = b"".join(iter(lambda: right.recv(65536), b""))
    assert wire == b"".join(framing.frame(m) for m in messages)
    assert framing.unframe(wire) == (messages, b"")


@settings(max_examples=30, deadline=None)
@given(st.lists(st.binary(max_size=3000), max_size=6))
def test_recv_message_reads_what_framing_frame_wrote(messages):
    assert through_socket(built("framing"), messages) == messages


def test_a_partial_frame_both_ways(stop_servers):
    mine = built("framing")

    async def cut_short(reader, writer):
        writer.write(framing.frame(b"0123456789")[:7])

    server = servers.serve_tcp(cut_short, name="test-partial")
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as client:
        with pytest.raises(ConnectionError, match="after 3 of 10 bytes"):
            mine["recv_message"](client)
    deframer = framing.Deframer()
    assert deframer.feed(framing.frame(b"0123456789")[:7]) == []
    assert deframer.pending == b"\0\0\0\x0a012"  # kept, for the next recv to complete


# --- ip_packets -----------------------------------------------------------------------


@given(st.binary(max_size=200).filter(lambda b: len(b) % 2 == 0), st.integers(1, 65535))
def test_the_cells_build_the_packet_ip_packets_builds(payload, port):
    mine = built("packet")
    udp = mine["udp_datagram"]("10.0.0.1", port, "192.168.1.9", 53, payload)
    ours = mine["ipv4_packet"]("10.0.0.1", "192.168.1.9", udp)
    theirs = ip_packets.build_udp_packet("10.0.0.1", port, "192.168.1.9", 53, payload)
    if udp[6:8] == b"\0\0":  # the one rule the cells leave out: 0 is sent as 0xffff
        assert theirs[26:28] == b"\xff\xff"
        theirs = theirs[:26] + b"\0\0" + theirs[28:]
    assert ours == theirs


@given(st.binary(max_size=200).filter(lambda b: len(b) % 2 == 0))
def test_the_cells_checksum_is_checksum16_on_even_lengths(data):
    assert built("packet")["checksum"](data) == ip_packets.checksum16(data)


def test_an_odd_payload_breaks_the_cells_but_not_the_module():
    mine = built("packet")
    with pytest.raises(struct.error):
        mine["udp_datagram"]("127.0.0.1", 1, "127.0.0.1", 2, b"hello")
    packet = ip_packets.build_udp_packet("127.0.0.1", 1, "127.0.0.1", 2, b"hello")
    assert ip_packets.parse_udp_packet(packet).payload == b"hello"


# --- the pinger and retransmission ----------------------------------------------------


@pytest.fixture
def echo(stop_servers):
    return servers.serve_udp(lambda data, addr: data, name="test-echo")


@pytest.mark.parametrize("seed", [1, 2])
def test_my_ping_and_pinger_ping_lose_the_same_pings(echo, seed):
    mine = built("pinger")["my_ping"]
    a = relay.start_relay(echo.port, loss=0.3, seed=seed, name="test-a")
    b = relay.start_relay(echo.port, loss=0.3, seed=seed, name="test-b")
    rtts = mine(a.port, count=30, timeout=0.4)  # a reply later than this counts as lost
    report = pinger.ping(b.port, count=30, timeout=0.4)
    assert 30 - rtts.count(None) == report.received
    assert a.protocol.stats == b.protocol.stats
    assert rtts.count(None) == a.protocol.stats["dropped"]


@pytest.mark.parametrize("seed", [1, 2])
def test_my_send_reliably_and_send_reliably_agree(stop_servers, seed):
    mine = built("reliable")
    mine_server = servers.serve_udp(mine["receiver"], name="test-mine")
    module_receiver = pinger.ReliableReceiver()
    module_server = servers.serve_udp(module_receiver, name="test-module")
    messages = [f"message {n}" for n in range(20)]
    a = relay.start_relay(mine_server.port, loss=0.3, seed=seed, name="test-a")
    b = relay.start_relay(module_server.port, loss=0.3, seed=seed, name="test-b")
    my_tries = mine["my_send_reliably"](a.port, messages, timeout=0.4)  # a late ack: a retry
    tries = pinger.send_reliably(b.port, messages, timeout=0.4)
    assert mine["delivered"] == module_receiver.delivered == messages
    assert my_tries == tries
    assert sum(tries) > len(messages)


def test_no_retry_gives_the_same_clear_error_both_ways(stop_servers):
    mine = built("reliable")
    silent = servers.serve_udp(lambda data, addr: None, name="test-silent")
    with pytest.raises(TimeoutError, match="message 0 not acknowledged after 1 tries"):
        mine["my_send_reliably"](silent.port, ["x"], timeout=0.02, max_tries=1)
    with pytest.raises(TimeoutError, match="message 0 not acknowledged after 1 tries"):
        pinger.send_reliably(silent.port, ["x"], timeout=0.02, max_tries=1)
