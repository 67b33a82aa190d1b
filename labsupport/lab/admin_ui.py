"""The official socket.io Admin UI, served from this machine, watching a course server.

Rooms are a server-only concept: a client cannot list them. The socket.io project's
Admin UI is a page that can, because it connects to the server's own admin namespace
(``/admin``), which python-socketio feeds once ``sio.instrument()`` is called: every
socket, its rooms, and the events going by. Notebook 04 opens it beside its rooms.

``add_admin_ui(app, sio)`` adds to an aiohttp app:

- ``/admin-ui/``: the UI's built page, from the npm package ``@socket.io/admin-ui``
  in ``node_modules/`` (``npm ci``), with its two links to the internet (a web font
  and an icon font) replaced by the icon font from the npm package ``@mdi/font``, so
  that it works with no network;
- the instrumented admin namespace, behind a user name and a password made here, for
  this server only. An open admin namespace would let anyone who can reach the port
  list every client, read their events and disconnect them: never leave it open.

Two things python-socketio's ``instrument()`` does that a reader should know:

- it patches python-engineio's ``AsyncSocket`` *class*, for every server in the
  process, so this module undoes it (``uninstrument()``) when the server stops. Two
  instrumented servers at once would break that undo (the second saves the first's
  patch as "the original"), so one server per process is watched at a time: watching
  a new one (re-running the cell, say) stops watching the old one first;
- ``read_only=True`` (the default here) hides the UI's buttons that join, leave and
  disconnect sockets: a watcher, not a remote control.
"""

import secrets

from aiohttp import web

from labsupport.lab.clients import SimpleClient
from labsupport.lab.paths import NODE_MODULES

UI = NODE_MODULES / "@socket.io" / "admin-ui" / "ui" / "dist"
ICONS = NODE_MODULES / "@mdi" / "font"
USERNAME = "admin"
# The built page's links to the internet, and what this module serves instead.
OFFLINE = {
    "https://fonts.googleapis.com/css?family=Roboto:100,300,400,500,700,900": "",
    "https://cdn.jsdelivr.net/npm/@mdi/font@latest/css/materialdesignicons.min.css": (
        "../admin-ui-icons/css/materialdesignicons.min.css"
    ),
}
# Fill in the connection form: this server, wherever the browser reaches it from (the
# page's own origin and path prefix, so that a proxied URL works too).
PREFILL = """<script>
const prefix = location.pathname.replace(/admin-ui\\/.*$/, "");
localStorage.setItem("server_url", location.origin);
localStorage.setItem("path", prefix + "socket.io");
localStorage.setItem("namespace", "/admin");
</script>"""


_watched = []  # the instrumented admin of this process, if any (see the docstring)


def offline_index():
    """The UI's ``index.html`` with no link to the internet, and its form filled in."""
    html = (UI / "index.html").read_text()
    for remote, local in OFFLINE.items():
        tag = f'<link rel="stylesheet" href="{remote}">'
        html = html.replace(tag, f'<link rel="stylesheet" href="{local}">' if local else "")
    return html.replace("<head>", "<head>" + PREFILL, 1)


def add_admin_ui(app, sio, password=None, read_only=True):
    """Serve the Admin UI at ``/admin-ui/`` of ``app`` and instrument ``sio`` for it.

    Returns the password (made here unless given); the user name is ``admin``. Call it
    before the app is served (``servers.serve_socketio(sio, app=app)``).
    """
    if not (UI / "index.html").exists():
        raise FileNotFoundError(f"{UI} is missing: run 'npm ci' in the course folder")
    password = password or secrets.token_urlsafe(12)
    while _watched:
        _watched.pop().uninstrument()
    admin = sio.instrument(auth={"username": USERNAME, "password": password}, read_only=read_only)
    index = offline_index()

    async def page(request):
        return web.Response(text=index, content_type="text/html")

    async def stop_watching(app):
        await admin.shutdown()
        if admin in _watched:
            _watched.remove(admin)
            admin.uninstrument()

    app.router.add_get("/admin-ui/", page)
    app.router.add_static("/admin-ui/", UI)
    app.router.add_static("/admin-ui-icons/", ICONS)
    app.on_shutdown.append(stop_watching)
    _watched.append(admin)
    return password


def admin_view(url, password, timeout=5):
    """``{sid: [rooms]}`` of namespace ``/``, as the Admin UI is told them.

    The UI is just one more socket.io client, of the admin namespace: this connects the
    way it does and reads the ``all_sockets`` event the server sends it. A wrong password
    raises ``socketio.exceptions.ConnectionError``, as the UI shows "authentication failed".
    """
    auth = {"username": USERNAME, "password": password}
    with SimpleClient() as admin:
        admin.connect(url, namespace="/admin", auth=auth, wait_timeout=timeout)
        while True:
            event, *args = admin.receive(timeout=timeout)
            if event == "all_sockets":
                return {s["id"]: sorted(r for r in s["rooms"] if r != s["id"])
                        for s in args[0] if s["nsp"] == "/"}  # fmt: skip
