"""Notebook 05b §4's hubs as programs, with a door to read their own memory.

Not a lesson: the lesson is ``credit.py`` (and notebook 05's ``QueueHub``); this only
wires a hub from environment variables and measures it, for notebook 05b §4, its
exercise q3 and ``tests/test_backpressure.py``::

    FLOW_MAX_LENGTH=20 python -m labsupport.lab.run_server \\
        labsupport.production.flow_program:from_environment

- no variable: ``QueueHub`` on an unbounded ``MemoryQueue``;
- ``FLOW_MAX_LENGTH=n``: the same queue with ``max_length=n`` (``POST /publish`` answers
  429 when a client's queue is full);
- ``FLOW_DB=path``: ``credit.CreditHub`` on that SQLite file (``FLOW_CREDIT``, default 10,
  is the N of clients that do not choose their own).

``GET /memory`` answers what the process itself measures with ``tracemalloc``
(started before the hub is built): ``traced`` (bytes now), ``peak`` (bytes, most
since the last ``POST /memory/reset``), ``held`` (messages in a memory queue) and
``window`` (``CreditHub.peak``: per client, the most messages and payload bytes in flight).
"""

import os
import tracemalloc

from aiohttp import web

from labsupport.ackqueue import MemoryQueue
from labsupport.credit import CreditHub, DiskWindowQueue
from labsupport.queue_hub import QueueHub


def hub_from_environment(environ=os.environ):
    """The hub the variables ask for."""
    if path := environ.get("FLOW_DB"):
        return CreditHub(DiskWindowQueue(path, "NORMAL"), int(environ.get("FLOW_CREDIT", 10)))
    limit = environ.get("FLOW_MAX_LENGTH")
    return QueueHub(MemoryQueue(max_length=int(limit) if limit else None))


def memory_routes(app, hub):
    """``GET /memory`` and ``POST /memory/reset`` on ``app``."""

    async def memory(request):
        traced, peak = tracemalloc.get_traced_memory()
        held = len(getattr(hub.queue, "messages", ()))
        window = getattr(hub, "peak", {})
        return web.json_response({"traced": traced, "peak": peak, "held": held, "window": window})

    async def reset(request):
        tracemalloc.reset_peak()
        return web.json_response({"ok": True})

    app.router.add_get("/memory", memory)
    app.router.add_post("/memory/reset", reset)


def from_environment():
    """The hub's aiohttp app: socket.io, ``POST /publish`` and the memory door."""
    tracemalloc.start()
    hub = hub_from_environment()
    app = hub.add_routes(web.Application())
    memory_routes(app, hub)
    hub.sio.attach(app)
    return app
