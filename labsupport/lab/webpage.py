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

``browser_url(server, "/page?who=you")`` is the address to give *your* browser (the
IFrame of notebook 03). When the kernel runs under a Jupyter server that has
jupyter-server-proxy (``./course open``, a JupyterHub, Binder), your browser may be on
another machine, where ``http://127.0.0.1:PORT`` means your own laptop. So the page
goes through the Jupyter server's own origin instead, ``BASE_URL/proxy/PORT/page``
(WebSockets too), and the page finds ``socket.io/`` beside itself. Without such a
server (nbval, a plain kernel) it is ``http://127.0.0.1:PORT/page``. On Colab, whose
kernels run under Colab's own server, Colab's port proxy gives the address.
"""

import importlib.util
import json
import os
import sys
from pathlib import Path

from aiohttp import web

from labsupport.lab.paths import BROWSER_CLIENT

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


def jupyter_server():
    """The Jupyter server that started this kernel (its runtime-file details), or None.

    A kernel knows its launcher's pid (``JPY_PARENT_PID``); a Jupyter server writes a
    ``jpserver-PID.json`` file with its ``base_url`` into Jupyter's runtime folder.
    The file is read directly: importing ``jupyter_server.serverapp`` to list the
    servers takes seconds, and the IFrame cells would wait for it.
    """
    parent = os.environ.get("JPY_PARENT_PID")
    if not parent:
        return None
    try:
        from jupyter_core.paths import jupyter_runtime_dir
    except ImportError:
        return None
    try:
        return json.loads((Path(jupyter_runtime_dir()) / f"jpserver-{parent}.json").read_text())
    except (OSError, ValueError):  # no such server (a plain kernel, nbval), or a torn file
        return None


def browser_url(server, path="/page"):
    """The address of ``path`` on ``server`` for the learner's browser (see above)."""
    if "google.colab" in sys.modules:  # Colab proxies a kernel's port on its own origin
        from google.colab.output import eval_js

        return eval_js(f"google.colab.kernel.proxyPort({server.port})").rstrip("/") + path
    found = jupyter_server()
    if found is None or importlib.util.find_spec("jupyter_server_proxy") is None:
        return f"{server.url}{path}"
    base = found.get("base_url", "/").rstrip("/")
    return f"{base}/proxy/{server.port}{path}"
