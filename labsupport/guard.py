"""Close connections that never finish connecting: half-open socket.io sessions.

A client can open an Engine.IO session, answer every ping, and never send the
socket.io ``CONNECT`` for any namespace (a broken client, or a deliberate attack that
holds server memory). python-socketio keeps such a session open for ever; Node's
socket.io server closes it after ``connectTimeout`` (45 s by default).
``close_half_open(sio)`` gives a python-socketio server the same rule: a session with
no namespace connected ``timeout`` seconds after it opened is closed.

The course's queue hubs (``queue_hub``, ``caps``) and every server run as a process
(``serve``) use it.
"""

CONNECT_TIMEOUT = 10  # seconds; a real client sends CONNECT within milliseconds


def close_half_open(sio, timeout=CONNECT_TIMEOUT):
    """Make ``sio`` (an ``AsyncServer``) close sessions that connect to no namespace."""
    opened = sio.eio.handlers["connect"]  # python-socketio's own Engine.IO handler

    async def on_session(eio_sid, environ, *args):
        result = await opened(eio_sid, environ, *args)
        sio.start_background_task(_close_if_still_half_open, sio, eio_sid, timeout)
        return result

    sio.eio.on("connect", on_session)
    return sio


async def _close_if_still_half_open(sio, eio_sid, timeout):
    await sio.sleep(timeout)
    namespaces = {"/", *sio.manager.get_namespaces()}
    connected = any(sio.manager.sid_from_eio_sid(eio_sid, ns) for ns in namespaces)
    if not connected and eio_sid in sio.environ:  # still open, and never connected
        await sio.eio.disconnect(eio_sid)
