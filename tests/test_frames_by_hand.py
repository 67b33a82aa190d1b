"""Notebook 02 §2's hand-built frame code and labsupport.websocket_frames, side by side.

The learner writes ``mask``, ``my_encode`` and ``my_decode`` in cells; the module is
"the same rules, hardened". This test takes those three functions from the notebook
itself (the cells that define them), so they cannot drift from what the learner ran,
and checks that both agree on every input a complete frame can have, that they differ
exactly where the notebook says (a frame cut short), and that both speak to a real
aiohttp WebSocket server.
"""

import ast
import socket
import struct
from pathlib import Path

import nbformat
import pytest
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st

from labsupport import websocket_frames as wsf
from labsupport.lab import servers

NOTEBOOK = Path(__file__).parent.parent / "notebooks" / "02_websockets_and_http.ipynb"
BUILT = ("mask", "my_encode", "my_decode")


def notebook_functions():
    """The cells of notebook 02 that define ``mask``, ``my_encode``, ``my_decode``, run."""
    namespace = {"struct": struct}
    found = set()
    for cell in nbformat.read(NOTEBOOK, as_version=4).cells:
        if cell.cell_type != "code" or not cell.source.startswith("def "):
            continue
        names = {n.name for n in ast.parse(cell.source).body if isinstance(n, ast.FunctionDef)}
        if names & set(BUILT):
            exec(compile(cell.source, str(NOTEBOOK), "exec"), namespace)
            found |= names
    assert set(BUILT) <= found, f"notebook 02 no longer defines {set(BUILT) - found}"
    return namespace


BY_HAND = notebook_functions()
my_encode, my_decode = BY_HAND["my_encode"], BY_HAND["my_decode"]

payloads = st.one_of(st.binary(max_size=300), st.binary(min_size=65_530, max_size=70_000))
keys = st.one_of(st.none(), st.binary(min_size=4, max_size=4))
opcodes = st.sampled_from([0x1, 0x2, 0x8, 0x9, 0xA])


@given(payloads, keys, opcodes)
def test_both_encode_the_same_bytes(payload, key, opcode):
    assert my_encode(payload, key=key, opcode=opcode) == wsf.encode_frame(payload, opcode, key)


@given(payloads, keys, opcodes)
def test_both_decode_a_whole_frame_the_same(payload, key, opcode):
    data = wsf.encode_frame(payload, opcode, key) + b"next frame"
    frame = wsf.decode_frame(data)
    assert my_decode(data) == (frame.opcode, frame.payload) == (opcode, payload)


@pytest.mark.parametrize("size", [5, 200, 70_000])  # 7-bit, 16-bit and 64-bit lengths
def test_a_frame_cut_short_is_refused_by_the_module_only(size):
    cut = wsf.encode_frame(b"x" * size, mask_key=b"abcd")[:-1]
    opcode, payload = my_decode(cut)  # the notebook's point: silently short
    assert (opcode, len(payload)) == (0x1, size - 1)
    with pytest.raises(wsf.FrameError, match="only"):
        wsf.decode_frame(cut)


def test_both_against_a_real_aiohttp_server():
    async def echo(request):
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for message in ws:
            await ws.send_bytes(message.data[::-1])
        return ws

    app = web.Application()
    app.router.add_get("/ws", echo)
    server = servers.serve_app(app, name="frames-by-hand-test")
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(
                wsf.handshake_request("127.0.0.1", server.port, "/ws", "x3JJHMbDL1EzLkh9GBhXDw==")
            )
            head = b""
            while not head.endswith(b"\r\n\r\n"):
                head += sock.recv(1)
            assert head.startswith(b"HTTP/1.1 101")
            for size in (5, 200, 70_000):
                sent = bytes(i % 251 for i in range(size))
                sock.sendall(my_encode(sent, key=b"\x01\x02\x03\x04", opcode=0x2))
                data = b""
                while True:
                    try:
                        frame = wsf.decode_frame(data)
                        break
                    except wsf.FrameError:  # not all here yet
                        data += sock.recv(65536)
                assert (frame.kind, frame.payload) == ("binary", sent[::-1])
                assert my_decode(data) == (0x2, frame.payload)
    finally:
        servers.stop(server.name)
