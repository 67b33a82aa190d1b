"""labsupport.socketio_packets and wirelog: decoding both layers, against a real server."""

import pytest
import socketio
from aiohttp import web
from hypothesis import given
from hypothesis import strategies as st

from labsupport import rawhttp
from labsupport.lab import servers
from labsupport.lab.clients import SimpleClient
from labsupport.lab.trace import Trace
from labsupport.socketio_packets import (
    PacketError,
    decode_engineio,
    decode_polling_body,
    decode_socketio,
    describe,
)
from labsupport.wirelog import WireLog
from labsupport.wiretap import WireTap


@pytest.mark.parametrize(
    "text, expected",
    [
        ("40", ("CONNECT", "/", None, None)),
        ('0/caps,{"token":"x"}', ("CONNECT", "/caps", None, {"token": "x"})),
        ('2["chat","hi"]', ("EVENT", "/", None, ["chat", "hi"])),
        ('2/caps,7["pickup",{"orderId":42}]', ("EVENT", "/caps", 7, ["pickup", {"orderId": 42}])),
        ("312[true]", ("ACK", "/", 12, [True])),
        ('4{"message":"no"}', ("CONNECT_ERROR", "/", None, {"message": "no"})),
        ('51-["up",{"_placeholder":true,"num":0}]', ("BINARY_EVENT", "/", None,
                                                     ["up", {"_placeholder": True, "num": 0}])),
    ],
)  # fmt: skip
def test_socketio_examples(text, expected):
    if text.startswith("4") and text[1] in "0123456":  # an Engine.IO MESSAGE around it
        text = text[1:]
    packet = decode_socketio(text)
    assert (packet.type, packet.namespace, packet.ack_id, packet.data) == expected


def test_polling_body_with_several_packets():
    packets = decode_polling_body('40{"sid":"a"}\x1e42["x",1]\x1e2')
    assert [p.type for p in packets] == ["message", "message", "ping"]
    assert describe('42["x",1]') == 'socket.io EVENT / ["x", 1]'


@pytest.mark.parametrize("bad", ["", "9", "x", "2[unquoted]", '2["open"', "7[]"])
def test_malformed_packets_are_refused_with_a_reason(bad):
    with pytest.raises(PacketError):
        decode_socketio(bad)
        decode_engineio(bad)


@given(st.text(max_size=30))
def test_any_text_decodes_or_raises_packet_error(text):
    for decode in (decode_engineio, decode_socketio):
        try:
            decode(text)
        except PacketError:
            pass


def test_a_whole_session_over_raw_http_is_recorded_by_the_wirelog():
    trace = Trace()
    wire = WireLog(trace)
    sio = socketio.AsyncServer(async_mode="aiohttp", engineio_logger=wire.logger)

    @sio.event
    async def add(sid, numbers):
        return sum(numbers)

    app = web.Application(middlewares=[wire.middleware])
    server = servers.serve_socketio(sio, name="raw", app=app)
    try:
        opened = rawhttp.request(server.port, "GET", "/socket.io/?EIO=4&transport=polling")
        assert opened.status == 200 and opened.text.startswith('0{"sid":')
        sid = decode_engineio(opened.text).data.split('"')[3]
        path = f"/socket.io/?EIO=4&transport=polling&sid={sid}"
        assert rawhttp.request(server.port, "POST", path, b"40").text == "ok"  # Engine.IO's answer
        trace.wait_for("socket.io CONNECT", actor="client")
        assert rawhttp.request(server.port, "GET", path).text.startswith("40{")
        rawhttp.request(server.port, "POST", path, b"425[[1,2,3]]".replace(b"[[", b'["add",['))
        trace.wait_for("socket.io ACK", actor="client")
        assert rawhttp.request(server.port, "GET", path).text == "435[6]"
    finally:
        servers.stop_all()
    events = [r.event for r in trace.records()]
    assert events[:2] == ["HTTP GET (polling)", "Engine.IO OPEN"]
    assert "socket.io EVENT" in events


def test_the_wiretap_sees_a_real_clients_upgrade_probe_in_order():
    sio = socketio.AsyncServer(async_mode="aiohttp")

    @sio.event
    async def hello(sid, name):
        return f"hello, {name}!"

    server = servers.serve_socketio(sio, name="wiretap-test")
    trace = Trace()
    tap = WireTap(trace, server.port, name="wiretap-test-tap")
    try:
        with SimpleClient() as client:
            client.connect(tap.url)
            assert client.call("hello", "tap", timeout=5) == "hello, tap!"
            seen = [(r.sender, r.event, r.payload, r.conn) for r in trace.records()]
    finally:
        tap.stop()
        servers.stop(server.name)
    steps = [
        ("client", "HTTP GET (polling)", None, "c1"),
        ("server", "Engine.IO OPEN", "sid, upgrades, pingInterval, pingTimeout, maxPayload", "c1"),
        ("client", "HTTP GET (websocket)", None, "c2"),
        ("server", "HTTP 101 Switching Protocols", None, "c2"),
        ("client", "Engine.IO PING", "probe", "c2"),
        ("server", "Engine.IO PONG", "probe", "c2"),
        ("client", "Engine.IO UPGRADE", None, "c2"),
        ("client", "socket.io EVENT", '/ ack#1 ["hello", "tap"]', "c2"),
        ("server", "socket.io ACK", '/ ack#1 ["hello, tap!"]', "c2"),
    ]
    where = [seen.index(step) for step in steps]  # ValueError names a step that is missing
    assert where == sorted(where)
