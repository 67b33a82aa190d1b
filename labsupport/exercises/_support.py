"""What several checkers share: a throw-away server, and reading what a client got.

Spotting ``____`` is ``checks.untouched``, the one "not attempted" rule."""

import inspect

import socketio

from labsupport.exercises.checks import Incorrect, describe
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
