"""The Socket.IO v5 specification, probed on plain python-socketio, the course's server
(on python-engineio's loop and on the benchmark's fast path) and Node's socket.io (see
``test_spec_engineio.py`` for how the table is read).

Invalid packets end their session at once; a refused namespace hears an object with a
message. Then the reaches into python-socketio that the guard depends on.
"""

import inspect

import pytest
import socketio
from socketio import async_server

from labsupport.lab import guard, jsclient
from labsupport.production import spec_probes

SOCKETIO = [name for name in spec_probes.EXPECTED
            if name.startswith(("invalid packet", "CONNECT_ERROR"))]  # fmt: skip


@pytest.mark.parametrize("system", spec_probes.SYSTEMS)
@pytest.mark.parametrize("requirement", SOCKETIO)
def test_socketio_requirement(spec_servers, requirement, system):
    measured, expected = spec_probes.measured_and_expected(
        requirement, system, spec_servers[system].url
    )
    assert measured == expected, (requirement, system)


@pytest.mark.parametrize("system, message", [("plain", ""), ("course", "Invalid namespace"),
                                             ("fastpath", "Invalid namespace"),
                                             ("node", "Invalid namespace")])  # fmt: skip
def test_the_official_client_reads_the_refusal(spec_servers, system, message):
    refused = jsclient.connect(spec_servers[system].url, "/nope")
    assert (refused["connected"], refused["message"]) == (False, message)


@pytest.mark.parametrize("encoded", ['2["x"]', "2[]", "2{}", '2["connect"]', "0[1]", "1{}",
                                     "3{}", "4abc", '2abc["x"]', "9"])  # fmt: skip
def test_the_strict_packet_refuses_what_the_specification_does(encoded):
    strict = guard.strict(socketio.packet.Packet)
    if encoded == '2["x"]':
        assert strict(encoded_packet=encoded).data == ["x"]  # a valid one passes
    else:
        with pytest.raises(guard.InvalidPacket):
            strict(encoded_packet=encoded)


def test_a_binary_event_and_an_ack_pass():
    strict = guard.strict(socketio.packet.Packet)
    assert strict(encoded_packet='51-["up",{"_placeholder":true,"num":0}]').attachment_count == 1
    assert strict(encoded_packet="31[2]").data == [2]


def test_connect_error_is_an_object_even_when_python_socketio_gives_a_string():
    strict = guard.strict(socketio.packet.Packet)
    assert strict(socketio.packet.CONNECT_ERROR, "no").encode() == '4{"message":"no"}'
    unknown = strict(socketio.packet.CONNECT_ERROR, "Unable to connect", namespace="/x")
    assert unknown.encode() == '4/x,{"message":"Invalid namespace"}'  # Node's words


def test_the_guard_is_installed_once():
    sio = socketio.AsyncServer(async_mode="aiohttp")
    first = guard.guard(sio)
    packet_class, handler = sio.packet_class, sio.eio.handlers["message"]
    assert guard.guard(sio, connect_timeout=2) is first and first.connect_timeout == 2
    assert (sio.packet_class, sio.eio.handlers["message"]) == (packet_class, handler)


# The reaches into python-socketio.


def test_reach_python_socketio_decodes_with_its_packet_class_attribute():
    source = inspect.getsource(async_server.AsyncServer._handle_eio_message)
    assert "self.packet_class(encoded_packet=data)" in source


def test_reach_python_socketio_registers_its_engineio_handlers():
    sio = socketio.AsyncServer(async_mode="aiohttp")
    assert sio.eio.handlers["connect"] == sio._handle_eio_connect
    assert sio.eio.handlers["message"] == sio._handle_eio_message


def test_reach_an_unknown_namespace_is_refused_with_a_bare_string():
    """If python-socketio sends an object one day, ``StrictPacket.encode`` can go; the
    string it sends is the key of ``guard.NO_NAMESPACE`` ("Invalid namespace")."""
    assert "Unable to connect" in guard.NO_NAMESPACE
    source = inspect.getsource(async_server.AsyncServer._handle_connect)
    assert "packet.CONNECT_ERROR, data='Unable to connect'" in source
