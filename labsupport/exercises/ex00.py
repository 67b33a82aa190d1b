"""Exercises of notebook 00 (start here): ``from labsupport.exercises.ex00 import q1, q2``."""

import inspect

import socketio

from ..checks import Exercise, Incorrect, Problem, call_handler
from ..servers import serve_socketio, stop


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
    sent = "ready? go!"

    def verify(self, handler):
        self.expect_attempted(handler)
        if not inspect.iscoroutinefunction(handler):
            raise Incorrect("`shout` should be an `async def` function, like `hello`.")
        local = call_handler(handler, "test-sid", self.sent)
        self.expect_attempted(local)
        got = self._call_over_socketio(handler)
        if got != self.sent.upper():
            raise Incorrect(
                f"we emitted 'shout' with {self.sent!r}, expected the ack "
                f"{self.sent.upper()!r} and got {got!r}."
                + (" Did you return the text unchanged?" if got == self.sent else "")
            )
        return f"the client sent {self.sent!r} and got back {got!r} over a real connection."

    def _call_over_socketio(self, handler):
        sio = socketio.AsyncServer(async_mode="aiohttp")
        sio.on("shout", handler)
        server = serve_socketio(sio, name="q1-check")
        try:
            with socketio.SimpleClient() as client:
                client.connect(server.url)
                return client.call("shout", self.sent, timeout=5)
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
            raise Incorrect(f"give a whole number, not {type(answer).__name__} {answer!r}.")
        if answer != 3:
            raise Incorrect(f"you said {answer}; count the rows with actor 'server' again.")
        return "connect, hello and disconnect all arrived at the server."


q1 = Exercise(ShoutHandler())
q2 = Exercise(CountServerRecords())
