"""Length-prefixed framing: getting *messages* back out of a TCP byte stream.

TCP delivers bytes, not messages: two ``send`` calls may arrive in one ``recv``, and
one large ``send`` in many. Notebook 01 §2 shows both, then fixes it the way most real
protocols do: put each message's length in front of it. The learner first builds it in
cells on a blocking socket (``send_message``, ``recv_exactly``, ``recv_message``),
breaks it (a big message, a partial frame, a 4 GiB header), and then meets this module
as the same rules, hardened: a size limit, a clear error for text, and a ``Deframer``
that takes bytes in whatever pieces they come. Exercise q1 has the learner write
``frame`` and ``unframe``; ``tests/test_notebook01_built.py`` runs the cells beside it.

Wire format of one frame::

    +----------------------+---------------------------+
    | length: 4 bytes,     | payload: ``length`` bytes |
    | big-endian unsigned  |                           |
    +----------------------+---------------------------+

A receiver reads 4 bytes, learns the length, and reads exactly that many more.
``MAX_FRAME`` bounds the length, so a corrupt or hostile header cannot make the
receiver wait for (or allocate) gigabytes.
"""

import struct

HEADER = struct.Struct("!I")  # "!" network byte order (big-endian), "I" 4-byte unsigned
MAX_FRAME = 16 * 1024 * 1024  # 16 MiB: larger claims are treated as corrupt


class FrameError(ValueError):
    """The bytes do not hold valid frames: a length prefix over ``MAX_FRAME`` here, or a
    WebSocket frame cut short or malformed (``websocket_frames``, notebook 02, raises this
    same class: one framing idea, one error to catch)."""


def frame(payload: bytes) -> bytes:
    """Return ``payload`` with its 4-byte length in front."""
    if not isinstance(payload, bytes | bytearray):
        raise TypeError(f"frame() takes bytes, not {type(payload).__name__}: encode text first")
    if len(payload) > MAX_FRAME:
        raise FrameError(f"payload of {len(payload)} bytes is over the {MAX_FRAME}-byte limit")
    return HEADER.pack(len(payload)) + bytes(payload)


def unframe(buffer: bytes) -> tuple[list[bytes], bytes]:
    """Split ``buffer`` into the complete frames it holds and the incomplete rest.

    The rest is kept, not discarded: the next ``recv`` completes it.
    """
    messages, offset = [], 0
    while len(buffer) - offset >= HEADER.size:
        (length,) = HEADER.unpack_from(buffer, offset)
        if length > MAX_FRAME:
            raise FrameError(f"frame header claims {length} bytes, over the {MAX_FRAME} limit")
        end = offset + HEADER.size + length
        if end > len(buffer):
            break  # the payload has not all arrived yet
        messages.append(bytes(buffer[offset + HEADER.size : end]))
        offset = end
    return messages, bytes(buffer[offset:])


class Deframer:
    """Feed it whatever ``recv`` returned; it hands back each message once complete."""

    def __init__(self):
        self.pending = b""

    def feed(self, data: bytes) -> list[bytes]:
        messages, self.pending = unframe(self.pending + data)
        return messages
