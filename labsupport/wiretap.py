"""A wire tap: a TCP relay that records the socket.io traffic crossing it, decoded.

Notebook 02 §3 puts one between a real python-socketio client and server, because
the libraries do not log everything they send: the WebSocket upgrade's ``2probe`` /
``3probe`` / ``5`` never reaches ``wirelog.WireLog``. On the wire nothing is hidden.

Each TCP connection is read as HTTP/1.1 (bodies with a ``Content-Length``, as
Engine.IO's are) until the server answers ``101 Switching Protocols``; from then on as
WebSocket frames, with ``websocket_frames.decode_frame``, which refuses a partial
frame, so the tap waits for the rest. Each packet goes to the trace through
``wirelog.record_packet``, the same records ``WireLog`` makes.
"""

import asyncio
import itertools
import re

from labsupport.lab import servers
from labsupport.socketio_packets import RECORD_SEPARATOR
from labsupport.websocket_frames import FrameError, decode_frame
from labsupport.wirelog import record_packet


class WireTap:
    """A relay on 127.0.0.1 that forwards every byte to ``upstream_port`` and records it.

    Point a client at ``tap.url`` instead of the server. Each TCP connection is read as
    HTTP until the server answers ``101``, then as WebSocket frames, decoded with the
    frame rules of notebook 02 §2 (a frame cut across two reads waits for its rest).
    """

    def __init__(self, trace, upstream_port, client="client", name="tap"):
        self.trace, self.upstream_port, self.client = trace, upstream_port, client
        self._connections = itertools.count(1)
        self.server = servers.serve_tcp(self._relay, name=name)
        self.url = f"http://{servers.HOST}:{self.server.port}"

    async def _relay(self, reader, writer):
        up_reader, up_writer = await asyncio.open_connection(servers.HOST, self.upstream_port)
        conn = {"id": f"tcp{next(self._connections)}", "websocket": False}
        try:
            await asyncio.gather(
                self._pipe(reader, up_writer, "server", self.client, conn),
                self._pipe(up_reader, writer, self.client, "server", conn),
            )
        except asyncio.CancelledError:  # the tap is stopping: end as a finished task,
            pass  # so that asyncio does not log the relay as cancelled
        finally:
            up_writer.close()

    async def _pipe(self, reader, writer, actor, sender, conn):
        buffer = b""
        try:
            while data := await reader.read(65536):
                buffer = self._read(buffer + data, actor, sender, conn)
                writer.write(data)
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()  # one side hung up: hang up the other

    def _read(self, buffer, actor, sender, conn):
        """Record every complete message at the start of ``buffer``; return the rest."""
        while buffer:
            if conn["websocket"]:
                try:
                    frame = decode_frame(buffer)
                except FrameError:  # not all here yet: wait for more bytes
                    return buffer
                self._frame(frame, actor, sender, conn["id"])
                buffer = buffer[frame.size :]
                continue
            message = _take_http(buffer)
            if message is None:
                return buffer
            head, body, buffer = message
            self._http(head, body, actor, sender, conn)
        return buffer

    def _http(self, head, body, actor, sender, conn):
        first = head.split("\r\n", 1)[0]
        if first.startswith("HTTP/"):  # a response
            status = first.split(" ", 1)[1]
            self.trace.record(actor, f"HTTP {status}", sender=sender, conn=conn["id"])
            conn["websocket"] = status.startswith("101")
            for packet in body.decode().split(RECORD_SEPARATOR) if body else []:
                record_packet(self.trace, packet, actor, sender, conn["id"])
            return
        method, path, _ = first.split(" ")
        transport = re.search(r"transport=(\w+)", path)
        event = f"HTTP {method} ({transport[1] if transport else path})"
        self.trace.record(actor, event, sender=sender, conn=conn["id"])
        if body:
            for packet in body.decode().split(RECORD_SEPARATOR):
                record_packet(self.trace, packet, actor, sender, conn["id"])

    def _frame(self, frame, actor, sender, conn):
        if frame.kind == "text":
            record_packet(self.trace, frame.payload.decode(), actor, sender, conn)
        else:
            self.trace.record(actor, f"WebSocket {frame.kind}", sender=sender, conn=conn)

    def stop(self):
        self.server.stop()


def _take_http(buffer):
    """``(head, body, rest)`` if a whole HTTP message starts ``buffer``, else None."""
    head, found, rest = buffer.partition(b"\r\n\r\n")
    if not found:
        return None
    length = re.search(rb"(?im)^content-length: *(\d+)", head)
    size = int(length[1]) if length else 0
    if len(rest) < size:
        return None
    return head.decode("latin-1"), rest[:size], rest[size:]
