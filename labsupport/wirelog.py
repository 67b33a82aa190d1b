"""Record what a socket.io server sends and receives, packet by packet, into a trace.

Notebook 02 §3 builds its traces with it; notebooks 03 and 04 reuse it. Two sources,
both inside the real server:

- an aiohttp *middleware* records each HTTP request (``GET`` or ``POST``) and its
  transport (``polling`` or ``websocket``);
- a ``logging.Handler`` on the Engine.IO logger records each packet the library says
  it sent or received, decoded with ``socketio_packets.describe``: the event is the
  layer and packet type (``"socket.io EVENT"``), the payload the rest. Warnings and
  errors the library logs (a refused origin, say) become ``"log"`` records.

Use it when you build a server: ``sio = AsyncServer(engineio_logger=wire.logger)`` and
``app = web.Application(middlewares=[wire.middleware])``.

What the library does not log (the WebSocket upgrade's probe) only the wire shows:
``wiretap.WireTap`` records it, through the same ``record_packet``.
"""

import itertools
import logging
import re

from aiohttp import web

from labsupport.socketio_packets import ENGINEIO_TYPES, describe

# the library logs e.g. "kX9...: Sending packet MESSAGE data 0{...}"
_PACKET = re.compile(
    r"^(?P<sid>\S+): (?P<verb>Sending|Received) packet (?P<type>\w+) data (?P<data>.*)$", re.DOTALL
)
_CODES = {name.upper(): code for code, name in ENGINEIO_TYPES.items()}
_names = itertools.count(1)


def record_packet(trace, text, actor, sender, conn):
    """Record one Engine.IO packet (``'2probe'``, ``'42[...]'``) as "layer TYPE", details."""
    text = describe(text)
    if text.startswith("Engine.IO OPEN"):  # its data holds a random sid: show the fields
        text = "Engine.IO OPEN sid, upgrades, pingInterval, pingTimeout, maxPayload"
    layer, kind, *rest = text.split(" ", 2)  # "socket.io", "ACK", "/ ack#1 [...]"
    return trace.record(actor, f"{layer} {kind}", rest[0] if rest else None, sender=sender,
                        conn=conn)  # fmt: skip


class WireLog(logging.Handler):
    """A logging handler (and middleware) that writes the server's traffic to ``trace``."""

    def __init__(self, trace, client="client"):
        super().__init__(level=logging.INFO)
        self.trace = trace
        self.client = client
        self.logger = logging.getLogger(f"labsupport.wirelog.{next(_names)}")
        self.logger.setLevel(logging.INFO)
        self.logger.propagate = False  # keep the library's log lines out of the notebook
        self.logger.addHandler(self)

    def emit(self, record):
        match = _PACKET.match(record.getMessage())
        if not match:
            if record.levelno >= logging.WARNING:  # a refusal or an error: keep it visible
                self.trace.record("server", "log", record.getMessage().split(" (further")[0])
            return
        text = _CODES[match["type"]] + (match["data"] if match["data"] != "None" else "")
        if match["verb"] == "Sending":
            record_packet(self.trace, text, self.client, "server", match["sid"])
        else:
            record_packet(self.trace, text, "server", self.client, match["sid"])

    @web.middleware
    async def middleware(self, request, handler):
        if request.path.startswith("/socket.io"):
            transport = request.query.get("transport", "?")
            self.trace.record("server", f"HTTP {request.method} ({transport})", sender=self.client)
        return await handler(request)
