"""socket.io clients for the notebooks: named, traced, and stopped like servers.

Notebook 03 introduces them; notebooks 04 to 07 connect theirs the same way.

A ``socketio.Client`` runs its own background threads, and keeps trying to
reconnect when its server goes away. Created in a cell that you re-run, the old one
would live on beside the new one. So, like servers, each client here has a name in
the registry: connecting a new client under a name disconnects the old one, and
kernel exit disconnects them all.

``TracedClient`` also records every event it receives into a trace (with a catch-all
handler, ``"*"``), unless you pass ``record_all=False`` and add only the handlers
you want on ``client.sio``.

``SimpleClient`` is python-socketio's, with one change the course needs: its
``disconnect()`` also ends a reconnection under way. python-socketio's own (5.18) does
nothing to a client whose server went away first, so that client goes on trying in a
thread of its own, and joins whichever server next gets the port (the checkers and the
tests start many servers in one process). ``docs/upstream.md`` has the reproduction.
"""

import socketio

from labsupport.lab import registry


class TracedClient:
    """A python-socketio ``Client`` called ``name``; ``client.sio`` is the real client."""

    def __init__(self, name, trace=None, record_all=True, **options):
        self.name = name
        self.trace = trace
        self.sio = socketio.Client(**options)
        self.sio.on("connect", self._on_connect)
        if record_all:
            self.sio.on("*", self._on_any_event)

    def _on_connect(self):
        if self.trace is not None:
            self.trace.record(self.name, "connected", sender="server", conn=self.sid)

    def _on_any_event(self, event, data=None):
        if self.trace is not None:
            self.trace.record(self.name, event, data, sender="server", conn=self.sid)

    def connect(self, url, auth=None, **options):
        """Connect and wait (up to 5 s) until the server has accepted us."""
        registry.register(self)  # replaces an older client with this name
        options.setdefault("wait_timeout", 5)
        try:
            self.sio.connect(url, auth=auth, **options)
        except Exception:
            registry.forget(self.name, self)  # refused: nothing is left running
            raise
        return self

    def emit(self, event, data=None, namespace="/"):
        """Send ``event`` without waiting for anything."""
        self.sio.emit(event, data, namespace=namespace)

    def call(self, event, data=None, timeout=5, namespace="/"):
        """Send ``event`` and wait for the server's acknowledgement; return it.

        No answer in ``timeout`` seconds raises socket.io's ``TimeoutError``, here with a
        message saying what went unanswered (python-socketio's own has none)."""
        try:
            return self.sio.call(event, data, timeout=timeout, namespace=namespace)
        except socketio.exceptions.TimeoutError:
            why = f"{self.name}: no acknowledgement of {event!r} within {timeout} s"
            raise socketio.exceptions.TimeoutError(why) from None

    @property
    def sid(self):
        """The socket.io session id, as the server's handlers see it (None when not connected)."""
        return self.sio.get_sid()

    def stop(self):
        """Disconnect, or end a reconnection under way, and forget the name."""
        registry.forget(self.name, self)
        self.sio.shutdown()

    def __repr__(self):
        state = "connected" if self.sio.connected else "not connected"
        return f"<TracedClient {self.name!r} {state}>"


def connect(name, url, trace=None, auth=None, record_all=True, **connect_options):
    """Make a ``TracedClient`` called ``name`` and connect it to ``url``.

    ``connect_options`` go to ``socketio.Client.connect`` (``headers=...``, say).
    """
    client = TracedClient(name, trace, record_all=record_all)
    return client.connect(url, auth=auth, **connect_options)


class SimpleClient(socketio.SimpleClient):
    """python-socketio's ``SimpleClient``; ``disconnect()`` also ends a reconnection."""

    def disconnect(self):
        if self.client is not None:
            self.client.shutdown()  # disconnects, or stops the reconnection attempts
        self.client, self.connected = None, False
