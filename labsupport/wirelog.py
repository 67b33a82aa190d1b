"""Record what a socket.io server sends and receives, packet by packet, into a trace.

Two sources, both from the real server:

- an aiohttp *middleware* records each HTTP request (``GET`` or ``POST``) and its
  transport (``polling`` or ``websocket``);
- a ``logging.Handler`` on the Engine.IO logger records each packet the library says
  it sent or received, decoded with ``socketio_packets.describe``: the event is the
  layer and packet type (``"socket.io EVENT"``), the payload the rest. Warnings and
  errors the library logs (a refused origin, say) become ``"log"`` records.

Use it when you build a server: ``sio = AsyncServer(engineio_logger=wire.logger)`` and
``app = web.Application(middlewares=[wire.middleware])``.
"""

import itertools
import logging
import re

from aiohttp import web

from .socketio_packets import ENGINEIO_TYPES, describe

# the library logs e.g. "kX9...: Sending packet MESSAGE data 0{...}"
_PACKET = re.compile(
    r"^(?P<sid>\S+): (?P<verb>Sending|Received) packet (?P<type>\w+) data (?P<data>.*)$", re.DOTALL
)
_CODES = {name.upper(): code for code, name in ENGINEIO_TYPES.items()}
_names = itertools.count(1)


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
        data = match["data"] if match["type"] != "OPEN" else ""
        text = describe(_CODES[match["type"]] + (data if data != "None" else ""))
        if match["type"] == "OPEN":
            text += " sid, upgrades, pingInterval, pingTimeout, maxPayload"
        layer, kind, *rest = text.split(" ", 2)  # "socket.io", "ACK", "/ ack#1 [...]"
        event, details = f"{layer} {kind}", (rest[0] if rest else None)
        if match["verb"] == "Sending":
            self.trace.record(self.client, event, details, sender="server", conn=match["sid"])
        else:
            self.trace.record("server", event, details, sender=self.client, conn=match["sid"])

    @web.middleware
    async def middleware(self, request, handler):
        if request.path.startswith("/socket.io"):
            transport = request.query.get("transport", "?")
            self.trace.record("server", f"HTTP {request.method} ({transport})", sender=self.client)
        return await handler(request)
