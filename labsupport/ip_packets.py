"""A UDP datagram inside an IPv4 packet, built and parsed by hand with ``struct``.

Your program hands the operating system a payload; the OS wraps it in a UDP header
(ports), then in an IPv4 header (addresses), then the network card adds its own
(Ethernet) header. Each layer's header is just bytes in front of the layer above's.
Notebook 01 §4 builds the two middle ones in cells with ``struct`` (and a checksum for
even lengths), breaks that on an odd-length payload, and then uses this module as the
same rules, hardened: odd lengths padded, a zero UDP checksum sent as 0xFFFF, and
``parse_udp_packet``, which checks every field. ``tests/test_notebook01_built.py``
compares the cells with this module byte for byte.

IPv4 header, 20 bytes (no options)::

    0      4      8             16      19              31   bit
    | ver  | ihl  | DSCP/ECN    | total length                |
    | identification            | flags | fragment offset     |
    | time to live | protocol   | header checksum             |
    | source address                                          |
    | destination address                                     |

UDP header, 8 bytes::

    | source port               | destination port            |
    | length (header + data)    | checksum                    |

The UDP checksum covers a *pseudo-header* (source and destination addresses, the
protocol number 17, the UDP length), the UDP header and the data, so a datagram
delivered to the wrong address is caught too.
"""

import socket
import struct
from dataclasses import dataclass

IPV4 = struct.Struct("!BBHHHBBH4s4s")
UDP = struct.Struct("!HHHH")
PSEUDO = struct.Struct("!4s4sBBH")
PROTOCOL_UDP = 17


class PacketError(ValueError):
    """The bytes or text are not a well-formed packet: IPv4 + UDP here, or Engine.IO and
    socket.io (``socketio_packets``, notebook 02, raises this same class: one error for
    every packet the course parses by hand)."""


def checksum16(data: bytes) -> int:
    """The Internet checksum: one's-complement sum of 16-bit words, then inverted.

    An odd-length input is padded with one zero byte. The receiver sums the same
    words *including* the checksum field and gets 0xFFFF when nothing changed.
    """
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)  # fold the carries back in
    return ~total & 0xFFFF


def _udp_checksum(src, dst, udp_bytes):
    pseudo = PSEUDO.pack(socket.inet_aton(src), socket.inet_aton(dst), 0, PROTOCOL_UDP,
                         len(udp_bytes))  # fmt: skip
    return checksum16(pseudo + udp_bytes) or 0xFFFF  # 0 means "no checksum" in UDP


def build_udp_packet(src, sport, dst, dport, payload: bytes, ttl=64, ident=0) -> bytes:
    """Return the bytes of an IPv4 packet carrying a UDP datagram with ``payload``."""
    udp_length = UDP.size + len(payload)
    unchecked = UDP.pack(sport, dport, udp_length, 0) + payload
    udp = UDP.pack(sport, dport, udp_length, _udp_checksum(src, dst, unchecked)) + payload
    total = IPV4.size + udp_length
    addresses = socket.inet_aton(src), socket.inet_aton(dst)
    header = IPV4.pack(0x45, 0, total, ident, 0, ttl, PROTOCOL_UDP, 0, *addresses)
    header = IPV4.pack(0x45, 0, total, ident, 0, ttl, PROTOCOL_UDP, checksum16(header),
                       *addresses)  # fmt: skip
    return header + udp


@dataclass
class UdpPacket:
    src: str
    sport: int
    dst: str
    dport: int
    ttl: int
    payload: bytes


def parse_udp_packet(packet: bytes) -> UdpPacket:
    """Check and unpack what ``build_udp_packet`` makes; raise ``PacketError`` on bad input."""
    if len(packet) < IPV4.size:
        raise PacketError(f"truncated: {len(packet)} bytes, an IPv4 header alone is 20")
    version_ihl, _, total, _, _, ttl, protocol, _, src, dst = IPV4.unpack_from(packet)
    if version_ihl >> 4 != 4 or version_ihl & 0xF != 5:
        raise PacketError(f"not a 20-byte IPv4 header (first byte {version_ihl:#04x})")
    if checksum16(packet[: IPV4.size]) != 0:
        raise PacketError("IPv4 header checksum does not match: the header was changed")
    if total != len(packet):
        raise PacketError(f"IPv4 total length says {total} bytes, but {len(packet)} arrived")
    if protocol != PROTOCOL_UDP:
        raise PacketError(f"protocol {protocol} is not UDP ({PROTOCOL_UDP})")
    udp = packet[IPV4.size :]
    if len(udp) < UDP.size:
        raise PacketError(f"truncated: {len(udp)} bytes after the IPv4 header, UDP needs 8")
    sport, dport, length, checksum = UDP.unpack_from(udp)
    if length != len(udp):
        raise PacketError(f"UDP length says {length} bytes, but {len(udp)} follow the IP header")
    src, dst = socket.inet_ntoa(src), socket.inet_ntoa(dst)
    unchecked = udp[:6] + b"\0\0" + udp[8:]
    if checksum != _udp_checksum(src, dst, unchecked):
        raise PacketError("UDP checksum does not match: the datagram was changed on the way")
    return UdpPacket(src, sport, dst, dport, ttl, udp[UDP.size :])
