"""Connection state recovery (labsupport.recovery), spoken by the official client.

The official socket.io JavaScript client (socket.io-client 4.8, under Node) and the
course's Python client each lose their transport while the server emits to them, to
their room and to everyone, and come back: within the window with the same sid, their
rooms and every missed event once, in order; after the window, after a restart, or
with a forged pid, as a new session with nothing of anyone else's.
"""

import asyncio
import inspect
from pathlib import Path

import engineio
import pytest
import socketio
from aiohttp import web
from playwright.sync_api import expect
from socketio import base_manager

from labsupport.lab import servers, webpage
from labsupport.lab.clients import SimpleClient
from labsupport.lab.jsclient import OutageClient
from labsupport.lab.trace import Trace
from labsupport.recovery import INTERNALS, ClientRecovery, Recovery

ROOT = Path(__file__).parent.parent


class Clock:
    """A clock the test moves by hand, so that "after the window" needs no sleep."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def start(port=0, app=None, **options):
    """A recovering server whose handlers record into a trace: (server, sio, recovery, trace)."""
    trace = Trace()
    sio = socketio.AsyncServer(async_mode="aiohttp")
    recovery = Recovery(sio, **options)

    @sio.event
    async def connect(sid, environ, auth):
        trace.record("server", "connect", auth, conn=sid)

    @sio.event
    async def join(sid, room):
        await sio.enter_room(sid, room)
        return room

    @sio.event
    async def disconnect(sid, reason):
        trace.record("server", "disconnect", reason, conn=sid)

    server = servers.serve_socketio(sio, name="recovery", port=port, app=app)
    return server, sio, recovery, trace


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def served(clock):
    yield start(clock=clock, window=60)
    servers.stop_all()


@pytest.fixture
def js(served):
    client = OutageClient(served[0].url)
    yield client
    client.close()


def emit(server, sio, event, text, **to):
    server.run(sio.emit(event, text, **to))


def payloads(observations):
    """The first argument of each event observed (the offset, the last one, left out)."""
    return [o["args"][0] for o in observations if "event" in o]


def test_official_client_recovers_within_the_window(served, js):
    server, sio, recovery, trace = served
    first, _ = js.next("connected")
    assert first["recovered"] is False
    js.send("join room-a")
    js.next("joined")
    emit(server, sio, "news", "before")
    seen, _ = js.next("event")
    offset = seen["args"][-1]
    assert seen["args"] == ["before", offset] and isinstance(offset, str)

    js.send("cut")
    assert trace.wait_for("disconnect")[0].payload == "transport close"
    emit(server, sio, "news", "to room-a", to="room-a")
    emit(server, sio, "news", "to everyone")
    emit(server, sio, "news", "to its sid", to=first["connected"])
    emit(server, sio, "news", "to room-b", to="room-b")
    emit(server, sio, "news", "to all but it", skip_sid=first["connected"])
    js.send("reconnect")
    again, _ = js.next("connected")
    assert again == {"connected": first["connected"], "recovered": True}
    emit(server, sio, "news", "after, to room-a", to="room-a")  # its room was kept
    last, before = js.next("event")
    events = [*payloads(before), last["args"][0]]
    while events[-1] != "after, to room-a":
        events.append(js.next("event")[0]["args"][0])
    assert events == ["to room-a", "to everyone", "to its sid", "after, to room-a"]


def cut_after_one_event(js, served):
    """The client connects, gets one event (so it has an offset), and loses its transport."""
    server, sio, _, trace = served
    first, _ = js.next("connected")
    emit(server, sio, "news", "before")
    js.next("event")
    js.send("cut")
    trace.wait_for("disconnect")
    return first


def test_not_recovered_after_the_window(served, js, clock):
    server, sio, recovery, trace = served
    first = cut_after_one_event(js, served)
    emit(server, sio, "news", "while away")
    clock.now += 61  # past the 60 s window
    js.send("reconnect")
    again, _ = js.next("connected")
    assert again["recovered"] is False and again["connected"] != first["connected"]
    emit(server, sio, "news", "after")
    assert payloads([js.next("event")[0]]) == ["after"]  # "while away" is gone


def test_not_recovered_after_a_server_restart(served, js):
    server, sio, recovery, trace = served
    first = cut_after_one_event(js, served)
    port = server.port
    servers.stop("recovery")
    server, sio, *_ = start(port=port)
    js.send("reconnect")
    again, _ = js.next("connected")
    assert again["recovered"] is False and again["connected"] != first["connected"]


async def python_client(url, events, auth=None):
    """A course-style Python client with the client's half of recovery; (client, recovery)."""
    client = socketio.AsyncClient(reconnection=False)
    recovery = ClientRecovery(client, auth)
    client.on("news", lambda *args: events.append(args))
    await client.connect(url, transports=["websocket"], auth=recovery.auth)
    return client, recovery


def test_python_client_recovers_and_its_handlers_never_see_offsets(served):
    server, sio, _, trace = served

    async def scenario():
        events = []
        client, recovery = await python_client(server.url, events, auth={"name": "py"})
        sid = client.get_sid()
        await client.call("join", "room-a")
        await asyncio.to_thread(emit, server, sio, "news", "before")
        await client.call("join", "room-a")  # "before" has arrived when this returns
        await client.eio.disconnect(abort=True)  # the transport drops
        await asyncio.to_thread(trace.wait_for, "disconnect")
        await asyncio.to_thread(emit, server, sio, "news", "missed", to="room-a")
        await client.connect(server.url, transports=["websocket"], auth=recovery.auth)
        await asyncio.to_thread(emit, server, sio, "news", "after", to="room-a")
        await client.call("join", "room-a")  # its ack comes after every event sent before it
        recovered, new_sid = recovery.recovered, client.get_sid()
        await client.disconnect()
        return events, recovered, sid, new_sid

    events, recovered, sid, new_sid = asyncio.run(scenario())
    assert recovered and new_sid == sid
    assert events == [("before",), ("missed",), ("after",)]
    auths = [r.payload for r in trace.records("connect")]
    assert auths == [{"name": "py"}, {"name": "py"}]  # the handler never sees pid or offset


def test_a_forged_or_stale_pid_gets_a_fresh_session_and_nothing_else(served, js):
    server, sio, recovery, trace = served
    first, _ = js.next("connected")
    emit(server, sio, "news", "before")
    offset = js.next("event")[0]["args"][-1]
    js.send("cut")
    trace.wait_for("disconnect")
    emit(server, sio, "news", "for the JS client only", to=first["connected"])
    (pid,) = recovery.kept

    async def intruder(auth):
        client = socketio.AsyncClient(reconnection=False)
        events = []
        client.on("*", lambda event, *args: events.append(args))
        await client.connect(server.url, transports=["websocket"], auth=auth)
        await client.call("join", "nowhere")  # a replay would arrive before this ack
        sid = client.get_sid()
        await client.disconnect()
        return sid, events

    sid, events = asyncio.run(intruder({"pid": "forged", "offset": offset}))
    assert sid != first["connected"] and events == []
    assert pid in recovery.kept  # a forged pid takes nothing away
    js.send("reconnect")
    assert js.next("connected")[0]["recovered"] is True  # the real one comes back
    sid, events = asyncio.run(intruder({"pid": pid, "offset": offset}))  # now stale
    assert sid != first["connected"] and events == []


def test_a_client_that_never_had_a_session_is_unaffected(served):
    server, sio, _, trace = served
    with SimpleClient() as plain:
        plain.connect(server.url)
        assert trace.wait_for("connect")[0].payload is None
        emit(server, sio, "news", "hello")
        event, *args = plain.receive(timeout=5)
        assert event == "news" and args[0] == "hello"  # and the offset after it, as in Node


async def flood(sio, count):
    for n in range(count):
        await sio.emit("news", n)


def test_the_log_stays_bounded_through_a_long_outage(clock):
    server, sio, recovery, trace = start(clock=clock, max_packets=100)
    try:
        client = OutageClient(server.url)
        client.next("connected")
        emit(server, sio, "news", "before")
        client.next("event")
        client.send("cut")
        trace.wait_for("disconnect")
        server.run(flood(sio, 5000))
        assert len(recovery.log) == 100
        client.send("reconnect")
        assert client.next("connected")[0]["recovered"] is False  # its offset fell out
        client.close()
    finally:
        servers.stop_all()


def test_the_python_socketio_internals_it_wraps_are_still_there():
    """Each name in INTERNALS, with the signature recovery.py was written against."""

    def params(function):
        return list(inspect.signature(function).parameters)

    assert INTERNALS == ("manager.emit", "_send_packet", "_handle_connect",
                         "_handle_disconnect", "eio.generate_id")  # fmt: skip
    assert params(socketio.AsyncManager.emit)[:8] == [
        "self", "event", "data", "namespace", "room", "skip_sid", "callback", "to"]  # fmt: skip
    assert params(socketio.AsyncServer._send_packet) == ["self", "eio_sid", "pkt"]
    assert params(socketio.AsyncServer._handle_connect) == ["self", "eio_sid", "namespace", "data"]
    assert params(socketio.AsyncServer._handle_disconnect)[:4] == [
        "self", "eio_sid", "namespace", "reason"]  # fmt: skip
    assert "self.server.eio.generate_id()" in inspect.getsource(
        base_manager.BaseManager.pre_connect
    )
    assert callable(engineio.AsyncServer.generate_id)
    assert params(socketio.AsyncClient._handle_connect) == ["self", "namespace", "data"]
    assert params(socketio.AsyncClient._handle_event) == ["self", "namespace", "id", "data"]


def test_the_browser_page_recovers(clock, chromium):
    """The course's page (notebook 03) in Chromium: the same client, the same protocol."""
    server, sio, recovery, trace = start(app=webpage.add_page(web.Application()), clock=clock)
    try:
        page = chromium.new_page()
        page.goto(f"{server.url}/page?who=recovering")
        expect(page.locator("#state")).to_have_text("connected", timeout=10_000)
        emit(server, sio, "news", "before")
        expect(page.locator("#log li").first).to_contain_text("before")
        sid = page.evaluate("socket.id")
        page.evaluate("socket.io.reconnection(false); socket.io.engine.close()")
        trace.wait_for("disconnect")
        emit(server, sio, "news", "missed")
        page.evaluate("socket.connect()")
        expect(page.locator("#state")).to_have_text("connected")
        assert page.evaluate("[socket.id, socket.recovered]") == [sid, True]
        expect(page.locator("#log li").first).to_contain_text("missed")
    finally:
        servers.stop_all()
