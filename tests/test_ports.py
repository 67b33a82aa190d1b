"""labsupport.lab.ports: a free port for Redis, nginx and RabbitMQ (notebooks 06-06c)."""

import socket

from labsupport.lab import ports


def test_a_free_port_is_free_and_outside_the_range_linux_hands_out():
    """Ports Linux gives to ``bind(0)`` and to outgoing connections come from one range;
    a port for a slow-starting program (RabbitMQ) is drawn below it, and is free."""
    low = ports._ephemeral_low()
    drawn = {ports.free_port() for _ in range(50)}
    assert all(10000 <= port < low for port in drawn) and len(drawn) > 40
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", ports.free_port()))


def test_a_port_someone_listens_on_is_never_drawn(monkeypatch):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", ports.free_port()))
        listener.listen()
        taken = listener.getsockname()[1]
        draws = iter([taken, taken])  # the draw lands on it twice, then anywhere
        real = ports.random.randrange
        monkeypatch.setattr(ports.random, "randrange", lambda a, b: next(draws, None) or real(a, b))
        assert ports.free_port() != taken
