"""Exercises of notebook 00 (start here): ``from labsupport.exercises.ex00 import q1, q2``."""

import socketio

from labsupport.exercises.checks import Exercise, Incorrect, Problem, call_handler, why_none
from labsupport.lab.clients import SimpleClient
from labsupport.lab.servers import serve_socketio, stop


class ShoutHandler(Problem):
    title = "q1, a handler that acknowledges"
    hints = (
        "Look again at the `hello` handler in section 4 (Your first server): what it "
        "returns is what the client gets.",
        "The handler receives `text` (a str); Python's `str.upper()` gives it in capitals.",
        "Make the body a single line: `return <text in capitals>`.",
    )
    solution = """
async def shout(sid, text):
    return text.upper()


q1.check(shout)
"""
    why = """
Whatever a socket.io handler returns is sent back to the client as the acknowledgement
of that event; the client's `call()` returns it. `sid` says which connection sent it.
"""
    sent = ("ready? go!", "Keep it Down")  # two texts: an answer must depend on its input

    def verify(self, handler):
        self.expect_attempted(handler)
        if not callable(handler):
            raise Incorrect(f"you gave {handler!r:.60}, a {type(handler).__name__}: give the "
                            "handler function itself, q1.check(shout).")  # fmt: skip
        local = call_handler(handler, "test-sid", self.sent[0])
        self.expect_attempted(local)
        for text, got in zip(self.sent, self._call_over_socketio(handler), strict=True):
            if got != text.upper():
                raise Incorrect(f"we emitted 'shout' with {text!r}, expected the ack "
                                f"{text.upper()!r} and got {got!r}. "
                                f"{self.slip(handler, text, got)}")  # fmt: skip
        said = " and ".join(f"{text!r} got back {text.upper()!r}" for text in self.sent)
        return f"over a real connection, {said}."

    @staticmethod
    def slip(handler, text, got):
        """The likely slip behind a wrong acknowledgement ``got`` for ``text``."""
        if got == text:
            return "Did you return the text unchanged?"
        if got is None:
            return why_none(handler) or "The client got nothing back: return the result."
        if isinstance(got, list | tuple) and text.upper() in got:
            return ("The answer is there, but inside a list: return the text itself, and "
                    "the client gets exactly that.")  # fmt: skip
        if isinstance(got, str) and got.lower() == text.lower():
            return ("Right letters, wrong case: which str method puts *every* letter in "
                    "capitals? (`.capitalize()` and `.title()` change only some.)")  # fmt: skip
        if isinstance(got, str) and got.upper() == got:
            return ("Capitals, but not of what the client sent: is the answer computed from "
                    "`text`, the argument the client sent?")  # fmt: skip
        return "Is the answer computed from `text`, the argument the client sent?"

    def _call_over_socketio(self, handler):
        sio = socketio.AsyncServer(async_mode="aiohttp")
        sio.on("shout", handler)
        server = serve_socketio(sio, name="q1-check")
        try:
            with SimpleClient() as client:
                client.connect(server.url)
                return [client.call("shout", text, timeout=5) for text in self.sent]
        finally:
            stop("q1-check")


class CountServerRecords(Problem):
    title = "q2, reading a trace"
    hints = (
        "Look at the table printed in section 4 (Your first server) and its `actor` column.",
        "Count the rows whose actor is `server`: connect, hello, and one more.",
        "`len(trace.records(actor='server'))` counts them for you.",
    )
    solution = """
q2.check(3)
"""
    why = """
The server saw three events from the client: `connect`, `hello` and `disconnect`. The
client saw one: the acknowledgement of `hello`.
"""

    def verify(self, answer):
        self.expect_attempted(answer)
        if not isinstance(answer, int):
            raise Incorrect(f"you gave {answer!r}, a {type(answer).__name__}: give a whole "
                            "number (an int, without quotes).")  # fmt: skip
        if answer != 3:
            raise Incorrect(f"you said {answer}; count the rows with actor 'server' again.")
        return "connect, hello and disconnect all arrived at the server."


q1 = Exercise(ShoutHandler())
q2 = Exercise(CountServerRecords())
