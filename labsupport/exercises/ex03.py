"""Exercises of notebook 03 (socket.io events): ``from labsupport.exercises.ex03 import q1``."""

import ast
import inspect
import textwrap

import socketio

from labsupport.exercises._support import heard_after_sync, installed, server_with
from labsupport.exercises.checks import (
    Exercise,
    Incorrect,
    Problem,
    call_handler,
    return_in_loop,
    why_none,
)
from labsupport.lab.clients import SimpleClient
from labsupport.lab.servers import stop


class Average(Problem):
    title = "q1, an acknowledgement with a computed value"
    cases = [([2, 4, 9], 5.0), ([1, 2], 1.5), ([], None)]
    hints = (
        "Section 4: what the handler returns is the acknowledgement.",
        "The mean is sum(numbers) / len(numbers); an empty list has no mean.",
        "`return sum(numbers) / len(numbers) if numbers else None`",
    )
    solution = """
async def average(sid, numbers):
    return sum(numbers) / len(numbers) if numbers else None


q1.check(average)
"""
    why = """
The return value travels back as an ACK packet (`3<id>[5.0]`) to the client's call().
Returning None for an empty list, instead of letting the division fail, means the
client gets an answer rather than waiting until its timeout.
"""

    def verify(self, handler):
        self.expect_attempted(handler)
        self.expect_attempted(call_handler(handler, "test-sid", [2, 4, 9]))
        errors = []  # what the handler raised: told here, not left in an unread task
        server = server_with("q1-check", lambda sio: sio.on("average", caught(handler, errors)))
        try:
            with SimpleClient() as client:
                client.connect(server.url)
                for numbers, expected in self.cases:
                    got = self._ask(client, numbers)
                    if errors:
                        empty = " An empty list has no mean: answer None." if not numbers else ""
                        raise Incorrect(f"average(sid, {numbers}) raised {errors[0]!r}.{empty}")
                    self.expect_attempted(got)
                    if got != expected:
                        raise Incorrect(
                            f"we sent {numbers}, expected the ack {expected!r}, "
                            f"got {got!r}. {self.slip(handler, got, expected)}"
                        )
        finally:
            stop("q1-check")
        return "each call got the mean back, and the empty list got None."

    @staticmethod
    def slip(handler, got, expected):
        """The likely slip behind the wrong acknowledgement ``got``."""
        if isinstance(got, str):
            return ("That is text: return the number itself (JSON carries numbers as "
                    "numbers, and the client gets what you return).")  # fmt: skip
        if isinstance(expected, float) and got == expected // 1:
            return ("The fraction was cut off: `//` is floor division, which rounds down; "
                    "`/` gives the exact mean.")  # fmt: skip
        if got is None:
            return why_none(handler)
        if expected is None:
            return "An empty list has no mean: answer None."
        return return_in_loop(handler) or (
            "The mean is the sum of the numbers divided by how many there are."
        )

    def _ask(self, client, numbers):
        try:
            return client.call("average", numbers, timeout=2)
        except socketio.exceptions.TimeoutError:
            raise Incorrect(
                f"we sent {numbers} and no acknowledgement came within 2 s. Did the handler "
                "raise an error (an empty list has no mean), or forget to return?"
            ) from None


def caught(handler, errors):
    """``handler``, with what it raises kept in ``errors`` (the checker reports it)."""

    async def handle(sid, numbers):
        try:
            result = handler(sid, numbers)  # an async def or a plain def, as socket.io allows
            return (await result) if inspect.iscoroutine(result) else result
        except Exception as error:
            errors.append(error)

    return handle


def unawaited_calls(function, names=("emit", "call", "enter_room", "leave_room", "sleep")):
    """The calls in ``function``'s source to coroutines (by name) with no ``await``."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return []
    awaited = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Await)}
    return [ast.unparse(node) for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
            and node.func.attr in names and id(node) not in awaited]  # fmt: skip


class ShoutToOthers(Problem):
    title = "q2, broadcast to everyone but the sender"
    hints = (
        "Section 3: the relay version of `chat` does exactly this.",
        "`await server.emit(...)` with the event name, the text, and one more argument.",
        "`await server.emit('shout', text, skip_sid=sid)`",
    )
    solution = """
def register(server):
    @server.event
    async def shout(sid, text):
        await server.emit("shout", text, skip_sid=sid)


q2.check(register)
"""
    why = """
Without skip_sid, emit() sends to every connected client, the shouter included;
skip_sid leaves out the one connection that sent it.
"""

    sent = ("HEY", "over here")

    def verify(self, register):
        self.expect_attempted(register)
        # In-order handling lets "sync" prove that "shout" was fully handled (heard_after_sync)
        install = lambda sio: self._install(sio, register)  # noqa: E731
        server = server_with("q2-check", install, async_handlers=False)
        names = ("ann", "ben", "cat")
        clients = {name: SimpleClient() for name in names}
        try:
            for client in clients.values():
                client.connect(server.url)
            for text in self.sent:
                clients["ann"].emit("shout", text)
            received = heard_after_sync(clients, "ann")
        finally:
            for client in clients.values():
                client.disconnect()
            stop("q2-check")
        heard = [["shout", text] for text in self.sent]
        expected = {"ann": [], "ben": heard, "cat": heard}
        if received == {name: [] for name in names}:
            self.expect_attempted(register, in_source=True)
        if received == {name: [] for name in names} and (missing := unawaited_calls(register)):
            raise Incorrect(
                f"nobody heard anything: `{missing[0]}` has no `await` in front "
                "(a missing await). server.emit is a coroutine: without `await` it never runs."
            )
        if received == {name: [] for name in names} and (why := self.silent(register)):
            raise Incorrect(f"ann shouted, and nobody heard anything. {why}")
        if received != expected:
            slip = " The sender should not hear herself." if received["ann"] else ""
            if not slip and any(events != heard and events for events in received.values()):
                slip = " Relay the `text` the handler was given, as it came."
            said = " then ".join(map(repr, self.sent))
            raise Incorrect(f"ann shouted {said}; expected {expected}, got {received}.{slip}")
        return "ben and cat heard it; ann, who shouted, did not."

    @staticmethod
    def silent(register):
        """Why nobody heard anything, read from ``register``'s source ("" if it says nothing)."""
        try:
            tree = ast.parse(textwrap.dedent(inspect.getsource(register)))
        except (OSError, TypeError, SyntaxError):
            return ""
        outer = next((n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)), None)
        if outer is None or not outer.args.args:
            return ""
        given = outer.args.args[0].arg
        emits = [n for n in ast.walk(outer) if isinstance(n, ast.Call)
                 and isinstance(n.func, ast.Attribute) and n.func.attr == "emit"]  # fmt: skip
        others = [ast.unparse(n.func.value) for n in emits
                  if isinstance(n.func.value, ast.Name) and n.func.value.id != given]  # fmt: skip
        if others:
            return (f"Your handler emits on `{others[0]}`, not on `{given}`, the server that "
                    f"{outer.name} is given: the check runs a server of its own and hands it "
                    f"to {outer.name}, so `{others[0]}` (another server) reached none of its "
                    "clients. Emit on the server you were given.")  # fmt: skip
        handlers = [n for n in ast.walk(outer) if isinstance(n, ast.AsyncFunctionDef)]
        returns = any(isinstance(n, ast.Return) and n.value is not None
                      for h in handlers for n in ast.walk(h))  # fmt: skip
        if not emits and returns:
            return ("Your handler returns the text, and a handler's return value goes back "
                    "only to the sender, as the acknowledgement of its event (ann's emit asked "
                    "for none). To reach the others, the handler must emit.")  # fmt: skip
        return ""

    @staticmethod
    def _install(sio, register):
        installed(register, sio)
        sio.on("sync", lambda sid: True)


class WhoHearsChat(Problem):
    title = "q3, predicting a relay"
    expected = {"server", "alice", "carol"}
    hints = (
        "The server's handler runs first: it hears every chat.",
        "Then `skip_sid=sid` leaves out the sender, bob.",
    )
    solution = """
q3.check({"server", "alice", "carol"})
"""
    why = """
Bob's emit reaches the server's `chat` handler, which records it and emits `chat` to
every connection except bob's own sid.
"""

    def verify(self, answer):
        self.expect_attempted(answer)
        answer = set(answer) if isinstance(answer, list | tuple | set) else answer
        if not isinstance(answer, set):
            raise Incorrect(f"give a set of names, like {{'server', 'alice'}}, not {answer!r}.")
        if "bob" in answer:
            raise Incorrect("bob is the sender, and `skip_sid=sid` leaves him out.")
        lower = {str(name).lower() for name in answer}
        said = "{" + ", ".join(map(repr, sorted(answer, key=str))) + "}"  # a set, as written
        if answer != self.expected and lower == self.expected:
            raise Incorrect(f"you said {said}: the right ones, but the check "
                            "compares names exactly, and the notebook writes them in lower "
                            "case.")  # fmt: skip
        if answer != self.expected:
            raise Incorrect(f"you said {said}; who runs a `chat` handler here?")
        return "the server handles it, then relays it to alice and carol."


q1 = Exercise(Average())
q2 = Exercise(ShoutToOthers())
q3 = Exercise(WhoHearsChat())
