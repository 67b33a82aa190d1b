"""python-socketio's threaded client over wss: how often does the first call lose its answer?

Run from the repository's root: ``.venv/bin/python docs/upstream/wss_threaded_client_race.py``
(see docs/upstream.md §19). It serves an echo server over TLS on 127.0.0.1, then connects
N times with ``transports=["websocket"]`` and calls ``echo`` once, first with the threaded
``socketio.SimpleClient`` and then with the asyncio ``socketio.AsyncSimpleClient``, over
``wss`` and over plain ``ws``. It prints, for each, how many calls got no answer within
10 s, and what the threaded client's reading thread saw. Start one or two busy processes
beside it (``python3 -c 'while True: pass' &``): the race needs the two threads to meet.
"""

import asyncio
import ssl
import sys
import time

import aiohttp
import socketio
import websocket._core

from labsupport.lab import servers, tls

N = int(sys.argv[1]) if len(sys.argv) > 1 else 500
seen_by_reader = []  # what the threaded client's WebSocket reads raised
_recv = websocket._core.WebSocket.recv


def recording_recv(self):
    try:
        return _recv(self)
    except Exception as error:
        seen_by_reader.append(repr(error))
        raise


websocket._core.WebSocket.recv = recording_recv
_wrap = ssl.SSLContext.wrap_socket


def wrap_without_hiding_eof(self, sock, *args, **kwargs):
    """Python reports an EOF without TLS's close_notify as b"" (a closed connection) by
    default; this shows the error instead."""
    return _wrap(self, sock, *args, **{**kwargs, "suppress_ragged_eofs": False})


ssl.SSLContext.wrap_socket = wrap_without_hiding_eof


def echo_server(context):
    sio = socketio.AsyncServer(async_mode="aiohttp", cors_allowed_origins="*")
    sio.on("echo", lambda sid, data: data)
    return servers.serve_socketio(sio, name="race", ssl=context)


def threaded(url, session):
    lost = 0
    for _ in range(N):
        client = socketio.SimpleClient(http_session=session)
        try:
            client.connect(url, transports=["websocket"])
            client.call("echo", "x", timeout=10)
        except socketio.exceptions.TimeoutError:
            lost += 1
        finally:
            client.client.shutdown()
    return lost


async def with_asyncio(url, secure):
    lost = 0
    for _ in range(N):
        connector = aiohttp.TCPConnector(ssl=tls.client_context() if secure else False)
        async with aiohttp.ClientSession(connector=connector) as session:
            async with socketio.AsyncSimpleClient(http_session=session) as client:
                await client.connect(url, transports=["websocket"])
                try:
                    await client.call("echo", "x", timeout=10)
                except socketio.exceptions.TimeoutError:
                    lost += 1
    return lost


if __name__ == "__main__":
    import requests

    trusting = requests.Session()
    trusting.verify, trusting.trust_env = str(tls.ca_file()), False
    for secure in (True, False):
        server = echo_server(tls.server_context() if secure else None)
        started = time.monotonic()
        lost = threaded(server.url, trusting)
        print(f"threaded client, {'wss' if secure else 'ws '}: {lost} of {N} calls unanswered"
              f" ({time.monotonic() - started:.0f} s)")  # fmt: skip
        print(f"   its reading thread saw: {sorted(set(seen_by_reader)) or 'nothing'}")
        seen_by_reader.clear()
        lost = asyncio.run(with_asyncio(server.url, secure))
        print(f"asyncio client,  {'wss' if secure else 'ws '}: {lost} of {N} calls unanswered")
        server.stop()
