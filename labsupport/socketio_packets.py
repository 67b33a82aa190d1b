"""Reading socket.io's packets: the two layers, Engine.IO outside, socket.io inside.

The library's own parser is what the servers use; this small decoder is here so you
can read captured traffic and see there is no magic in it. Notebook 02 §5 decodes every
packet type with it (and §3 reads a session's packets); ``wirelog`` and ``wiretap``
describe each packet they record with ``describe``, which is how notebooks 03 and 04
show theirs.

Engine.IO packet (the transport layer, one per WebSocket message, or several per
HTTP polling body separated by the byte 0x1E)::

    <type digit><data>            e.g.  4hello   = MESSAGE "hello"

socket.io packet (carried as the data of an Engine.IO MESSAGE, type 4)::

    <type digit>[<attachments>-][<namespace>,][<ack id>][<JSON data>]
    e.g.  2["chat",{"text":"hi"}]     EVENT on namespace "/"
          2/caps,7["pickup",{...}]    EVENT on "/caps" that wants ack number 7
          3/caps,7[true]              ACK number 7

So what travels for ``emit("chat", {...})`` over a WebSocket is ``42["chat",{...}]``.
"""

import json
import re
from dataclasses import dataclass

from labsupport.ip_packets import (
    PacketError,  # one class for every packet parsed by hand (notebook 01)
)

ENGINEIO_TYPES = {"0": "open", "1": "close", "2": "ping", "3": "pong", "4": "message",
                  "5": "upgrade", "6": "noop"}  # fmt: skip
SOCKETIO_TYPES = {"0": "CONNECT", "1": "DISCONNECT", "2": "EVENT", "3": "ACK",
                  "4": "CONNECT_ERROR", "5": "BINARY_EVENT", "6": "BINARY_ACK"}  # fmt: skip
RECORD_SEPARATOR = "\x1e"  # between packets in one HTTP polling body

_SOCKETIO = re.compile(r"(?P<type>\d)(?:(?P<attachments>\d+)-)?(?:(?P<namespace>/[^,]*),)?"
                       r"(?P<ack>\d+)?(?P<data>.*)", re.DOTALL)  # fmt: skip


@dataclass
class EngineIOPacket:
    type: str  # "open", "message", ...
    data: str


@dataclass
class SocketIOPacket:
    type: str  # "CONNECT", "EVENT", ...
    namespace: str
    ack_id: int | None
    data: object  # the decoded JSON, or None


def decode_engineio(text: str) -> EngineIOPacket:
    """Decode one Engine.IO packet, e.g. ``'4hello'``."""
    if not text or text[0] not in ENGINEIO_TYPES:
        raise PacketError(f"not an Engine.IO packet: {text[:20]!r} (types are 0-6)")
    return EngineIOPacket(ENGINEIO_TYPES[text[0]], text[1:])


def decode_polling_body(body: str) -> list[EngineIOPacket]:
    """Split an HTTP long-polling body into its Engine.IO packets."""
    return [decode_engineio(part) for part in body.split(RECORD_SEPARATOR)]


def decode_socketio(text: str) -> SocketIOPacket:
    """Decode one socket.io packet, e.g. ``'2["chat","hi"]'``."""
    match = _SOCKETIO.fullmatch(text)
    if not match or match["type"] not in SOCKETIO_TYPES:
        raise PacketError(f"not a socket.io packet: {text[:20]!r} (types are 0-6)")
    try:
        data = json.loads(match["data"]) if match["data"] else None
    except json.JSONDecodeError as error:
        raise PacketError(f"socket.io packet data is not JSON: {match['data'][:20]!r}") from error
    ack = int(match["ack"]) if match["ack"] else None
    return SocketIOPacket(SOCKETIO_TYPES[match["type"]], match["namespace"] or "/", ack, data)


def describe(text: str) -> str:
    """One line saying what an Engine.IO packet (and the socket.io packet inside) is."""
    outer = decode_engineio(text)
    if outer.type != "message":
        return f"Engine.IO {outer.type.upper()}" + (f" {outer.data}" if outer.data else "")
    try:
        inner = decode_socketio(outer.data)
    except PacketError:
        return f"Engine.IO MESSAGE {outer.data!r}"
    ack = f" ack#{inner.ack_id}" if inner.ack_id is not None else ""
    data = "" if inner.data is None else " " + json.dumps(inner.data)
    return f"socket.io {inner.type} {inner.namespace}{ack}{data}"
