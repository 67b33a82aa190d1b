"""Exercises of notebook 02 (WebSockets and HTTP): ``from labsupport.exercises.ex02 import q1``."""

import inspect

from labsupport import socketio_packets, websocket_frames
from labsupport.exercises.checks import Exercise, Incorrect, Problem, expect_value


def source_of(function):
    """The source of ``function``, or "" when Python cannot find it."""
    try:
        return inspect.getsource(function)
    except (OSError, TypeError):
        return ""


class AcceptKey(Problem):
    title = "q1, the Sec-WebSocket-Accept key"
    hints = (
        "Section 2 (The WebSocket handshake, by hand): the server proves it understood by "
        "hashing the client's key.",
        "Concatenate the key and wsf.GUID as text, encode to bytes, SHA-1 it.",
        "`base64.b64encode(hashlib.sha1((key + wsf.GUID).encode()).digest()).decode()`",
    )
    solution = """
def my_accept(key):
    return base64.b64encode(hashlib.sha1((key + wsf.GUID).encode()).digest()).decode()


q1.check(my_accept)
"""
    why = """
The GUID is the same for every server in the world; hashing it with the client's
random key shows that the server read *this* request and speaks WebSocket, so a
plain HTTP server (or a cache) cannot accidentally "accept".
"""
    keys = ["dGhlIHNhbXBsZSBub25jZQ==", "x3JJHMbDL1EzLkh9GBhXDw==", "AQIDBAUGBwgJCgsMDQ4PEA=="]

    def verify(self, my_accept):
        self.expect_attempted(my_accept)
        for key in self.keys:
            try:
                got = my_accept(key)
            except Exception as error:
                slip, source = "", source_of(my_accept)
                if "must be encoded" in str(error):
                    slip = (" SHA-1 hashes bytes, and key + wsf.GUID is text (str): encode "
                            "it first, with .encode().")  # fmt: skip
                elif "bytes-like" in str(error) and "method" in str(error):
                    slip = (" base64 was given the method .digest itself, not its result: "
                            "did you forget the ()?")  # fmt: skip
                elif "bytes-like" in str(error) and "hexdigest" in source:
                    slip = (" .hexdigest() gives text (40 hex digits), and base64 encodes "
                            "bytes: the header is base64 of the 20 raw bytes of "
                            ".digest().")  # fmt: skip
                raise Incorrect(f"my_accept({key!r}) raised {error!r}.{slip}") from error
            self.expect_attempted(got)
            expect_value(f"my_accept({key!r})", got)
            expected = websocket_frames.accept_key(key)
            if got != expected:
                raise Incorrect(f"my_accept({key!r}) gave {got!r}, expected {expected!r}. "
                                f"{self.slip(got, expected)}")  # fmt: skip
        return "your server would pass every browser's check."

    @staticmethod
    def slip(got, expected):
        """The likely cause of a wrong key, from what it looks like."""
        if isinstance(got, bytes):
            return "That is bytes: the header holds text, so add .decode() at the end."
        if isinstance(got, str) and got[:2] in ("b'", 'b"'):
            return ("That is the text of a bytes object, b'...' quotes and all: str() of bytes "
                    "writes it out; .decode() gives the text inside.")  # fmt: skip
        if isinstance(got, str) and len(got) == 56:
            return ("That is 40 hex digits' worth: SHA-1's .hexdigest() is text already; "
                    "base64 of .digest() (the 20 raw bytes) is what the header holds.")  # fmt: skip
        if not isinstance(got, str):
            return f"Return text (str), not {type(got).__name__}."
        return "Concatenate the key and wsf.GUID (in that order), SHA-1 it, then base64."


captured = bytes.fromhex("81 0b 68 65 6c 6c 6f 20 77 6f 72 6c 64")  # q2's frame, as in §2


class DecodeFrame(Problem):
    title = "q2, reading a frame"
    expected = "hello world"
    hints = (
        "Section 2, One text frame by hand: byte 0 is 0x81, FIN and opcode 1 (text); "
        "byte 1 is 0x0b: no mask, length 11.",
        "The 11 bytes after the 2 header bytes are the payload: decode them as UTF-8.",
    )
    solution = """
q2.check(captured[2:].decode())   # 'hello world'
"""
    why = """
0x81 = FIN + text; 0x0b = unmasked (server frames are never masked), 11 bytes; the
payload follows the two header bytes.
"""

    def verify(self, answer):
        self.expect_attempted(answer)
        if isinstance(answer, tuple):  # what section 2's my_decode returns
            raise Incorrect("that is (opcode, payload), as my_decode returns it: give the "
                            "payload, decoded to text.")  # fmt: skip
        if isinstance(answer, websocket_frames.Frame):
            raise Incorrect("that is the whole Frame: give its payload, decoded to text.")
        if isinstance(answer, bytes | bytearray) and bytes(answer) == captured:
            raise Incorrect(f"you gave {answer!r}, the whole frame, header and all: the "
                            "payload is what follows the 2 header bytes, as text.")  # fmt: skip
        if isinstance(answer, bytes):
            raise Incorrect(f"you gave {answer!r}, bytes: decode them to text "
                            "(.decode()).")  # fmt: skip
        if not isinstance(answer, str):
            raise Incorrect(f"you gave {answer!r:.60}, a {type(answer).__name__}: give the "
                            "payload as text (a str).")  # fmt: skip
        if answer != self.expected:
            raise Incorrect(f"you said {answer!r}, expected the payload's 11 bytes as text. "
                            f"{self.slip(answer)}")  # fmt: skip
        return "FIN, text, unmasked, 11 bytes: 'hello world'."

    def slip(self, answer):
        """What a wrong text says about the slice it came from."""
        text = captured.decode("latin-1")
        if answer in text and text.index(answer) < 2:
            return "It starts inside the header: the payload starts after the 2 header bytes."
        if self.expected.startswith(answer):
            return (f"{len(self.expected) - len(answer)} character(s) missing at the end: "
                    "the payload runs to the end of the frame (11 bytes, as byte 1 says); "
                    "a slice's end is not included, so check where yours stops.")  # fmt: skip
        if answer in self.expected:
            return "It starts too late: the payload starts right after the 2 header bytes."
        return "Byte 1 gives the length (0x0b = 11); the payload follows the 2 header bytes."


class DecodeSocketIO(Problem):
    title = "q3, reading a socket.io packet"
    packet = '2/caps,7["pickup",{"orderId":42}]'
    hints = (
        "Section 5 (Packet anatomy): the first digit is the type; see sp.SOCKETIO_TYPES.",
        "A namespace other than / comes next, up to a comma; then the ack id digits; then JSON.",
    )
    solution = """
q3.check(("EVENT", "/caps", 7, ["pickup", {"orderId": 42}]))
"""
    why = """
2 is EVENT; "/caps," names the namespace; 7 is the ack id (the sender wants an
answer); the rest is the JSON array [event name, payload].
"""

    slips = {
        "type name": "The first digit is the type: look it up in sp.SOCKETIO_TYPES.",
        "namespace": "The namespace runs from the / to the comma.",
        "ack id": "The ack id is the digits between the namespace's comma and the JSON.",
        "data": "The data is the JSON after the ack id, decoded (json.loads).",
    }

    def verify(self, answer):
        self.expect_attempted(answer)
        if not isinstance(answer, tuple) or len(answer) != 4:
            size = (
                f"a tuple of {len(answer)}"
                if isinstance(answer, tuple)
                else (f"a {type(answer).__name__}")
            )
            raise Incorrect(f"you gave {answer!r:.80}, {size}; expected a tuple of four: "
                            "(type name, namespace, ack id, data). Each part of the packet "
                            "has its place, even the namespace.")  # fmt: skip
        self.expect_attempted(*answer)
        decoded = socketio_packets.decode_socketio(self.packet)
        expected = (decoded.type, decoded.namespace, decoded.ack_id, decoded.data)
        names = tuple(self.slips)
        wrong = [(name, got) for name, got, want in zip(names, answer, expected, strict=True)
                 if got != want]  # fmt: skip
        if wrong:
            name, got = wrong[0]
            slip = self.slips[name]
            if name == "ack id" and got == str(expected[2]):
                slip = "You have the right digits, but as text: the ack id is a number."
            others = ", ".join(n for n, _ in wrong[1:])
            more = f" (Also look again at: {others}.)" if others else ""
            raise Incorrect(f"in {self.packet!r}, the {name} you gave, {got!r}, is not what "
                            f"the packet says. {slip}{more}")  # fmt: skip
        return "an EVENT on /caps that wants acknowledgement number 7."


class PredictEmit(Problem):
    title = "q4, predicting the wire"
    expected = '42["chat",{"text":"hi"}]'
    hints = (
        "Two digits first: the Engine.IO type (MESSAGE) and the socket.io type (EVENT).",
        "Then a JSON array: the event name, then the payload. No namespace for '/', "
        "no ack id for a plain emit.",
    )
    solution = """
q4.check('42["chat",{"text":"hi"}]')
"""
    why = """
4 = Engine.IO MESSAGE, 2 = socket.io EVENT; the default namespace "/" is left out,
and emit() (unlike call()) asks for no acknowledgement, so there is no ack id.
"""

    def verify(self, answer):
        self.expect_attempted(answer)
        if not isinstance(answer, str):
            raise Incorrect(f"you gave {answer!r:.60}, a {type(answer).__name__}: give the "
                            "packet as text (a str, no b in front).")  # fmt: skip
        if answer.replace(" ", "") == self.expected and answer != self.expected:
            raise Incorrect("right packet, but JSON on the wire has no spaces here.")
        if answer != self.expected:
            raise Incorrect(f"you said {answer!r}. {self.slip(answer)} You can decode a packet "
                            "with sp.describe() and compare.")  # fmt: skip
        return "Engine.IO MESSAGE (4), socket.io EVENT (2), then [name, payload]."

    def slip(self, answer):
        """What a wrong packet left out or added."""
        if answer.startswith("2[") or answer.startswith("["):
            return ("It starts with the socket.io type alone: on the wire every socket.io "
                    "packet rides inside an Engine.IO packet, whose own type digit comes "
                    "first.")  # fmt: skip
        if answer[:2] == "42" and answer[2:3].isdigit():
            return ("There are digits between the type and the JSON: an ack id, which only "
                    "call() asks for; emit() wants no answer.")  # fmt: skip
        if answer[:2] == "42" and "/" in answer.split("[", 1)[0]:
            return "The default namespace '/' is left out of the packet."
        return "Two type digits come first, then the JSON array [event name, payload]."


q1 = Exercise(AcceptKey())
q2 = Exercise(DecodeFrame())
q3 = Exercise(DecodeSocketIO())
q4 = Exercise(PredictEmit())
