"""Small servers used by notebook 00 and the tests, kept here so a process can import them."""

import socketio


def echo_server():
    """A socket.io server whose ``echo`` event acknowledges with what it was sent."""
    sio = socketio.AsyncServer(async_mode="aiohttp")

    @sio.event
    async def echo(sid, data):
        return data

    return sio
