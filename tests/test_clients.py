"""labsupport.lab.clients: named, traced clients that re-running a cell replaces, not duplicates."""

import time

import pytest
import socketio
from socketio import base_client

from labsupport.lab import clients, servers
from labsupport.lab.trace import Trace


@pytest.fixture
def sio():
    server = socketio.AsyncServer(async_mode="aiohttp")

    @server.event
    async def connect(sid, environ, auth):
        if auth is None:
            raise socketio.exceptions.ConnectionRefusedError("no auth")

    yield server
    servers.stop_all()
    assert servers.running() == []


def test_connecting_the_same_name_again_replaces_the_old_client(sio):
    server = servers.serve_socketio(sio, name="srv")
    first = clients.connect("alice", server.url, auth={"name": "a"})
    second = clients.connect("alice", server.url, auth={"name": "a"})
    assert not first.sio.connected and second.sio.connected
    assert servers.running() == ["srv", "alice"]


def test_every_received_event_is_traced_with_the_servers_sid(sio):
    trace = Trace()
    server = servers.serve_socketio(sio, name="srv")
    alice = clients.connect("alice", server.url, trace, auth={"name": "a"})
    server.run(sio.emit("news", [1, 2], to=alice.sid))
    (news,) = trace.wait_for("news", actor="alice")
    (connected,) = trace.records("connected")
    assert (news.payload, news.conn) == ([1, 2], connected.conn)


def test_a_refused_client_leaves_nothing_registered(sio):
    server = servers.serve_socketio(sio, name="srv")
    with pytest.raises(socketio.exceptions.ConnectionError):
        clients.connect("stranger", server.url)
    assert servers.running() == ["srv"]


def test_after_a_server_restart_the_client_reconnects_with_a_new_sid(sio):
    trace = Trace()
    server = servers.serve_socketio(sio, name="srv")
    alice = clients.connect("alice", server.url, trace, auth={"name": "a"})
    old_sid = alice.sid
    server = servers.serve_socketio(sio, name="srv", port=server.port)  # same sio, again
    trace.wait_for("connected", count=2, timeout=10)
    assert alice.sid not in (None, old_sid)
    assert sio.eio.service_task_handle is not None  # pings and time-outs run again


def reconnecting_after_its_server_stops(client, server):
    """Stop ``server``; wait until python-socketio's ``client`` is reconnecting (its
    thread is in the list before the client holds it as ``_reconnect_task``)."""
    server.stop()
    deadline = time.monotonic() + 5
    while client._reconnect_task is None and time.monotonic() < deadline:
        time.sleep(0.02)
    assert client in base_client.reconnecting_clients


def test_simple_client_disconnect_also_ends_a_reconnection():
    """python-socketio's own ``SimpleClient.disconnect()`` leaves it reconnecting for ever."""
    server = servers.serve_socketio(socketio.AsyncServer(async_mode="aiohttp"), name="gone")
    simple = clients.SimpleClient()
    simple.connect(server.url)
    inner = simple.client
    reconnecting_after_its_server_stops(inner, server)
    simple.disconnect()
    assert inner not in base_client.reconnecting_clients and not simple.connected


def test_a_traced_client_stopped_while_reconnecting_stops_reconnecting():
    server = servers.serve_socketio(socketio.AsyncServer(async_mode="aiohttp"), name="gone")
    traced = clients.TracedClient("traced").connect(server.url)
    reconnecting_after_its_server_stops(traced.sio, server)
    traced.stop()
    assert traced.sio not in base_client.reconnecting_clients
