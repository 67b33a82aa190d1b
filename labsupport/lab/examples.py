"""Small servers used by notebook 00 and the tests, kept here so a process can import them."""

import os

import socketio


def echo_server():
    """A socket.io server whose ``echo`` event acknowledges with what it was sent."""
    sio = socketio.AsyncServer(async_mode="aiohttp")

    @sio.event
    async def echo(sid, data):
        return data

    return sio


def rooms_server():
    """A socket.io server with rooms: ``join`` a room (acked), ``announce`` to a room.

    Notebook 04 runs two of these as separate processes to show that a room's
    broadcast stops at the process boundary. Notebook 06 sets ``REDIS_URL`` in their
    environment: then they share broadcasts through Redis (``AsyncRedisManager``).
    ``members`` answers how many members a room has *in this process*.
    """
    url = os.environ.get("REDIS_URL")
    manager = socketio.AsyncRedisManager(url) if url else None  # None: in memory
    # PING_INTERVAL (seconds): notebook 06b's backends ping often, so that a long-poll
    # left on a backend by a broken session ends soon
    pings = (
        {"ping_interval": float(os.environ["PING_INTERVAL"])}
        if "PING_INTERVAL" in os.environ
        else {}
    )
    sio = socketio.AsyncServer(async_mode="aiohttp", client_manager=manager, **pings)

    @sio.event
    async def join(sid, room):
        await sio.enter_room(sid, room)
        return f"joined {room}"

    @sio.event
    async def announce(sid, message):
        await sio.emit("announcement", message["text"], to=message["room"])
        return "sent"

    @sio.event
    async def members(sid, room):
        return len(list(sio.manager.get_participants("/", room)))

    return sio
