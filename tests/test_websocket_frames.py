"""labsupport.websocket_frames: RFC 6455's examples, round trips, and refusing bad frames."""

import socket

import pytest
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st

from labsupport.lab import servers
from labsupport.websocket_frames import (
    FrameError,
    accept_key,
    decode_frame,
    encode_frame,
    handshake_request,
)


def test_accept_key_matches_the_rfc_example():
    assert accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def test_rfc_example_frames():
    # RFC 6455 section 5.7: "Hello", unmasked and masked with 37 fa 21 3d.
    assert encode_frame(b"Hello") == bytes.fromhex("810548656c6c6f")
    masked = bytes.fromhex("818537fa213d7f9f4d5158")
    assert encode_frame(b"Hello", mask_key=bytes.fromhex("37fa213d")) == masked
    frame = decode_frame(masked)
    assert (frame.fin, frame.kind, frame.masked, frame.payload, frame.size) == (
        True, "text", True, b"Hello", 11,
    )  # fmt: skip


@given(st.binary(max_size=70_000), st.one_of(st.none(), st.binary(min_size=4, max_size=4)))
def test_round_trip_at_every_length_encoding(payload, mask):
    frame = decode_frame(encode_frame(payload, opcode=0x2, mask_key=mask))
    assert (frame.payload, frame.length, frame.opcode) == (payload, len(payload), 0x2)


@given(st.binary(max_size=40))
def test_garbage_raises_frame_error_or_decodes(garbage):
    try:
        frame = decode_frame(garbage)
    except FrameError:
        return
    assert frame.size <= len(garbage)


@pytest.mark.parametrize("cut", [0, 1, 3, 5, 10])
def test_truncated_frames_are_refused(cut):
    with pytest.raises(FrameError):
        decode_frame(encode_frame(b"Hello", mask_key=b"abcd")[:cut])


def test_reserved_bits_are_refused():
    with pytest.raises(FrameError, match="reserved"):
        decode_frame(b"\xc1\x00")


def test_handshake_and_frames_against_a_real_aiohttp_server():
    async def echo(request):
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for message in ws:
            await ws.send_str(message.data.upper())
        return ws

    app = web.Application()
    app.router.add_get("/ws", echo)
    server = servers.serve_app(app, name="ws-test")
    try:
        key = "x3JJHMbDL1EzLkh9GBhXDw=="
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(handshake_request("127.0.0.1", server.port, "/ws", key))
            head = b""
            while not head.endswith(b"\r\n\r\n"):
                head += sock.recv(1)
            assert head.startswith(b"HTTP/1.1 101")
            assert f"Sec-WebSocket-Accept: {accept_key(key)}".encode() in head
            sock.sendall(encode_frame(b"shout", mask_key=b"\x01\x02\x03\x04"))
            assert decode_frame(sock.recv(100)).payload == b"SHOUT"
    finally:
        servers.stop_all()
