"""A lossy UDP relay: it passes datagrams between a client and a server, and loses some.

On 127.0.0.1 nothing is ever lost, so to see what UDP does *not* promise we put a
relay in the middle that drops a chosen fraction of datagrams, in both directions,
and can deliver some out of order. Its random choices come from seeded generators,
one per direction, so a given seed loses the same datagrams every run, however the
two directions' traffic happens to interleave.

    client  <-->  relay (drops, reorders)  <-->  server

The client sends to the relay's port; the relay forwards to ``target`` and sends the
replies back to whoever last wrote to it.

Notebook 01 §3 uses it (it is a tool for the experiment, not something the learner
builds): every ping, retransmission and reordering experiment there goes through one,
seeded from ``evidence.seed(...)``, and its ``stats["dropped"]`` is printed beside the
pinger's losses.
"""

import asyncio
import random

from labsupport.lab.servers import serve_datagrams

HOLD_SECONDS = 0.05  # how long a held-back datagram waits for one to overtake it


class LossyRelay(asyncio.DatagramProtocol):
    """Forward datagrams between one client and ``target``, dropping ``loss`` of them."""

    def __init__(self, target, loss=0.0, reorder=0.0, seed=0):
        self.target = target
        self.loss = loss
        self.reorder = reorder
        # a string seed gives the same sequence in every Python process
        self.randoms = {"to server": random.Random(f"{seed} to server"),
                        "to client": random.Random(f"{seed} to client")}  # fmt: skip
        self.client = None
        self.held = {}  # direction -> (data, destination) waiting to be overtaken
        self.stats = {"received": 0, "dropped": 0, "reordered": 0, "forwarded": 0}

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        self.stats["received"] += 1
        if addr != self.target:
            self.client = addr
        direction = "to client" if addr == self.target else "to server"
        destination = self.client if direction == "to client" else self.target
        chance = self.randoms[direction].random
        if chance() < self.loss:
            self.stats["dropped"] += 1
            return
        if self.reorder and direction not in self.held and chance() < self.reorder:
            self.held[direction] = (data, destination)  # the next one overtakes this one
            asyncio.get_running_loop().call_later(HOLD_SECONDS, self._release, direction)
            return
        self._send(data, destination)
        if direction in self.held:
            self.stats["reordered"] += 1
            self._release(direction)

    def _send(self, data, destination):
        self.stats["forwarded"] += 1
        self.transport.sendto(data, destination)

    def _release(self, direction):
        if direction in self.held:
            self._send(*self.held.pop(direction))


def start_relay(target_port, loss=0.0, reorder=0.0, seed=0, name="relay"):
    """Run a ``LossyRelay`` to ``127.0.0.1:target_port``; its ``protocol.stats`` count."""
    relay = LossyRelay(("127.0.0.1", target_port), loss=loss, reorder=reorder, seed=seed)
    return serve_datagrams(relay, name=name)
