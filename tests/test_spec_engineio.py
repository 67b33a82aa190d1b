"""The Engine.IO v4 specification, probed on four servers: plain python-socketio, the
course's server (``lab/guard.py``), the course's server on the benchmark's fast
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
from aiohttp import web
from engineio import async_socket, payload
from engineio.async_drivers import aiohttp as eio_aiohttp

from labsupport.lab import guard, processes, servers
from labsupport.production import spec_probes

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


@pytest.fixture(scope="module")
def suite_servers():
    """The four servers set up as the official suites want them (pings 300 ms, 200 ms)."""
    running = {system: spec_probes.suite_server(system, "socket.io")
               for system in spec_probes.SYSTEMS}  # fmt: skip
    yield running
    for server in running.values():
        server.stop()


@pytest.mark.parametrize("system", spec_probes.SYSTEMS)
@pytest.mark.parametrize("requirement", list(spec_probes.SUITE_EXPECTED))
def test_engineio_requirement_with_the_suites_pings(suite_servers, requirement, system):
    probe, *expected = spec_probes.SUITE_EXPECTED[requirement]
    measured = probe(suite_servers[system].url)
    assert measured in expected[spec_probes.SYSTEMS.index(system)].split(" or "), (
        requirement,
        system,
    )


def test_the_course_server_and_fast_path_give_nodes_outcome_with_the_suites_pings():
    for requirement, (_, plain, course, fast_path, node) in spec_probes.SUITE_EXPECTED.items():
        assert course == node == fast_path != plain, requirement
        assert " or " not in course, requirement  # one outcome, always


def test_the_guard_advertises_the_ping_interval_in_exact_milliseconds():
    sio = socketio.AsyncServer(async_mode="aiohttp", ping_interval=1.5, ping_timeout=0.25)
    server = servers.serve_socketio(sio, name="exact-ping")
    try:
        handshake = spec_probes.Polling(server.url).handshake
        assert (handshake["pingInterval"], handshake["pingTimeout"]) == (1500, 250)
    finally:
        server.stop()


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


def test_reach_the_handshake_is_queued_before_the_connect_handler_runs():
    """``exact_ping_interval`` corrects the OPEN packet, the only one queued when the
    ``connect`` handler runs, from the ``pingInterval`` python-engineio computed."""
    source = inspect.getsource(engineio.AsyncServer._handle_connect)
    assert source.index("await s.send(pkt)") < source.index("self._trigger_event('connect'")
    assert "int(\n                self.ping_interval + self.ping_interval_grace_period) * 1000" in (
        source
    )


def test_reach_the_advertised_ping_interval_is_truncated_to_whole_seconds():
    """If python-engineio advertises sub-second intervals exactly one day, the guard's
    correction can go: this test then fails and says so."""
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
    ("labsupport.production.spec_probes:spec_server", "tests"),  # a factory: an AsyncServer
    (
        "labsupport.production.queue_program:from_environment",
        "tests",
    ),  # an app with sio.attach(app)
    ("systems:tuned", "bench"),  # the benchmark's tuned server (production/tuned.py)
    ("systems:fast_path", "bench"),  # the same on the fast path (bench/fast_socket.py)
]


@pytest.mark.parametrize("target, path", PROGRAMS)
def test_every_program_of_serve_py_is_guarded(target, path):
    argv = [sys.executable, "-m", "labsupport.lab.run_server", target, "--port", "0",
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


def test_reach_no_transport_means_polling_and_other_methods_get_405():
    """The guard answers 400 first: python-engineio takes a request without ``transport``
    as polling, answers 405 to a method it lacks, and its aiohttp routes are GET, POST
    and OPTIONS only (aiohttp answers 405 to a PUT before any handler)."""
    handle = inspect.getsource(engineio.AsyncServer.handle_request)
    assert "query.get('transport', ['polling'])[0]" in handle
    assert "r = self._method_not_found()" in handle
    app = web.Application()
    engineio.AsyncServer(async_mode="aiohttp").attach(app)
    assert {route.method for route in app.router.routes()} == {"GET", "HEAD", "POST", "OPTIONS"}


def test_reach_a_post_is_answered_ok_in_capitals():
    """The guard rewrites python-engineio's ``OK`` as Engine.IO's ``ok``."""
    eio = engineio.AsyncServer(async_mode="aiohttp")
    assert eio._ok()["response"] == b"OK"


def test_reach_a_session_pings_with_last_ping_set_until_the_pong():
    """``ping_overdue`` reads ``last_ping``: set when a PING goes out, None after the PONG."""
    assert "self.last_ping = time.time()" in inspect.getsource(async_socket.AsyncSocket._send_ping)
    assert "self.last_ping = None" in inspect.getsource(async_socket.AsyncSocket.schedule_ping)


def test_reach_every_end_of_a_session_calls_its_close():
    """The guard wraps a session's ``close`` (an instance attribute): the ping timeout,
    the end of a WebSocket and a CLOSE from the client all call ``self.close``."""
    assert "await self.close(" in inspect.getsource(async_socket.AsyncSocket.check_ping_timeout)
    assert "await self.close(" in inspect.getsource(async_socket.AsyncSocket._websocket_handler)
    assert "await self.close(" in inspect.getsource(async_socket.AsyncSocket.receive)


def test_reach_the_websocket_writer_takes_its_packets_from_poll():
    """The guard leaves NOOPs out of a session's ``poll`` once it is upgraded: the one
    queued after ``3probe`` to end a poll was otherwise the WebSocket's first frame."""
    handler = inspect.getsource(async_socket.AsyncSocket._websocket_handler)
    assert "packets = await self.poll()" in handler
    assert "await self.queue.put(packet.Packet(packet.NOOP))  # end poll" in handler


def test_reach_a_websocket_for_an_upgraded_session_is_refused_before_its_handshake():
    """Node accepts it and closes it; python-engineio answers 400 (the guard accepts)."""
    handle = inspect.getsource(engineio.AsyncServer.handle_request)
    assert "elif socket.upgraded:" in handle
    assert "r = self._bad_request('Unexpected HTTP request')" in handle
