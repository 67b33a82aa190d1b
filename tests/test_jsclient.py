"""labsupport.lab.jsclient: what the official JavaScript client reports when it connects."""

import socketio
from aiohttp import web

from labsupport.lab import jsclient, servers


def test_reports_success_and_the_servers_refusal_message():
    sio = socketio.AsyncServer(async_mode="aiohttp", namespaces="*")

    @sio.on("connect", namespace="*")
    async def connect(namespace, sid, environ, auth):
        if namespace != "/ok":
            raise socketio.exceptions.ConnectionRefusedError(f"no {namespace}")

    server = servers.serve_socketio(sio, name="js")
    try:
        assert jsclient.connect(server.url, "/ok") == {"connected": True, "namespace": "/ok"}
        refused = jsclient.connect(server.url, "/nope")
        assert (refused["connected"], refused["message"]) == (False, "no /nope")
    finally:
        servers.stop_all()


def test_python_socketios_own_refusal_of_an_unknown_namespace_is_empty_in_js():
    """The library answers with a bare string; the JS client finds no message in it."""
    app = web.Application()
    socketio.AsyncServer(async_mode="aiohttp").attach(app)  # plain, not the course's server
    server = servers.serve_app(app, name="js")
    try:
        assert jsclient.connect(server.url, "/nope")["message"] == ""
    finally:
        servers.stop_all()


def test_the_course_server_refuses_an_unknown_namespace_with_a_message():
    """guard.py sends CONNECT_ERROR as {"message": ...}, as Socket.IO v5 asks, in Node's words."""
    server = servers.serve_socketio(socketio.AsyncServer(async_mode="aiohttp"), name="js")
    try:
        refused = jsclient.connect(server.url, "/nope")
        assert (refused["connected"], refused["message"]) == (False, "Invalid namespace")
    finally:
        servers.stop_all()
