"""The Engine.IO v4 specification, probed on four servers: plain python-socketio, the
course's server (``production/guard.py``), the course's server on the benchmark's fast
path (``bench/fast_socket.py``) and Node's socket.io (the reference).

Each probe (``spec_probes.py``) must give, on each server, the outcome of the table
``spec_probes.EXPECTED``. The course's server must give Node's, and so must the fast
path. The plain column is python-socketio's behaviour today (``docs/upstream.md``): if
an upgrade changes it, the test fails, and the table and docs/upstream.md need a look.

Then the reaches into python-engineio that the guard depends on, one test each.
"""

import inspect
import sys

import engineio
import pytest
import socketio
import spec_probes
from aiohttp import web
from engineio import async_socket, payload
from engineio.async_drivers import aiohttp as eio_aiohttp

from labsupport import processes, servers
from labsupport.production import guard

ENGINEIO = [name for name in spec_probes.EXPECTED
            if not name.startswith(("invalid packet", "CONNECT_ERROR"))]  # fmt: skip


@pytest.mark.parametrize("system", spec_probes.SYSTEMS)
@pytest.mark.parametrize("requirement", ENGINEIO)
def test_engineio_requirement(spec_servers, requirement, system):
    measured, expected = spec_probes.measured_and_expected(
        requirement, system, spec_servers[system].url
    )
    assert measured == expected, (requirement, system)


def test_the_course_server_gives_nodes_outcome_everywhere():
    for requirement, (_, _, course, _, node) in spec_probes.EXPECTED.items():
        assert course == node, requirement


def test_the_fast_path_gives_nodes_outcome_everywhere():
    for requirement, (_, _, _, fast_path, node) in spec_probes.EXPECTED.items():
        assert fast_path == node, requirement


@pytest.mark.parametrize("system", spec_probes.SYSTEMS)
def test_a_subsecond_ping_interval_is_advertised_exactly_or_refused(system):
    outcome = spec_probes.subsecond_ping(system)
    assert outcome == spec_probes.SUBSECOND[1 + spec_probes.SYSTEMS.index(system)]


def test_the_refusal_names_the_setting_and_the_fix():
    with pytest.raises(ValueError, match=r"ping_interval=1\.5 s .* 1000 ms: use whole seconds"):
        guard.guard(socketio.AsyncServer(async_mode="aiohttp", ping_interval=1.5))


def test_a_burst_over_websocket_arrives_whole_on_every_server(spec_servers):
    for system, server in spec_servers.items():
        assert spec_probes.js_burst(server.url, 40, "websocket") == "40 of 40, not told", system


# The reaches into python-engineio. Each names what the guard relies on.


def test_reach_payload_limit_is_a_class_attribute_of_16():
    """The guard slices POSTs at ``Payload.max_decode_packets``; python-engineio drops
    (and answers 200 to) a longer payload. If this changes, re-measure the plain column."""
    assert payload.Payload.max_decode_packets == 16
    with pytest.raises(ValueError, match="Too many packets"):
        payload.Payload(encoded_payload="\x1e".join(["4x"] * 17))


def test_reach_the_aiohttp_driver_reads_the_post_body_from_request_content():
    source = inspect.getsource(eio_aiohttp.translate_request)
    assert "'wsgi.input': request.content" in source
    assert "environ['wsgi.input'].read(length)" in inspect.getsource(
        async_socket.AsyncSocket.handle_post_request
    )


def test_reach_the_route_handler_is_the_engineio_servers_handle_request():
    sio = socketio.AsyncServer(async_mode="aiohttp")
    app = web.Application()
    sio.attach(app)
    handlers = {route.handler for route in app.router.routes()}
    assert handlers == {sio.eio.handle_request}
    assert guard.server_of(sio.eio) is sio  # found from python-socketio's message handler


def test_reach_a_session_closes_without_waiting_and_none_ends_its_transport():
    close = inspect.signature(async_socket.AsyncSocket.close)
    assert list(close.parameters) == ["self", "wait", "abort", "reason"]
    poll = inspect.getsource(async_socket.AsyncSocket.poll)
    assert "if packets == [None]:" in poll and "return []" in poll
    upgrade = inspect.getsource(async_socket.AsyncSocket._websocket_handler)
    assert "self.upgraded = True" in upgrade and "self.upgrading = True" in upgrade
    # while `upgrading`, polls get NOOP: the guard resets it when it gives an upgrade up
    assert "if self.upgrading or self.upgraded:" in inspect.getsource(
        async_socket.AsyncSocket.handle_get_request
    )


def test_reach_every_websocket_frame_goes_through_the_sessions_receive():
    handler = inspect.getsource(async_socket.AsyncSocket._websocket_handler)
    assert "await self.receive(pkt)" in handler  # an instance's own receive is called
    assert "self.sockets[sid] = s" in inspect.getsource(engineio.AsyncServer._handle_connect)
    assert engineio.packet.packet_names[engineio.packet.PING] == "PING"


def test_reach_the_advertised_ping_interval_is_truncated_to_whole_seconds():
    """If python-engineio advertises sub-second intervals exactly one day, the guard's
    refusal can go: this test then fails and says so."""
    sio = socketio.AsyncServer(async_mode="aiohttp", ping_interval=1.5)
    app = web.Application()
    sio.attach(app)
    server = servers.serve_app(app, name="truncated")
    try:
        assert spec_probes.Polling(server.url).handshake["pingInterval"] == 1000
    finally:
        server.stop()


# Every server the course starts is guarded the same way: the programs of run_server.py too.

PROGRAMS = [
    ("spec_probes:spec_server", "tests"),  # a factory returning an AsyncServer
    (
        "labsupport.production.queue_program:from_environment",
        "tests",
    ),  # an app with sio.attach(app)
    ("systems:tuned", "bench"),  # the benchmark's tuned server (production/tuned.py)
    ("systems:fast_path", "bench"),  # the same on the fast path (bench/fast_socket.py)
]


@pytest.mark.parametrize("target, path", PROGRAMS)
def test_every_program_of_serve_py_is_guarded(target, path):
    argv = [sys.executable, "-m", "labsupport.run_server", target, "--port", "0",
            "--connect-timeout", str(spec_probes.TIMEOUT)]  # fmt: skip
    env = {"PYTHONPATH": str(spec_probes.ROOT / path)}
    server = processes.start_process("guarded-program", argv, env=env)
    try:
        auth = '40{"clientId":"probe"}'  # the queue hub wants to know who connects
        assert spec_probes.invalid_packet(server.url, "42{}", connect=auth) == "closed"
        assert spec_probes.no_connect(server.url) == f"closed after about {spec_probes.TIMEOUT:g} s"
        assert spec_probes.unknown_namespace(server.url) == "an object with a message"
        assert spec_probes.duplicate_poll(server.url) == "400, closed"
    finally:
        server.stop()
