"""Packets as they crossed the wire: the pcap file format, and each header decoded.

Notebook 01 decodes a captured TCP connection and a UDP datagram with ``struct`` in its
own cells, then meets this module as the same rules, hardened: every length is checked
before it is trusted, and a short or inconsistent packet raises ``Malformed`` saying
which header is wrong and why, instead of an ``IndexError`` or a wrong answer. Notebook
02 finds a WebSocket frame inside a captured TCP segment. ``labsupport.lab.capture`` makes
the files; Wireshark and ``tshark`` open them too.

The wire formats, outermost first (all numbers big-endian, "network order"):

- Ethernet (14 bytes): destination MAC (6), source MAC (6), EtherType (2; 0x0800 = IPv4).
  On the loopback interface both MACs are zero.
- IPv4 (20 bytes or more): version and header length in 32-bit words (1), type of
  service (1), total length (2), id (2), flags and fragment offset (2), time to live
  (1), protocol (1; 6 = TCP, 17 = UDP), header checksum (2), source (4), destination (4).
- TCP (20 bytes or more): source port (2), destination port (2), sequence number (4),
  acknowledgement number (4), header length in words (4 bits) and flags (12 bits),
  window (2), checksum (2), urgent pointer (2), then options, then the data.
- UDP (8 bytes): source port (2), destination port (2), length (2), checksum (2), data.

A pcap file: a 24-byte file header, then per packet a 16-byte record header (time in
seconds and microseconds, bytes kept, bytes on the wire) and the packet's bytes.
"""

import struct
from dataclasses import dataclass, field

FILE_HEADER = struct.Struct("<IHHiIII")  # magic, version 2.4, zone, accuracy, snaplen, link
RECORD = struct.Struct("<IIII")  # seconds, microseconds, bytes kept, bytes on the wire
MAGIC, LINK_ETHERNET, SNAPLEN = 0xA1B2C3D4, 1, 65535
ETHERNET = struct.Struct("!6s6sH")
IPV4 = struct.Struct("!BBHHHBBH4s4s")
TCP = struct.Struct("!HHIIHHHH")
UDP = struct.Struct("!HHHH")
TCP_FLAGS = {"FIN": 0x01, "SYN": 0x02, "RST": 0x04, "PSH": 0x08, "ACK": 0x10, "URG": 0x20}
PROTOCOLS = {6: "TCP", 17: "UDP"}


class Malformed(ValueError):
    """A file or packet too short or inconsistent to decode; the message says where."""


def need(data, size, what):
    """Raise ``Malformed`` unless ``data`` has at least ``size`` bytes for ``what``."""
    if len(data) < size:
        raise Malformed(f"{what}: {len(data)} bytes, needs at least {size}")


def write(path, packets):
    """Write ``[(seconds, frame bytes), ...]`` as a pcap file of Ethernet frames."""
    with open(path, "wb") as out:
        out.write(FILE_HEADER.pack(MAGIC, 2, 4, 0, 0, SNAPLEN, LINK_ETHERNET))
        for seconds, frame in packets:
            whole, micro = int(seconds), round((seconds % 1) * 1_000_000) % 1_000_000
            out.write(RECORD.pack(whole, micro, len(frame), len(frame)) + frame)


def read(path):
    """``[(seconds, frame bytes), ...]`` from a pcap file of Ethernet frames."""
    data = open(path, "rb").read()
    need(data, FILE_HEADER.size, "pcap file header")
    magic, *_, link = FILE_HEADER.unpack_from(data)
    if magic != MAGIC or link != LINK_ETHERNET:
        raise Malformed(f"not a little-endian pcap of Ethernet frames (magic {magic:#x})")
    packets, at = [], FILE_HEADER.size
    while at < len(data):
        need(data[at:], RECORD.size, f"pcap record header at byte {at}")
        seconds, micro, kept, _ = RECORD.unpack_from(data, at)
        frame = data[at + RECORD.size : at + RECORD.size + kept]
        need(frame, kept, f"packet at byte {at}")
        packets.append((seconds + micro / 1_000_000, frame))
        at += RECORD.size + kept
    return packets


@dataclass
class Packet:
    """One decoded frame: every header's fields, and the data the last one carries."""

    time: float
    ethernet: dict
    ip: dict = field(default_factory=dict)
    transport: dict = field(default_factory=dict)
    payload: bytes = b""

    @property
    def summary(self):
        """One line: ``127.0.0.1:5000 > 127.0.0.1:6000 TCP [SYN] b''``."""
        t, ip = self.transport, self.ip
        flags = f" [{','.join(t['flags'])}]" if "flags" in t else ""
        return (f"{ip['source']}:{t['source_port']} > {ip['destination']}:"
                f"{t['destination_port']} {ip['protocol']}{flags} {self.payload!r}")  # fmt: skip


def decode_ethernet(frame):
    need(frame, ETHERNET.size, "Ethernet header")
    destination, source, ethertype = ETHERNET.unpack_from(frame)
    return {"destination": destination.hex(":"), "source": source.hex(":"),
            "ethertype": ethertype}, frame[ETHERNET.size :]  # fmt: skip


def decode_ipv4(data):
    need(data, IPV4.size, "IPv4 header")
    first, _, total, ident, _, ttl, proto, checksum, src, dst = IPV4.unpack_from(data)
    version, length = first >> 4, (first & 0x0F) * 4
    if version != 4 or length < IPV4.size:
        raise Malformed(f"IPv4 header: version {version}, header length {length} bytes")
    need(data, total, "IPv4 packet (its total length)")
    if total < length:
        raise Malformed(f"IPv4 packet: total length {total} is shorter than its header")
    fields = {"version": version, "header_length": length, "total_length": total,
              "id": ident, "ttl": ttl, "protocol": PROTOCOLS.get(proto, proto),
              "checksum": checksum, "source": ".".join(map(str, src)),
              "destination": ".".join(map(str, dst))}  # fmt: skip
    return fields, data[length:total]


def decode_tcp(data):
    need(data, TCP.size, "TCP header")
    sport, dport, seq, ack, offset_flags, window, checksum, _ = TCP.unpack_from(data)
    length = (offset_flags >> 12) * 4
    if length < TCP.size:
        raise Malformed(f"TCP header: header length {length} bytes, less than 20")
    need(data, length, "TCP header (with its options)")
    flags = [name for name, bit in TCP_FLAGS.items() if offset_flags & bit]
    return {"source_port": sport, "destination_port": dport, "seq": seq, "ack": ack,
            "header_length": length, "flags": flags, "window": window,
            "checksum": checksum}, data[length:]  # fmt: skip


def decode_udp(data):
    need(data, UDP.size, "UDP header")
    sport, dport, length, checksum = UDP.unpack_from(data)
    if length < UDP.size or length > len(data):
        raise Malformed(f"UDP header: length {length}, but {len(data)} bytes arrived")
    return {"source_port": sport, "destination_port": dport, "length": length,
            "checksum": checksum}, data[UDP.size : length]  # fmt: skip


def decode(frame, time=0.0):
    """Decode an Ethernet frame carrying IPv4 and TCP or UDP, every header checked."""
    ethernet, rest = decode_ethernet(frame)
    packet = Packet(time, ethernet)
    if ethernet["ethertype"] != 0x0800:
        raise Malformed(f"Ethernet: EtherType {ethernet['ethertype']:#06x} is not IPv4")
    packet.ip, rest = decode_ipv4(rest)
    transport = {"TCP": decode_tcp, "UDP": decode_udp}.get(packet.ip["protocol"])
    if transport is None:
        raise Malformed(f"IPv4: protocol {packet.ip['protocol']} is neither TCP nor UDP")
    packet.transport, packet.payload = transport(rest)
    return packet


def decode_file(path):
    """Every packet of a pcap file, decoded."""
    return [decode(frame, time) for time, frame in read(path)]
