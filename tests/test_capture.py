"""Real packets, captured in a network namespace of the test's own, decoded layer by layer.

The capture program (labsupport.lab.capture) runs each scenario in a fresh network namespace
(as root here, as an ordinary user where the kernel allows it) and writes a pcap file;
labsupport.lab.pcap decodes it. The checks are the ones a learner makes in notebook 01: the
three-way handshake and its sequence arithmetic, two sends as two segments, a datagram
seen leaving and never arriving, a masked WebSocket frame. The shipped captures (the
notebook's fallback) must have the same shape as a fresh one, scapy must read every
field the same way, and no malformed input may crash the decoder.
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scapy.layers.inet import IP, TCP, UDP
from scapy.layers.l2 import Ether

from labsupport.lab import capture, pcap


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    folder = tmp_path_factory.mktemp("captures")
    return {scenario: capture.capture(scenario, folder) for scenario in capture.SCENARIOS}


def test_the_three_way_handshake_and_its_arithmetic(fresh):
    syn, syn_ack, ack, *_ = [p.transport for p in pcap.decode_file(fresh["tcp"])]
    assert (syn["flags"], syn_ack["flags"], ack["flags"]) == (["SYN"], ["SYN", "ACK"], ["ACK"])
    assert syn_ack["ack"] == (syn["seq"] + 1) % 2**32  # a SYN counts as one byte
    assert ack["ack"] == (syn_ack["seq"] + 1) % 2**32 and ack["seq"] == syn_ack["ack"]


def test_two_sends_are_two_segments_and_one_recv(fresh):
    packets = pcap.decode_file(fresh["tcp"])
    client_port = packets[0].transport["source_port"]
    sent = [p for p in packets if p.payload and p.transport["source_port"] == client_port]
    assert [p.payload for p in sent] == [b"hello", b"world"]
    assert sent[1].transport["seq"] == (sent[0].transport["seq"] + 5) % 2**32
    assert capture.seen_by_programs(fresh["tcp"])["server recv"] == "helloworld"
    closers = {p.transport["source_port"] for p in packets if "FIN" in p.transport["flags"]}
    assert closers == {client_port, packets[0].transport["destination_port"]}  # both close


def test_the_dropped_datagram_leaves_and_never_arrives(fresh):
    packets = pcap.decode_file(fresh["udp"])
    ports = capture.seen_by_programs(fresh["udp"])["ports"]
    to_relay = [p.payload for p in packets if p.transport["destination_port"] == ports["relay"]]
    to_echo = [p.payload for p in packets if p.transport["destination_port"] == ports["echo"]]
    assert to_relay == [b"ping 1", b"ping 2", b"ping 3"]
    assert to_echo == [b"ping 1", b"ping 3"]
    assert capture.seen_by_programs(fresh["udp"])["answered"] == ["ping 1", "ping 3"]


def websocket_frames(path):
    """(first byte, masked?, unmasked payload) of each frame after the handshake."""
    frames = []
    for packet in pcap.decode_file(path):
        data = packet.payload
        if data and not data.startswith((b"GET ", b"HTTP/")):
            masked, length = bool(data[1] & 0x80), data[1] & 0x7F
            key, body = (data[2:6], data[6 : 6 + length]) if masked else (b"", data[2 : 2 + length])
            if masked:
                body = bytes(b ^ key[i % 4] for i, b in enumerate(body))
            frames.append((data[0], masked, body))
    return frames


def test_a_socketio_event_inside_a_websocket_frame(fresh):
    texts = [body for _, _, body in websocket_frames(fresh["socketio"])]
    assert texts[0].startswith(b'0{"sid":')  # Engine.IO's OPEN, from the server
    assert b'421["hello","capture"]' in texts  # EVENT with ack id 1, masked by the client
    assert b'431["hello, capture!"]' in texts  # its ACK
    assert capture.seen_by_programs(fresh["socketio"]) == {"ack": "hello, capture!"}


def test_a_websocket_frame_inside_a_segment(fresh):
    frames = websocket_frames(fresh["websocket"])
    assert frames[0] == (0x81, True, b"hello")  # FIN + text, masked by the client
    assert frames[1] == (0x81, False, b"hello")  # the echo, unmasked from the server
    assert [f[0] for f in frames[2:]] == [0x88, 0x88]  # the closing handshake


def stable(payload):
    """The part of a payload that two runs share: a handshake's first word (its key and
    date are new each run), a WebSocket frame's two header bytes (its mask is random)."""
    if payload.startswith((b"GET ", b"HTTP/")):
        return payload[:4]
    if payload[:1] in (b"\x81", b"\x88"):
        return payload[:2]
    return payload


def shape(path):
    """What two captures of one scenario share: the handshake, who sent which data, and
    who closed. (Bare ACKs come and go with timing; which side's FIN goes first too, and
    whether socket.io's goodbye leaves before or after the WebSocket's close frame. The
    order of the data is checked by the tests above.)"""
    packets = pcap.decode_file(path)
    acked = [i for i, p in enumerate(packets) if b'431["hello' in p.payload]
    if acked:  # socket.io: up to the event's ack; the goodbye after it is never twice alike
        packets = packets[: acked[0] + 1]
    roles = {}
    for p in packets:
        roles.setdefault(p.transport["source_port"], f"port{len(roles)}")
    handshake = [p.transport["flags"] for p in packets[:3] if p.ip["protocol"] == "TCP"]
    data = sorted(
        (roles[p.transport["source_port"]], stable(p.payload)) for p in packets if p.payload
    )
    closed = sorted({roles[p.transport["source_port"]] for p in packets
                     if "FIN" in p.transport.get("flags", ())})  # fmt: skip
    return handshake, data, closed if not acked else None


@pytest.mark.parametrize("scenario", capture.SCENARIOS)
def test_the_shipped_capture_has_the_shape_of_a_fresh_one(fresh, scenario):
    assert shape(capture.SHIPPED / f"{scenario}.pcap") == shape(fresh[scenario])


@pytest.mark.parametrize("scenario", capture.SCENARIOS)
def test_scapy_reads_every_field_the_same_way(fresh, scenario):
    for time, frame in pcap.read(fresh[scenario]):
        mine, theirs = pcap.decode(frame, time), Ether(frame)
        ip = theirs[IP]
        assert (mine.ip["source"], mine.ip["destination"], mine.ip["ttl"], mine.ip["id"],
                mine.ip["total_length"], mine.ip["checksum"]) == (
                ip.src, ip.dst, ip.ttl, ip.id, ip.len, ip.chksum)  # fmt: skip
        layer = theirs[TCP] if TCP in theirs else theirs[UDP]
        assert (mine.transport["source_port"], mine.transport["destination_port"]) == (
            layer.sport, layer.dport)  # fmt: skip
        if TCP in theirs:
            assert (mine.transport["seq"], mine.transport["ack"]) == (layer.seq, layer.ack)
            assert set(mine.transport["flags"]) == {
                name for name, letter in zip(pcap.TCP_FLAGS, "FSRPAU", strict=True)
                if letter in str(layer.flags)}  # fmt: skip
        assert mine.payload == bytes(layer.payload)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=120), st.integers(0, 2000))
def test_malformed_frames_get_a_clear_error_never_a_crash(noise, cut):
    real = pcap.read(capture.SHIPPED / "tcp.pcap")[3][1]  # a data segment
    for frame in (noise, real[: cut % (len(real) + 1)], real[:14] + noise):
        try:
            pcap.decode(frame)
        except pcap.Malformed as error:
            assert str(error)  # says which header and why
