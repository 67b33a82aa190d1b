"""An HTTP-only proxy: it passes plain HTTP requests and refuses the WebSocket upgrade.

Notebook 02 §4 puts one between a client and a socket.io server, to show why socket.io
starts with HTTP. Some corporate proxies and firewalls pass ordinary requests but refuse
a request to switch the connection to a WebSocket. Through this one a bare WebSocket
client fails; a socket.io client stays on long-polling and keeps working.

    client  <-->  proxy (plain HTTP passes; "Upgrade: websocket" gets 403)  <-->  server

The proxy reads one request per TCP connection, whole (its head up to the empty line, then
``Content-Length`` bytes of body, as Engine.IO's requests are sent), and judges it. It
passes an ordinary one on with ``Connection: close``, so the server hangs up after its
answer and nothing further on that connection goes unjudged (a keep-alive connection
cannot slip an upgrade in after an ordinary request); HTTP clients simply open a new
connection for the next request. Answers flow back unread. A body without a
``Content-Length`` (``chunked``) is refused with 411 rather than misread: this proxy is
small, not general.
"""

import asyncio

from labsupport.lab import servers


def _response(status, text):
    body = f"{text}\n".encode()
    head = f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    return head.encode() + body


REFUSED = _response("403 Forbidden", "WebSocket upgrades are not allowed through this proxy")
NO_LENGTH = _response("411 Length Required", "this proxy passes bodies with a Content-Length")


def headers(head):
    """The headers of an HTTP request head (bytes), as a dict with lower-case names."""
    lines = head.decode("latin-1").split("\r\n")[1:]
    pairs = (line.partition(":") for line in lines if line)
    return {name.strip().lower(): value.strip() for name, _, value in pairs}


def is_websocket_upgrade(head):
    """Does this request ask to switch its connection to a WebSocket (RFC 6455 §4.1)?"""
    return headers(head).get("upgrade", "").lower() == "websocket"


class HttpOnlyProxy:
    """A relay on 127.0.0.1 to ``upstream_port`` that refuses every WebSocket upgrade.

    Point a client at ``proxy.url`` instead of the server. ``stats`` counts the requests
    passed and the upgrades refused; ``stop()`` stops it (starting another under the
    same ``name`` stops this one first, as every course server does).
    """

    def __init__(self, upstream_port, name="http-only"):
        self.upstream_port = upstream_port
        self.stats = {"passed": 0, "refused": 0}
        self.server = servers.serve_tcp(self._serve, name=name)
        self.port = self.server.port
        self.url = f"http://{servers.HOST}:{self.port}"

    def __repr__(self):
        return f"<HttpOnlyProxy {self.url} -> {servers.HOST}:{self.upstream_port} {self.stats}>"

    async def _serve(self, reader, writer):
        """One request per connection: judge it, pass it on, copy back the answer."""
        head = await _read_head(reader)
        if not head:  # the client connected and sent nothing
            return
        found = headers(head)
        if is_websocket_upgrade(head) or "transfer-encoding" in found:
            return await self._refuse(writer, head)
        try:
            body = await reader.readexactly(int(found.get("content-length", 0)))
        except asyncio.IncompleteReadError:  # the client hung up before its body ended
            return
        up_reader, up_writer = await asyncio.open_connection(servers.HOST, self.upstream_port)
        try:
            up_writer.write(close_after(head) + body)
            self.stats["passed"] += 1
            while data := await up_reader.read(65536):  # until the server hangs up
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass  # either side hung up, or the proxy is stopping
        finally:
            up_writer.close()

    async def _refuse(self, writer, head):
        """Answer the request here; it never reaches the server."""
        upgrade = is_websocket_upgrade(head)
        self.stats["refused"] += upgrade
        writer.write(REFUSED if upgrade else NO_LENGTH)
        await writer.drain()

    def stop(self):
        self.server.stop()


def close_after(head):
    """The request head with ``Connection: close``: the server hangs up after answering."""
    lines = [line for line in head.decode("latin-1").split("\r\n") if line]
    kept = [line for line in lines if not line.lower().startswith("connection:")]
    return ("\r\n".join([*kept, "Connection: close"]) + "\r\n\r\n").encode("latin-1")


async def _read_head(reader):
    """The request's head, up to and with its empty line; b"" if the client sent none."""
    try:
        return await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return b""
