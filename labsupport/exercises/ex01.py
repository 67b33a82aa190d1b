"""Exercises of notebook 01 (sockets, TCP and UDP): ``from labsupport.exercises.ex01 import q1``."""

from .. import framing, packets
from ..checks import Exercise, Incorrect, Problem


def _call(function, *args):
    try:
        return function(*args)
    except Exception as error:
        shown = ", ".join(repr(a) for a in args)
        raise Incorrect(f"{function.__name__}({shown}) raised {error!r}") from error


class Framing(Problem):
    title = "q1, length-prefixed framing"
    hints = (
        "Section 2 shows the format: 4 bytes of length (big-endian), then the payload.",
        "`struct.pack('!I', n)` gives the 4 length bytes; `struct.unpack_from('!I', buf, i)` "
        "reads them back at offset i.",
        "In `unframe`, loop while at least 4 bytes remain: read the length, stop if the "
        "payload is not all there, else slice it out and move the offset on.",
    )
    solution = """
def my_frame(payload):
    return struct.pack("!I", len(payload)) + payload

def my_unframe(buffer):
    messages, offset = [], 0
    while len(buffer) - offset >= 4:
        (length,) = struct.unpack_from("!I", buffer, offset)
        if offset + 4 + length > len(buffer):
            break
        messages.append(buffer[offset + 4 : offset + 4 + length])
        offset += 4 + length
    return messages, buffer[offset:]


q1.check((my_frame, my_unframe))
"""
    why = """
The receiver cannot know where one message ends in a byte stream unless the sender
says so; the length in front says it. The incomplete rest is returned, not dropped:
the next recv() completes it.
"""
    messages = [b"hello", b"", b"x" * 300, "héllo".encode()]

    def verify(self, answer):
        my_frame, my_unframe = answer
        self.expect_attempted(my_frame, my_unframe)
        for message in self.messages:
            got = _call(my_frame, message)
            self.expect_attempted(got)
            if got != framing.frame(message):
                raise Incorrect(
                    f"my_frame({message[:12]!r}) gave {got[:16]!r}, expected "
                    f"{framing.frame(message)[:16]!r}. Is the length 4 bytes, big-endian ('!I')?"
                )
        stream = b"".join(framing.frame(m) for m in self.messages)
        for cut in (0, 3, 5, 9, len(stream) - 1, len(stream)):
            expected = framing.unframe(stream[:cut])
            got = _call(my_unframe, stream[:cut])
            self.expect_attempted(got)
            if tuple(got) != expected:
                raise Incorrect(
                    f"for the first {cut} bytes of a stream of {len(self.messages)} frames, "
                    f"expected (messages, rest) = {expected!r:.80}, got {got!r:.80}. "
                    "Did you keep the incomplete rest?"
                )
        return "every message survived the trip, split anywhere."


class Checksum(Problem):
    title = "q2, the Internet checksum"
    hints = (
        "Section 4 describes it: add up the data as 16-bit big-endian numbers.",
        "Pad odd-length data with b'\\0'; fold carries back in with "
        "`total = (total & 0xFFFF) + (total >> 16)`.",
        "Finish with the one's complement, kept to 16 bits: `~total & 0xFFFF`.",
    )
    solution = """
def my_checksum(data):
    if len(data) % 2:
        data += b"\\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total > 0xFFFF:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


q2.check(my_checksum)
"""
    why = """
Adding the carries back in (one's-complement addition) makes the sum the same on
big- and little-endian machines, and checking is cheap: the sum over the data *and*
its checksum is 0xFFFF when nothing changed.
"""
    cases = [
        bytes.fromhex("0001f203f4f5f6f7"),  # the worked example of RFC 1071
        bytes.fromhex("4500007300004000401100"),  # odd length: needs padding
        b"\xff\xff\xff\xff\x00\x01",  # carries to fold
        b"",
    ]

    def verify(self, my_checksum):
        self.expect_attempted(my_checksum)
        for data in self.cases:
            got = _call(my_checksum, data)
            self.expect_attempted(got)
            expected = packets.checksum16(data)
            if got != expected:
                slip = (
                    " Did you invert it (~total & 0xFFFF)?" if got == (~expected & 0xFFFF) else ""
                )
                raise Incorrect(
                    f"my_checksum({data.hex()!r}) gave {got!r}, "
                    f"expected {expected} ({expected:#06x}).{slip}"
                )
        return "it matches the checksum in the packets you built."


class PickProtocol(Problem):
    title = "q3, TCP or UDP?"
    expected = {"live video call": "UDP", "file download": "TCP", "chat message": "TCP"}
    reasons = {
        "live video call": "a late frame is useless; better skip it than wait for a resend",
        "file download": "every byte must arrive, in order",
        "chat message": "a missing or reordered message changes the conversation",
    }
    hints = (
        "Section 3: UDP may lose or reorder; section 3's reliable sender pays in time.",
        "Ask of each: is a late piece still worth having?",
    )
    solution = """
q3.check({"live video call": "UDP", "file download": "TCP", "chat message": "TCP"})
"""
    why = """
Video: a frame that arrives after its moment is useless, so waiting for a resend only
adds delay. A file and a chat both need every byte in order, which TCP provides.
"""

    def verify(self, answer):
        self.expect_attempted(answer)
        if not isinstance(answer, dict) or set(answer) != set(self.expected):
            raise Incorrect(f"give a dict with exactly these keys: {sorted(self.expected)}")
        for use, protocol in self.expected.items():
            self.expect_attempted(answer[use])
            if str(answer[use]).upper() != protocol:
                raise Incorrect(f"for a {use}, {protocol} fits better: {self.reasons[use]}.")
        return "; ".join(f"{use}: {why}" for use, why in self.reasons.items()) + "."


q1 = Exercise(Framing())
q2 = Exercise(Checksum())
q3 = Exercise(PickProtocol())
