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
    environment: then they share broadcasts through Redis (``AsyncRedisManager``);
    notebook 06c sets ``AMQP_URL`` instead: through RabbitMQ (``AsyncAioPikaManager``).
    ``members`` answers how many members a room has *in this process*.
    """
    url, amqp = os.environ.get("REDIS_URL"), os.environ.get("AMQP_URL")
    manager = (socketio.AsyncRedisManager(url) if url  # None: in memory
               else socketio.AsyncAioPikaManager(amqp) if amqp else None)  # fmt: skip
    # PING_INTERVAL, PING_TIMEOUT (seconds): notebook 06b's servers ping often, so that a
    # long-poll left on a backend by a broken session ends soon, and a frozen server is
    # noticed soon by its client
    names = {"ping_interval": "PING_INTERVAL", "ping_timeout": "PING_TIMEOUT"}
    pings = {
        option: float(os.environ[name]) for option, name in names.items() if name in os.environ
    }
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
