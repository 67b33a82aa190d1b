"""Capture real packets without root: a network of your own, and a raw socket on it.

Notebook 01 looks at a real TCP connection, a UDP datagram lost on its way and (in
notebook 02) a WebSocket frame, as they crossed the wire. Capturing normally needs root.
On Linux an ordinary user may open a *network namespace* of their own (``unshare -rn``):
a private loopback, of which they are root, so a raw ``AF_PACKET`` socket works there.
This program runs inside one:

1. it brings the namespace's ``lo`` up (it starts down);
2. it starts capturing every frame on ``lo``;
3. it plays a scenario (``tcp``, ``udp``, ``websocket`` or ``socketio``) on 127.0.0.1;
4. it writes the frames as a pcap file (``labsupport.lab.pcap``; Wireshark opens it too),
   and beside it a JSON file of what the programs themselves saw.

``python -m labsupport.lab.capture SCENARIO FILE.pcap`` runs one scenario in this process
(inside a namespace); ``capture(scenario, folder)`` starts that in a new namespace and
returns the file. Where namespaces are refused (macOS, most containers, Ubuntu 24.04's
default rules) and the kernel is not root, ``capture_or_shipped`` falls back to the
capture that ships with the course (``labsupport/lab/captures/``, made by this program) and
says so.
"""

import fcntl
import json
import os
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from labsupport.lab import pcap
from labsupport.lab.clients import SimpleClient

SHIPPED = Path(__file__).parent / "captures"
SCENARIOS = ("tcp", "udp", "websocket", "socketio")
ETH_P_ALL, PACKET_OUTGOING = 0x0003, 4
SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP = 0x8913, 0x8914, 0x1


def bring_up(interface="lo"):
    """Set the interface's UP flag, as ``ip link set lo up`` does (an ioctl on any socket)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as any_socket:
        request = struct.pack("16sH", interface.encode(), 0)
        flags = struct.unpack("16sH", fcntl.ioctl(any_socket, SIOCGIFFLAGS, request)[:18])[1]
        fcntl.ioctl(
            any_socket, SIOCSIFFLAGS, struct.pack("16sH", interface.encode(), flags | IFF_UP)
        )


class Sniffer:
    """Every frame on one interface, from a raw socket, in a thread, until ``stop()``."""

    def __init__(self, interface="lo"):
        self.raw = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        self.raw.bind((interface, 0))
        self.raw.settimeout(0.05)
        self.frames, self.done = [], threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.done.is_set():
            try:
                frame, address = self.raw.recvfrom(65535)
            except TimeoutError:
                continue
            if address[2] != PACKET_OUTGOING:  # on lo each frame shows up twice
                self.frames.append((time.time(), frame))

    def stop(self):
        time.sleep(0.2)  # the last frames of a close are still on their way
        self.done.set()
        self.thread.join()
        self.raw.close()
        return self.frames


def tcp_scenario():
    """Connect, two quick sends, one recv on the server side, the echo; the client closes
    first, then the server (so the teardown reads the same every run)."""
    listener = socket.create_server(("127.0.0.1", 0))
    seen = {}

    def serve():
        connection, _ = listener.accept()
        while len(connection.recv(1024, socket.MSG_PEEK)) < 10:  # wait until both are here
            pass
        seen["server recv"] = connection.recv(1024).decode()
        connection.sendall(seen["server recv"].encode())
        connection.recv(1024)  # b"" once the client has closed: then close, second
        connection.close()

    server = threading.Thread(target=serve)
    server.start()
    with socket.create_connection(listener.getsockname(), timeout=5) as client:
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # each send a segment
        client.sendall(b"hello")
        client.sendall(b"world")
        seen["client recv"] = client.recv(1024).decode()
    server.join()
    listener.close()
    return seen


def udp_scenario():
    """Three pings through a relay that drops the second, to an echo server, and back."""
    echo, relay, client = (socket.socket(socket.AF_INET, socket.SOCK_DGRAM) for _ in range(3))
    for each in (echo, relay, client):
        each.bind(("127.0.0.1", 0))
    names = ("echo", "relay", "client")
    ports = {name: s.getsockname()[1] for name, s in zip(names, (echo, relay, client), strict=True)}
    answered = []
    for number in (1, 2, 3):
        client.sendto(f"ping {number}".encode(), relay.getsockname())
        data, _ = relay.recvfrom(100)
        if number == 2:
            continue  # the relay loses this one: it never goes on to the echo server
        relay.sendto(data, echo.getsockname())
        echo.sendto(echo.recvfrom(100)[0], client.getsockname())
        answered.append(client.recvfrom(100)[0].decode())
    for each in (echo, relay, client):
        each.close()
    return {"answered": answered, "ports": ports}


def websocket_scenario():
    """A WebSocket handshake, one text frame each way, and the closing handshake."""
    import websocket  # websocket-client, a plain blocking client
    from aiohttp import web

    from labsupport.lab.background import BackgroundLoop

    async def echo(request):
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for message in ws:
            await ws.send_str(message.data)
        return ws

    loop = BackgroundLoop("capture")
    app = web.Application()
    app.router.add_get("/ws", echo)
    runner = web.AppRunner(app)

    async def start():
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        return runner.addresses[0][1]

    port = loop.run(start())
    client = websocket.create_connection(f"ws://127.0.0.1:{port}/ws", timeout=5)
    client.send("hello")
    seen = {"client recv": client.recv()}
    client.close()
    loop.run(runner.cleanup())
    loop.close()
    return seen


def socketio_scenario():
    """A socket.io client calls one event over a WebSocket and gets its acknowledgement."""
    import socketio

    from labsupport.lab import servers

    sio = socketio.AsyncServer(async_mode="aiohttp")
    sio.on("hello", lambda sid, name: f"hello, {name}!")
    server = servers.serve_socketio(sio, name="capture")
    with SimpleClient() as client:
        client.connect(server.url, transports=["websocket"])
        seen = {"ack": client.call("hello", "capture", timeout=5)}
    server.stop()
    return seen


def main(scenario, path):
    """Inside a namespace: bring lo up, capture, play ``scenario``, write the files."""
    bring_up("lo")
    sniffer = Sniffer("lo")
    seen = globals()[f"{scenario}_scenario"]()
    pcap.write(path, sniffer.stop())
    Path(path).with_suffix(".json").write_text(json.dumps(seen, indent=1))


def seen_by_programs(path):
    """What the scenario's own programs saw (the JSON file beside the capture)."""
    return json.loads(Path(path).with_suffix(".json").read_text())


def capture(scenario, folder=None):
    """Run ``scenario`` in a network namespace of its own; return the pcap file's path.

    Raises ``PermissionError`` when this machine refuses both a namespace and root.
    """
    if scenario not in SCENARIOS:
        raise ValueError(f"unknown scenario {scenario!r}: choose one of {SCENARIOS}")
    folder = Path(folder or tempfile.mkdtemp(prefix="capture-"))
    path = folder / f"{scenario}.pcap"
    unshare = ["unshare", "--net"] + ([] if os.geteuid() == 0 else ["--map-root-user"])
    argv = [*unshare, sys.executable, "-m", "labsupport.lab.capture", scenario, str(path)]
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    except FileNotFoundError as missing:
        raise PermissionError("no 'unshare' program (util-linux) on this machine") from missing
    if result.returncode != 0:
        raise PermissionError(f"capturing failed: {result.stderr.strip()[-400:]}")
    return path


def capture_or_shipped(scenario, folder=None):
    """(path, how): a fresh capture if this machine allows it, else the shipped one."""
    try:
        return capture(scenario, folder), "captured just now, in a network namespace"
    except PermissionError as refused:
        reason = str(refused).splitlines()[-1]
        return SHIPPED / f"{scenario}.pcap", f"the course's shipped capture ({reason})"


if __name__ == "__main__":
    main(*sys.argv[1:3])
