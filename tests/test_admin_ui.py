"""The official socket.io Admin UI, served offline, watching a course server, in Chromium.

Logged in with the server's password it lists the sockets and rooms the clients made,
and the events sent; a wrong password is refused; the page asks the internet for
nothing; and stopping the server undoes python-socketio's class-wide instrumentation.
"""

import asyncio

import engineio.async_socket
import pytest
import socketio
from aiohttp import web
from playwright.sync_api import expect

from labsupport.lab import admin_ui, servers
from labsupport.lab.clients import SimpleClient

ORIGINAL_POST = engineio.async_socket.AsyncSocket.handle_post_request


@pytest.fixture
def watched():
    """A server with two clients in rooms store-1 and store-2, and the Admin UI on it."""
    sio = socketio.AsyncServer(async_mode="aiohttp")

    @sio.event
    async def join(sid, room):
        await sio.enter_room(sid, room)
        return room

    app = web.Application()
    password = admin_ui.add_admin_ui(app, sio)
    server = servers.serve_socketio(sio, name="admin-ui-test", app=app)
    clients = []
    try:
        for room in ("store-1", "store-2"):
            client = SimpleClient()
            client.connect(server.url)
            client.call("join", room, timeout=5)
            clients.append(client)
        yield server, sio, password, clients
    finally:
        for client in clients:
            client.disconnect()
        servers.stop("admin-ui-test")


def log_in(page, url, password):
    page.goto(f"{url}/admin-ui/")
    page.get_by_label("Username").fill(admin_ui.USERNAME)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Connect").click()


@pytest.fixture
def page(chromium):
    outside = []
    context = chromium.new_context()
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith("http://127.0.0.1")
            else (outside.append(route.request.url), route.abort())
        ),
    )
    yield context.new_page()
    assert outside == [], "the Admin UI page asked the internet for something"


def test_logged_in_it_lists_the_rooms_sockets_and_events(watched, page):
    server, sio, password, clients = watched
    log_in(page, server.url, password)
    expect(page.get_by_text("connected", exact=True).first).to_be_visible(timeout=10_000)
    page.get_by_role("link", name="Rooms").click()
    for room in ("store-1", "store-2"):
        expect(page.get_by_role("cell", name=room, exact=True)).to_be_visible()
    page.get_by_role("link", name="Sockets").click()
    for client in clients:
        expect(page.get_by_text(client.sid)).to_be_visible()
    server.run(sio.emit("news", "for store 1", to="store-1"))
    page.get_by_role("link", name="Events").click()
    expect(page.get_by_text("news").first).to_be_visible(timeout=10_000)


def test_a_wrong_password_is_refused(watched, page):
    server, _, password, _ = watched
    log_in(page, server.url, password + "x")
    expect(page.get_by_text("authentication failed")).to_be_visible(timeout=10_000)
    expect(page.get_by_text("disconnected", exact=True).first).to_be_visible()


def test_the_page_names_no_internet_host():
    assert "https://" not in admin_ui.offline_index().split("<body")[0]


def test_each_server_gets_its_own_password_and_the_newest_is_watched():
    first = admin_ui.add_admin_ui(web.Application(), socketio.AsyncServer(async_mode="aiohttp"))
    app = web.Application()
    second = admin_ui.add_admin_ui(app, socketio.AsyncServer(async_mode="aiohttp"))
    assert first != second and len(first) >= 16
    app.freeze()
    asyncio.run(app.shutdown())  # what stopping the second server runs
    assert engineio.async_socket.AsyncSocket.handle_post_request is ORIGINAL_POST


def test_stopping_the_server_undoes_the_instrumentation(watched):
    server, *_ = watched
    assert engineio.async_socket.AsyncSocket.handle_post_request is not ORIGINAL_POST
    servers.stop("admin-ui-test")
    assert engineio.async_socket.AsyncSocket.handle_post_request is ORIGINAL_POST


def test_the_admin_namespace_tells_a_trusted_client_every_socket_and_its_rooms(watched):
    server, _, password, clients = watched
    assert admin_ui.admin_view(server.url, password) == {
        clients[0].sid: ["store-1"], clients[1].sid: ["store-2"]}  # fmt: skip
    with pytest.raises(socketio.exceptions.ConnectionError):
        admin_ui.admin_view(server.url, "not the password")
