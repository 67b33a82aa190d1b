"""A free port for a program that cannot be told "port 0, you choose".

The course's own servers bind port 0 and ask which port they got (``servers.py``).
Redis (notebook 06), nginx (notebook 06b) and RabbitMQ (notebook 06c) want a port number
on their command line instead, and bind it a moment after we choose it. A port chosen
free can be taken in that moment; ``free_port`` draws it where that is least likely.
"""

import random
import socket


def free_port(host="127.0.0.1"):
    """A port nobody listens on now, drawn outside the range Linux hands out itself.

    Linux hands out the ports of ``bind(port 0)`` and of every outgoing connection from
    one range (``/proc/sys/net/ipv4/ip_local_port_range``, 32768-60999 by default), so a
    port chosen there can be taken by any connection meanwhile. RabbitMQ's Erlang VM
    takes seconds before it binds, and in CI a test's connections took its port in that
    window (``dist_port_already_used``). So the port is drawn below that range, where only
    a program that names its port can land, and checked free by binding it.
    """
    low = _ephemeral_low()
    for _ in range(100):
        port = random.randrange(10000, low) if low > 11000 else 0  # 0: Linux chooses
        with socket.socket() as probe:
            try:
                probe.bind((host, port))
            except OSError:  # someone listens there: draw again
                continue
            return probe.getsockname()[1]
    raise OSError("no free port found below the ephemeral range")


def _ephemeral_low():
    try:
        with open("/proc/sys/net/ipv4/ip_local_port_range") as limits:
            return int(limits.read().split()[0])
    except (OSError, ValueError, IndexError):  # not Linux: macOS hands out 49152 and up
        return 49152
