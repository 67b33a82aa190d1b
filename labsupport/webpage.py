"""Serve the course's browser page beside a socket.io server, on the same origin.

``add_page(app)`` adds two routes to an aiohttp app:

- ``/page`` (``/page?who=NAME``): ``static/page.html``, a small page that connects with
  the official socket.io JavaScript client, lists every event it receives, and
  answers each with a ``seen`` event;
- ``/socket.io.min.js``: that client, as installed from npm into ``node_modules/``
  (``npm ci``; never copied into the repository).

Because the page comes from the same server (scheme, host and port) as
``/socket.io/``, the browser treats the connection as same-origin, and the server's
default CORS rule (allow only its own origin) lets it in.
"""

from pathlib import Path

from aiohttp import web

from .doctor import BROWSER_CLIENT

PAGE = Path(__file__).parent / "static" / "page.html"
CLIENT_JS = BROWSER_CLIENT / "dist" / "socket.io.min.js"


def add_page(app):
    """Add ``/page`` and ``/socket.io.min.js`` to ``app``; return ``app``."""
    if not CLIENT_JS.exists():
        raise FileNotFoundError(
            f"{CLIENT_JS} is missing: run 'npm ci' in the course folder (or the README set-up)"
        )

    async def page(request):
        return web.FileResponse(PAGE)

    async def client_js(request):
        return web.FileResponse(CLIENT_JS)

    app.router.add_get("/page", page)
    app.router.add_get("/socket.io.min.js", client_js)
    return app
