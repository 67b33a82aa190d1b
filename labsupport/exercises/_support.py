"""What several checkers share: a throw-away server, and reading what a client got.

Spotting ``____`` is ``checks.untouched``, the one "not attempted" rule."""

import inspect
import time

import socketio

from labsupport.exercises.checks import Incorrect, NotAttempted, describe, expect_value
from labsupport.lab.servers import serve_socketio


def server_with(name, install, **options):
    """A real socket.io server called ``name``, with handlers added by ``install(sio)``."""
    sio = socketio.AsyncServer(async_mode="aiohttp", **options)
    install(sio)
    return serve_socketio(sio, name=name)


def installed(register, sio):
    """Call ``register(sio)``, which adds handlers; refuse a ``register`` that is a coroutine."""
    result = register(sio)
    if inspect.iscoroutine(result):
        describe(result)  # closes it: no "never awaited" warning later
        raise Incorrect(f"{register.__name__}(sio) returned a coroutine, so its handlers were "
                        f"never added: `{register.__name__}` only adds handlers, so make it a "
                        "plain `def` (the handlers inside are the `async def`s).")  # fmt: skip
    return result


def heard_after_sync(clients, sender):
    """What each of ``clients`` (a dict of ``SimpleClient``s) received after ``sender``'s
    events, once every client has caught up.

    The server handles each connection's events in order (``async_handlers=False``) and
    answers "sync" with True. ``sender``'s "sync" is answered only after its events were
    handled, so whatever they sent is queued by then. Each client then asks "sync" too:
    its answer comes on its own connection, behind what was queued for it, so once it is
    answered those events have arrived. No guess at how long delivery takes: waiting a
    fixed 0.3 s instead once judged a right answer wrong on a busy machine.
    """
    clients[sender].call("sync", timeout=5)
    for client in (client for name, client in clients.items() if name != sender):
        try:
            client.call("sync", timeout=5)
        except (socketio.exceptions.TimeoutError, socketio.exceptions.DisconnectedError):
            pass  # a connection the answer's code closed: what it got before still counts
    return {name: drain(client) for name, client in clients.items()}


def heard_within(clients, count, timeout=2.0):
    """What each of ``clients`` received: up to ``count`` events each, waiting ``timeout`` s
    in all for them, then whatever more comes before a quiet ``drain``.

    For events no "sync" can wait behind (``heard_after_sync``), as notebook 06's, which cross
    Redis from one server to another. A right answer's events end the wait as soon as
    they arrive; only an answer that delivers fewer waits the whole ``timeout``.
    """
    deadline, got = time.monotonic() + timeout, {}
    for name, client in clients.items():
        events = []
        while len(events) < count and (left := deadline - time.monotonic()) > 0:
            try:
                events.append(client.receive(timeout=left))
            except socketio.exceptions.TimeoutError:
                break
        got[name] = events + drain(client)
    return got


def drain(client, quiet=0.3):
    """Every event a ``SimpleClient`` has received, once nothing new came for ``quiet`` s."""
    got = []
    try:
        while True:
            got.append(client.receive(timeout=quiet))
    except socketio.exceptions.TimeoutError:
        return got


def in_sent_order(events, sent):
    """``events`` sorted into the order their payloads were ``sent``, unknown ones last.

    A server runs each event's handler as its own task, so two orders one client sends
    may reach a room in either order: a checker judges what arrived, not when."""
    rank = {repr(event): place for place, event in enumerate(sent)}
    return sorted(events, key=lambda event: rank.get(repr(event), len(rank)))


def whole_number(function, args, what, below_one):
    """``function(*args)``, a count of messages the learner chose for a budget: an int of 1
    or more, or a verdict naming the slip. 05b q3 (credit) and 06c q1 (prefetch) ask it.

    ``what`` says what the number is; ``below_one`` what 0 or less would do."""
    call = f"{function.__name__}({', '.join(f'{a:_}' for a in args)})"
    try:
        n = function(*args)
    except Exception as error:
        raise Incorrect(f"{call} raised {error!r}") from error
    expect_value(call, n)
    if "____" in repr(n):
        raise NotAttempted(f"{function.__name__} returned the blank ____: return a number")
    if n is None:
        raise Incorrect(f"{call} returned None: is there a `return` in front of the number?")
    if isinstance(n, bool) or not isinstance(n, int):
        raise Incorrect(f"{call} returned {n!r} ({type(n).__name__}): {what} is a whole "
                        "number of messages: return an int.")  # fmt: skip
    if n < 1:
        raise Incorrect(f"{call} returned {n}: {below_one}")
    return n
