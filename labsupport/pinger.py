"""A UDP pinger, and the same exchange made reliable by retransmission.

``ping()`` is the classic networking-course lab: send numbered datagrams to an echo
server, wait a little for each reply, and report round-trip times and losses. Over a
lossy relay (``relay.py``) some replies never come: UDP promises nothing.

``send_reliably()`` shows the fix at the heart of TCP: number each message, wait for
its acknowledgement, and send it again after a timeout until one arrives. Everything
gets through, in order; the price is time (waiting) and extra datagrams (retries).
The same idea, one level up, is notebook 05's message queue.

Notebook 01 §3 builds both in cells first (``ping_once``/``my_ping``, then
``send_until_acked`` and a receiver that drops duplicates), breaks them on purpose (a
lost datagram with no retry, a lost ack that makes a duplicate), and then imports this
module as the same rules, hardened: a deadline per message that ignores late replies to
older ones, a ``PingReport``, and a receiver object instead of a global list.
``tests/test_notebook01_built.py`` runs the cells and this module side by side.
"""

import socket
import time
from dataclasses import dataclass, field


@dataclass
class PingReport:
    sent: int
    rtts: list = field(default_factory=list)  # seconds, one per reply received

    @property
    def received(self):
        return len(self.rtts)

    @property
    def loss(self):
        return 1 - self.received / self.sent if self.sent else 0.0


def _udp_socket(timeout):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(timeout)
    return sock


def _await_reply(sock, expected, deadline):
    """Wait until ``deadline`` for the datagram ``expected``; ignore late replies to older ones."""
    while (left := deadline - time.perf_counter()) > 0:
        sock.settimeout(left)
        try:
            data, _ = sock.recvfrom(2048)
        except TimeoutError:
            return False
        if data == expected:
            return True
    return False


def ping(port, count=10, timeout=0.05):
    """Ping the echo server at ``127.0.0.1:port`` ``count`` times; return a ``PingReport``."""
    report = PingReport(sent=count)
    with _udp_socket(timeout) as sock:
        for seq in range(count):
            message = f"ping {seq}".encode()
            started = time.perf_counter()
            sock.sendto(message, ("127.0.0.1", port))
            if _await_reply(sock, message, started + timeout):
                report.rtts.append(time.perf_counter() - started)
    return report


def send_reliably(port, messages, timeout=0.05, max_tries=50):
    """Send each message until the server acknowledges it; return the tries per message.

    The server must answer ``b"ack <n>"`` to a datagram ``b"<n> <text>"``.
    """
    tries = []
    with _udp_socket(timeout) as sock:
        for seq, text in enumerate(messages):
            datagram, ack = f"{seq} {text}".encode(), f"ack {seq}".encode()
            for attempt in range(1, max_tries + 1):
                sock.sendto(datagram, ("127.0.0.1", port))
                if _await_reply(sock, ack, time.perf_counter() + timeout):
                    tries.append(attempt)
                    break
            else:
                raise TimeoutError(f"message {seq} not acknowledged after {max_tries} tries")
    return tries


class ReliableReceiver:
    """The server side of ``send_reliably``: acknowledge every copy, keep each message once."""

    def __init__(self):
        self.delivered = []  # messages in the order they were first received

    def __call__(self, data, addr):
        seq, _, text = data.decode().partition(" ")
        if int(seq) == len(self.delivered):  # the next one expected: keep it
            self.delivered.append(text)
        return f"ack {seq}".encode()  # a retransmitted copy is acknowledged again
