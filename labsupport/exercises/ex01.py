"""Exercises of notebook 01 (sockets, TCP and UDP): ``from labsupport.exercises.ex01 import q1``.

q1 and q2 are "this function, on these inputs": each is a table of cases (the input,
the expected answer, the likely slip when it fails), checked in order by
``check_cases``, so the first case a learner's function gets wrong names the slip.
"""

from typing import NamedTuple

from labsupport.exercises.checks import Exercise, Incorrect, Problem, describe, returned, why_none


class Case(NamedTuple):
    """One row of a table: ``function(*args)`` should return ``expected``.

    ``slip`` is the likely cause when it does not; ``known`` maps a wrong answer that a
    common slip produces to the words for exactly that slip.
    """

    args: tuple
    expected: object
    slip: str
    known: dict = {}


def check_cases(problem, function, cases, show=repr, name=None, slip_of=None, source=None):
    """Run ``function`` on every case; raise ``Incorrect`` for the first one it gets wrong.

    ``slip_of(got)`` may name the slip from the wrong answer itself; ``source`` is the
    learner's function whose source is read when it returned None."""
    name = name or function.__name__
    for case in cases:
        shown = ", ".join(show(arg) for arg in case.args)
        try:
            got = function(*case.args)
        except Exception as error:
            raise Incorrect(f"{name}({shown}) raised {error!r}. {case.slip}") from error
        problem.expect_attempted(returned(got))
        if slip := describe(got):
            raise Incorrect(f"{name}({shown}) returned {slip}")
        if got != case.expected:
            why = case.known.get(got, case.slip) if _hashable(got) else case.slip
            if got is None and (words := why_none(source or function)):
                why = words
            elif slip_of and (words := slip_of(got)):
                why = words
            raise Incorrect(
                f"{name}({shown}) gave {show(got)}, expected {show(case.expected)}. {why}"
            )


def _hashable(value):
    try:
        hash(value)
    except TypeError:
        return False
    return True


def _as_pair(result):
    """A ``(messages, rest)`` answer in one comparable shape, or the answer unchanged."""
    try:
        messages, rest = result
        if isinstance(messages, bytes | str) or not isinstance(rest, bytes | bytearray):
            return result
        return [bytes(m) for m in messages], bytes(rest)
    except (TypeError, ValueError):
        return result


def _not_a_pair(got):
    """The slip when ``my_unframe`` returned something other than a (messages, rest) pair."""
    if isinstance(got, list):
        return ("It returned a list alone; return a pair, the list of messages *and* the "
                "bytes left over (the rest), which the next recv() completes.")  # fmt: skip
    if isinstance(got, bytes | bytearray):
        return ("It returned bytes alone; return a pair, the list of messages *and* the "
                "bytes left over (the rest).")  # fmt: skip
    return ""


class Framing(Problem):
    title = "q1, length-prefixed framing"
    hints = (
        "Section 2 (TCP is a stream of bytes, not of messages) builds `send_message`: "
        "4 bytes of length (big-endian), then the payload.",
        "`struct.pack('!I', n)` gives the 4 length bytes; `struct.unpack_from('!I', buf, i)` "
        "reads them back at offset i.",
        "In `my_unframe`, loop while at least 4 bytes remain: read the length, stop if the "
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
    frame_cases = [
        Case(
            (b"hello",),
            b"\0\0\0\x05hello",
            "4 bytes of length, big-endian, then the payload.",
            {
                b"\x05\0\0\0hello": "That is little-endian: use '!I', not '<I' or 'I'.",
                b"\0\x05hello": "The length takes 4 bytes ('I'), not 2 ('H').",
            },
        ),
        Case((b"",), b"\0\0\0\0", "An empty payload still gets its 4-byte length, 0."),
        Case(
            ("héllo".encode(),),
            b"\0\0\0\x06h\xc3\xa9llo",
            "The length counts bytes, not characters: 'héllo' encodes to 6 bytes.",
        ),
        Case(
            (b"x" * 300,),
            b"\0\0\x01\x2c" + b"x" * 300,
            "A length over 255 needs more than the last byte: pack it with '!I'.",
        ),
    ]
    unframe_cases = [
        Case((b"",), ([], b""), "Nothing arrived yet: no messages, and an empty rest."),
        Case(
            (b"\0\0\0",),
            ([], b"\0\0\0"),
            "Fewer than 4 bytes is not even a header yet: keep them all as the rest.",
        ),
        Case(
            (b"\0\0\0\x05hel",),
            ([], b"\0\0\0\x05hel"),
            "The payload has not all arrived: keep the header *and* the partial payload "
            "as the rest, or the next recv() cannot complete it.",
        ),
        Case((b"\0\0\0\x05hello",), ([b"hello"], b""), "One whole frame: one message, no rest."),
        Case(
            (b"\0\0\0\x05hello\0\0\0\x02hi",),
            ([b"hello", b"hi"], b""),
            "Keep looping after the first message: a recv() can hold several.",
        ),
        Case(
            (b"\0\0\0\x05hello\0\0\0\0\0\0\0\x02h",),
            ([b"hello", b""], b"\0\0\0\x02h"),
            "A length of 0 is an empty message, not the end; and keep the incomplete rest.",
        ),
        Case(
            (b"\0\0\0\x02hi\0\0\0\0",),
            ([b"hi", b""], b""),
            "The last frame is an empty message, just its 4 length bytes: keep looping while "
            "*at least* 4 bytes remain (4 is enough for a frame with an empty payload).",
        ),
    ]

    def verify(self, answer):
        self.expect_attempted(answer)
        if not (isinstance(answer, tuple | list) and len(answer) == 2):
            shown = f"{type(answer).__name__} of {len(answer)}" if isinstance(
                answer, tuple | list) else type(answer).__name__  # fmt: skip
            raise Incorrect(f"you gave {answer!r:.80}, a {shown}; expected a pair of your two "
                            "functions: q1.check((my_frame, my_unframe)).")  # fmt: skip
        my_frame, my_unframe = answer
        self.expect_attempted(my_frame, my_unframe)
        check_cases(self, my_frame, self.frame_cases)

        def unframe(buffer):  # any (messages, rest) pair compares, list or tuple
            return _as_pair(my_unframe(buffer))

        check_cases(self, unframe, self.unframe_cases, name=my_unframe.__name__,
                    source=my_unframe, slip_of=_not_a_pair)  # fmt: skip
        return "every message survived the trip, split anywhere."


def _hex(value):
    return f"{value:#06x}" if isinstance(value, int) else repr(value)


class Checksum(Problem):
    title = "q2, the Internet checksum"
    hints = (
        "Section 4 (Packets: what actually crosses the network) builds `checksum` for even "
        "lengths: add up the data as 16-bit big-endian numbers.",
        "For an odd length, pad with one zero byte at the *end*; fold carries back in with "
        "`total = (total & 0xFFFF) + (total >> 16)` until the total fits in 16 bits.",
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
its checksum is 0xFFFF when nothing changed. Padding at the end makes a last odd
byte the high half of a word, as it would be if one more byte followed.
"""
    inverted = "Did you invert it at the end (~total & 0xFFFF)?"
    cases = [
        Case(
            (b"\0\x01",),
            0xFFFE,
            "Read each pair of bytes as one big-endian number ('!H').",
            {0x0001: inverted, 0xFEFF: "That is little-endian: use '!H', not 'H' or '<H'."},
        ),
        Case(
            (bytes.fromhex("0001f203f4f5f6f7"),),
            0x220D,
            "This is the worked example of RFC 1071: add the words, fold the carry, invert.",
            {
                0xDDF2: inverted,
                0x220F: "The words add up to 0x2ddf0, more than 16 bits, and the carry (the 2 "
                "above them) was not added back in: fold it in before you invert.",
            },
        ),
        Case(
            (b"\xff\xff\xff\xff\0\x01",),
            0xFFFE,
            "Fold the carries back in until the total fits in 16 bits (a `while`).",
            {
                0xFFFF: "Folding once leaves 0x10000 here: fold again, with a `while` loop.",
                0x0000: "The total 0x1ffff did not fit in 16 bits: fold the carries back in.",
            },
        ),
        Case((b"",), 0xFFFF, "Nothing to add: the sum is 0, and inverted it is 0xffff."),
        Case(
            (b"\x01",),
            0xFEFF,
            "An odd length: pad with one zero byte at the end, so b'\\x01' is the word 0x0100.",
            {
                0xFFFF: "The last, odd byte was left out: pad it with b'\\0', don't drop it.",
                0xFFFE: "The zero byte goes at the end (b'\\x01\\x00'), not at the front.",
            },
        ),
        Case(
            (bytes.fromhex("4500007300004000401100"),),
            0x3A7B,
            "An odd length: pad with one zero byte at the end before adding the words.",
        ),
    ]

    def verify(self, my_checksum):
        self.expect_attempted(my_checksum)
        check_cases(self, my_checksum, self.cases, show=_hex, slip_of=self.slip)
        return "it matches the checksum in the packets you built, odd lengths included."

    @staticmethod
    def slip(got):
        """The slip that a wrong number shows by itself."""
        if isinstance(got, str):
            return ("That is text, not a number: hex() and f'{x:#x}' write a number out "
                    "for reading. Return the int itself (Python shows it in hex when "
                    "asked).")  # fmt: skip
        if isinstance(got, int) and got < 0:
            return ("A negative number: Python's ~ flips every bit of an int that has no "
                    "fixed width, so ~total is negative. "
                    "Keep 16 bits: `~total & 0xFFFF`.")  # fmt: skip
        if isinstance(got, int) and got > 0xFFFF:
            return ("More than 16 bits: fold the carries back in until the total fits "
                    "(`(total & 0xFFFF) + (total >> 16)`), then invert and keep "
                    "16 bits.")  # fmt: skip
        return ""

    when_slow = ("If it is the carry loop: each round must keep only the low 16 bits "
                 "(`total & 0xFFFF`) and add the carry (`total >> 16`), or the total never "
                 "shrinks below 0x10000.")  # fmt: skip


class PickProtocol(Problem):
    title = "q3, TCP or UDP?"
    expected = {"live video call": "UDP", "file download": "TCP", "chat message": "TCP"}
    reasons = {
        "live video call": "a late frame is useless; better skip it than wait for a resend",
        "file download": "every byte must arrive, in order",
        "chat message": "a missing or reordered message changes the conversation",
    }
    questions = {  # what to weigh, without the answer
        "live video call": "if a frame is lost, is it still worth showing once a resend "
        "brings it, a moment late? Which protocol waits for that resend?",
        "file download": "what happens to the file if one byte is lost or two pieces swap? "
        "Which protocol makes sure that never happens?",
        "chat message": "what does the reader see if a message is missing, or two arrive "
        "the wrong way round? Which protocol rules that out?",
    }
    hints = (
        "Section 3 (UDP keeps message boundaries, and promises nothing else): UDP may lose "
        "or reorder; TCP resends what was lost and delivers in order, and the resend "
        "takes time.",
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
            if not isinstance(answer[use], str) or answer[use].upper() not in ("TCP", "UDP"):
                kind = (" (socket.SOCK_DGRAM and SOCK_STREAM name a kind of socket, not the "
                        "protocol)" if hasattr(answer[use], "name") else "")  # fmt: skip
                raise Incorrect(f"you gave {answer[use]!r} for a {use}{kind}: answer each "
                                "with the protocol's name as text, 'TCP' or 'UDP'.")  # fmt: skip
            if answer[use].upper() != protocol:
                raise Incorrect(f"you said {answer[use]!r} for a {use}. Ask: "
                                f"{self.questions[use]}")  # fmt: skip
        return "; ".join(f"{use}: {why}" for use, why in self.reasons.items()) + "."


q1 = Exercise(Framing())
q2 = Exercise(Checksum())
q3 = Exercise(PickProtocol())
