"""Peers that die without a word, and clients that all come back at once (notebook 06b §3).

Two pieces of bench, both real:

- ``start_peer(name, sio_urls, tcp_ports)`` runs a client *program* (``python -m
  labsupport.lab.dead_peers``) that connects once to each socket.io server and each
  plain TCP server it is given, says ``connected``, and then only answers what the
  libraries answer by themselves (socket.io's PONGs). ``peer.freeze()`` sends it
  SIGSTOP: the process stops running, sends nothing, and closes nothing, though its
  kernel still acknowledges the TCP segments that reach it. That is a laptop whose lid
  shut, as its server sees it. ``peer.thaw()`` is SIGCONT.
- ``Crowd(name, size, ...)``: ``size`` python-socketio ``AsyncClient`` objects on one
  event loop of their own, each recording when it *tries* to connect (its first
  connect and every reconnection attempt) and when it *is* connected. Kill their server
  and start it again, and the records show when they all came back (a reconnection storm).

Both are in the registry (``registry.py``): stopped with the kernel, and when their
name is used again. A frozen peer is thawed before it is asked to stop, so that it can
hear the request.
"""

import argparse
import asyncio
import contextlib
import os
import re
import signal
import socket
import sys
import threading
import time

import socketio

from labsupport.lab import processes, registry
from labsupport.lab.background import BackgroundLoop

CONNECTED = re.compile(r"^connected \d+$")


class Peer(processes.ServerProcess):
    """The peer program: ``freeze()`` (SIGSTOP), ``thaw()`` (SIGCONT), ``frozen_at``."""

    frozen_at = None

    def freeze(self, timeout=5):
        """Stop the process where it is: no more PONGs, no FIN, no RST. Returns the time.

        SIGSTOP takes effect when each thread next runs: on a busy machine a thread
        woken to stop may first finish a ``recv`` that data reached meanwhile. So this
        returns only once every thread is stopped (``T`` in ``/proc``): from then on,
        what arrives stays unread in the socket's receive buffer."""
        os.kill(self.pid, signal.SIGSTOP)
        deadline = time.monotonic() + timeout
        while not _stopped(self.pid) and time.monotonic() < deadline:
            time.sleep(0.005)
        self.frozen_at = time.monotonic()
        return self.frozen_at

    def thaw(self):
        if self.alive:
            os.kill(self.pid, signal.SIGCONT)

    def ask_to_stop(self):
        super().ask_to_stop()
        self.thaw()  # a stopped process keeps SIGTERM pending until it runs again

    def stop(self, timeout=10):
        self.thaw()
        return super().stop(timeout)


def _stopped(pid):
    """Is every thread of process ``pid`` stopped by a signal (state ``T`` in ``/proc``)?"""
    states = []
    for task in os.scandir(f"/proc/{pid}/task"):
        with contextlib.suppress(FileNotFoundError), open(f"{task.path}/stat") as stat:
            states.append(stat.read().rpartition(")")[2].split()[0])  # a thread may just end
    return all(state == "T" for state in states)


def start_peer(name, sio_urls=(), tcp_ports=(), client_id=None, timeout=20):
    """Start the peer program connected to every server given; returns a ``Peer``."""
    argv = [sys.executable, "-m", "labsupport.lab.dead_peers"]
    argv += [arg for url in sio_urls for arg in ("--sio", url)]
    argv += [arg for port in tcp_ports for arg in ("--tcp", str(port))]
    if client_id:
        argv += ["--client-id", client_id]
    registry.replace(name)
    return registry.register(Peer(name, argv, timeout, ready=CONNECTED))


def receive_queue(remote_port):
    """Bytes waiting, unread, in the receive buffers of this machine's TCP connections to
    ``remote_port`` on 127.0.0.1 (Linux's ``/proc/net/tcp``, the ``rx_queue`` column)."""
    waiting = 0
    with open("/proc/net/tcp") as table:
        next(table)
        for line in table:
            fields = line.split()
            remote = int(fields[2].split(":")[1], 16)
            if remote == remote_port:
                waiting += int(fields[4].split(":")[1], 16)
    return waiting


class Crowd:
    """``size`` async socket.io clients on one loop; ``attempts`` and ``connects`` per client."""

    def __init__(self, name, size, **client_options):
        self.name = name
        self.background = BackgroundLoop(f"crowd:{name}")
        self.attempts = [[] for _ in range(size)]  # monotonic times of each connect attempt
        self.connects = [[] for _ in range(size)]  # monotonic times of each connection made
        self.changed = threading.Condition()
        self.clients = [self._client(n, client_options) for n in range(size)]
        registry.register(self)

    def _client(self, n, options):
        attempts, connects = self.attempts[n], self.connects[n]
        crowd = self

        class Counted(socketio.AsyncClient):
            async def connect(self, *args, **kwargs):
                attempts.append(time.monotonic())
                return await super().connect(*args, **kwargs)

        client = Counted(**options)

        @client.event
        async def connect():
            with crowd.changed:
                connects.append(time.monotonic())
                crowd.changed.notify_all()

        return client

    def connect(self, url, at_once=20, timeout=60):
        """Connect every client to ``url`` (``at_once`` handshakes at a time); returns self."""

        async def connect_all():
            gate = asyncio.Semaphore(at_once)

            async def one(client):
                async with gate:
                    await client.connect(url, transports=["websocket"], wait_timeout=10)

            await asyncio.gather(*(one(client) for client in self.clients))

        self.background.run(connect_all(), timeout)
        return self

    def wait_connected_since(self, moment, timeout=30):
        """Block until every client has connected after ``moment``; returns how many did."""

        def back():
            return sum(any(t > moment for t in times) for times in self.connects)

        with self.changed:
            self.changed.wait_for(lambda: back() == len(self.clients), timeout)
            return back()

    def stop(self):
        registry.forget(self.name, self)
        if not self.background.thread.is_alive():
            return

        async def leave():
            await asyncio.gather(*(client.shutdown() for client in self.clients),
                                 return_exceptions=True)  # fmt: skip

        try:
            self.background.run(leave(), timeout=10)
        finally:
            self.background.close()


def _main(argv=None):
    parser = argparse.ArgumentParser(description="a client that connects, then waits")
    parser.add_argument("--sio", action="append", default=[], help="a socket.io server URL")
    parser.add_argument("--tcp", action="append", default=[], type=int, help="a TCP port")
    parser.add_argument("--client-id", default=None, help="auth={'clientId': ...}")
    args = parser.parse_args(argv)
    held = []
    for url in args.sio:
        client = socketio.Client(reconnection=False, handle_sigint=False)
        auth = {"clientId": args.client_id} if args.client_id else None
        client.connect(url, transports=["websocket"], auth=auth, wait_timeout=10)
        held.append(client)
    for port in args.tcp:
        held.append(socket.create_connection(("127.0.0.1", port), timeout=10))
    print(f"connected {len(held)}", flush=True)
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    os._exit(0)  # at once: the kernel closes its sockets, as for any process that exits


if __name__ == "__main__":
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
    _main()
