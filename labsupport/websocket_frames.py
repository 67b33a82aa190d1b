"""The WebSocket protocol's rules: the opening handshake, and one frame each way, hardened.

Notebook 02 §2 builds the frame code in cells first (``mask``, ``my_encode``,
``my_decode``), runs it against a real aiohttp endpoint over a raw TCP socket, and
breaks it on purpose; only then does it import this module, the same rules with what
the breaks called for: a frame cut short raises ``FrameError`` (saying how many bytes
are missing) instead of passing for a short message; ``Frame.size`` says where the
next frame starts in a buffer that holds two; reserved bits are refused. §6 uses it to
count a frame's bytes, and ``wiretap`` decodes the frames of a real upgrade with it.
``tests/test_frames_by_hand.py`` runs the notebook's cells beside this module.

The handshake: the client sends an HTTP GET with ``Upgrade: websocket`` and a random
``Sec-WebSocket-Key``; the server answers ``101 Switching Protocols`` with
``Sec-WebSocket-Accept = base64(sha1(key + GUID))``, proving it understood.

After that, both sides send *frames*::

     byte 0            byte 1             then
    +-+-+-+-+-------+ +-+-------------+  +-----------------------------+
    |F|R|R|R| opcode| |M| length (7)  |  | extended length (2 or 8 B), |
    |I|S|S|S| (4)   | |A| 126: 2 more |  | masking key (4 B, if MASK), |
    |N|V|V|V|       | |S| 127: 8 more |  | payload                     |
    +-+-+-+-+-------+ +-+-------------+  +-----------------------------+

Opcodes: 0x1 text, 0x2 binary, 0x8 close, 0x9 ping, 0xA pong. Frames from a client
are *masked*: each payload byte is XORed with the 4-byte key, cycling.
"""

import base64
import hashlib
import struct
from dataclasses import dataclass

from labsupport.framing import (
    FrameError,  # one class for every framing error (notebook 01 names it)
)

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"  # fixed by RFC 6455 for every server
OPCODES = {0x0: "continuation", 0x1: "text", 0x2: "binary", 0x8: "close", 0x9: "ping",
           0xA: "pong"}  # fmt: skip


def accept_key(key: str) -> str:
    """The ``Sec-WebSocket-Accept`` a server must answer to ``Sec-WebSocket-Key: key``."""
    return base64.b64encode(hashlib.sha1((key + GUID).encode()).digest()).decode()


def handshake_request(host: str, port: int, path: str, key: str) -> bytes:
    """The HTTP request that asks a server to switch this connection to WebSocket."""
    lines = [
        f"GET {path} HTTP/1.1",
        f"Host: {host}:{port}",
        "Upgrade: websocket",
        "Connection: Upgrade",
        f"Sec-WebSocket-Key: {key}",
        "Sec-WebSocket-Version: 13",
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _mask(payload: bytes, key: bytes) -> bytes:
    return bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def encode_frame(payload: bytes, opcode=0x1, mask_key: bytes | None = None) -> bytes:
    """One final (FIN) frame; pass a 4-byte ``mask_key`` for a client's frame."""
    first = 0x80 | opcode
    mask_bit = 0x80 if mask_key else 0
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", first, mask_bit | n)
    elif n < 1 << 16:
        header = struct.pack("!BBH", first, mask_bit | 126, n)
    else:
        header = struct.pack("!BBQ", first, mask_bit | 127, n)
    if mask_key:
        return header + mask_key + _mask(payload, mask_key)
    return header + payload


@dataclass
class Frame:
    fin: bool
    opcode: int
    masked: bool
    length: int
    payload: bytes
    size: int  # bytes the whole frame took on the wire

    @property
    def kind(self):
        return OPCODES.get(self.opcode, f"unknown ({self.opcode:#x})")


def decode_frame(data: bytes) -> Frame:
    """Decode the frame at the start of ``data``; ``FrameError`` if incomplete or invalid."""
    if len(data) < 2:
        raise FrameError(f"need at least 2 bytes for a frame header, got {len(data)}")
    first, second = data[0], data[1]
    if first & 0x70:
        raise FrameError("reserved bits set: no extension was agreed")
    length, offset = second & 0x7F, 2
    if length >= 126:
        extra = 2 if length == 126 else 8
        if len(data) < 2 + extra:
            raise FrameError("frame header cut short in its extended length")
        length = int.from_bytes(data[2 : 2 + extra], "big")
        offset += extra
    masked = bool(second & 0x80)
    key = data[offset : offset + 4] if masked else None
    offset += 4 if masked else 0
    if len(data) < offset + length:
        raise FrameError(f"frame says {length} payload bytes, only {len(data) - offset} arrived")
    payload = data[offset : offset + length]
    payload = _mask(payload, key) if masked else payload
    return Frame(bool(first & 0x80), first & 0x0F, masked, length, payload, offset + length)
