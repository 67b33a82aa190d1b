"""labsupport.ip_packets: IPv4 + UDP by hand, checked against known answers and real packets."""

import os
import socket

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labsupport.ip_packets import PacketError, build_udp_packet, checksum16, parse_udp_packet


def test_checksum_known_answers():
    # The worked example of RFC 1071 (sum 0xddf2, so checksum 0x220d).
    assert checksum16(bytes.fromhex("0001f203f4f5f6f7")) == 0x220D
    # A well-known IPv4 header with its checksum field zeroed; the answer is 0xb861.
    header = bytes.fromhex("450000730000400040110000c0a80001c0a800c7")
    assert checksum16(header) == 0xB861


def test_checksum_over_data_and_its_checksum_is_zero():
    header = bytearray(bytes.fromhex("450000730000400040110000c0a80001c0a800c7"))
    header[10:12] = checksum16(bytes(header)).to_bytes(2, "big")
    assert checksum16(bytes(header)) == 0


@given(st.binary(max_size=200), st.integers(1, 65535), st.integers(1, 65535))
def test_build_then_parse_round_trips(payload, sport, dport):
    packet = build_udp_packet("10.0.0.1", sport, "192.168.1.9", dport, payload)
    parsed = parse_udp_packet(packet)
    assert (parsed.src, parsed.sport, parsed.dst, parsed.dport, parsed.payload) == (
        "10.0.0.1", sport, "192.168.1.9", dport, payload,
    )  # fmt: skip


@given(st.binary(min_size=1, max_size=60), st.integers(0, 10_000), st.integers(0, 7))
def test_any_flipped_bit_is_caught(payload, position, bit):
    packet = bytearray(build_udp_packet("127.0.0.1", 1, "127.0.0.1", 2, payload))
    packet[position % len(packet)] ^= 1 << bit
    with pytest.raises(PacketError):
        parse_udp_packet(bytes(packet))


@pytest.mark.parametrize("cut", [0, 5, 19, 20, 25, 27])
def test_truncated_packets_are_refused_clearly(cut):
    packet = build_udp_packet("127.0.0.1", 1, "127.0.0.1", 2, b"hello")
    with pytest.raises(PacketError, match="truncated|length"):
        parse_udp_packet(packet[:cut])


@given(st.binary(max_size=80))
def test_garbage_raises_packet_error_only(garbage):
    try:
        parse_udp_packet(garbage)
    except PacketError:
        pass


@pytest.mark.skipif(os.geteuid() != 0, reason="reading raw packets needs root (CI runs as root)")
def test_our_ipv4_checksum_agrees_with_the_kernel_on_a_real_packet():
    """Capture a real datagram: the kernel's IPv4 header must pass our checksum.

    (Its UDP checksum on loopback is left for the hardware to finish, so only the IP
    header is compared.)
    """
    raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_UDP)
    target = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    with raw, target, socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        raw.settimeout(5)
        target.bind(("127.0.0.1", 0))
        port = target.getsockname()[1]
        sender.sendto(b"captured", ("127.0.0.1", port))
        while True:
            packet, _ = raw.recvfrom(65535)
            if packet.endswith(b"captured"):
                break
    assert packet[9] == 17 and checksum16(packet[:20]) == 0
    assert int.from_bytes(packet[22:24], "big") == port
