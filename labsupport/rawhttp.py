"""HTTP/1.1 by hand over a TCP socket: a request is text, and so is the response head.

Notebook 02 §3 uses it to speak Engine.IO's polling protocol with nothing but a socket,
and §6 to count the bytes each request really costs. One request per connection
(``Connection: close``), which keeps the reading simple: the response ends when the
server closes.

    GET /path HTTP/1.1\\r\\n          request line
    Host: 127.0.0.1:8000\\r\\n        headers, one per line
    \\r\\n                            an empty line ends the head
    <body>                          Content-Length bytes
"""

import socket
from dataclasses import dataclass


@dataclass
class Response:
    status: int
    reason: str
    headers: dict
    body: bytes
    bytes_sent: int
    bytes_received: int

    @property
    def text(self):
        return self.body.decode()


def request(port, method, path, body=b"", content_type="text/plain;charset=UTF-8", timeout=5):
    """Send one HTTP request to ``127.0.0.1:port`` and return the parsed ``Response``."""
    head = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    if body:
        head += [f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
    raw = ("\r\n".join(head) + "\r\n\r\n").encode() + body
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(raw)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return _parse(received, len(raw))


def _parse(received, sent):
    head, _, body = received.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    _, status, reason = status_line.split(" ", 2)
    headers = dict(line.split(": ", 1) for line in header_lines)
    return Response(int(status), reason, headers, body, sent, len(received))
