"""Close connections that never finish connecting: half-open socket.io sessions.

A client can open an Engine.IO session, answer every ping, and never send the
socket.io ``CONNECT`` for any namespace (a broken client, or a deliberate attack that
holds server memory). python-socketio keeps such a session open for ever; Node's
socket.io server closes it after ``connectTimeout`` (45 s by default).
``close_half_open(sio)`` gives a python-socketio server the same rule: a session with
no namespace connected ``timeout`` seconds after it opened is closed.

One sweeper task per server checks the new sessions every ``timeout / 2`` seconds
(a task per session would hold memory for every connection, good or bad).

The course's queue hubs (``queue_hub``, ``caps``) and every server run as a process
(``serve``) use it.
"""

import asyncio
import time

CONNECT_TIMEOUT = 10  # seconds; a real client sends CONNECT within milliseconds


def close_half_open(sio, timeout=CONNECT_TIMEOUT):
    """Make ``sio`` (an ``AsyncServer``) close sessions that connect to no namespace."""
    opened = sio.eio.handlers["connect"]  # python-socketio's own Engine.IO handler
    if getattr(opened, "guards_half_open", False):
        return sio  # guarded already (a hub served by serve.py, say)
    new_sessions = {}  # eio_sid -> when it opened (time.monotonic())
    sweeper = None

    async def on_session(eio_sid, environ, *args):
        nonlocal sweeper
        result = await opened(eio_sid, environ, *args)
        new_sessions[eio_sid] = time.monotonic()
        loop = asyncio.get_running_loop()  # a re-served server runs on a new loop
        if sweeper is None or sweeper.done() or sweeper.get_loop() is not loop:
            sweeper = loop.create_task(_sweep(sio, new_sessions, timeout))
        return result

    on_session.guards_half_open = True
    sio.eio.on("connect", on_session)
    return sio


async def _sweep(sio, new_sessions, timeout):
    while new_sessions:
        await asyncio.sleep(timeout / 2)
        for eio_sid, opened_at in list(new_sessions.items()):
            if eio_sid not in sio.environ or _connected(sio, eio_sid):
                del new_sessions[eio_sid]  # gone, or connected: nothing to guard
            elif time.monotonic() - opened_at > timeout:
                del new_sessions[eio_sid]
                await sio.eio.disconnect(eio_sid)


def _connected(sio, eio_sid):
    namespaces = {"/", *sio.manager.get_namespaces()}
    return any(sio.manager.sid_from_eio_sid(eio_sid, ns) for ns in namespaces)
