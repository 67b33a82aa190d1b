"""The queue hub as a program, wired from environment variables.

Not a lesson: notebook 05 builds and runs its own hub program in cells. Notebook 06
runs this one (two hubs on one Redis), and so do ``tests/test_faults_at_scale.py`` and
``tests/test_queue_hub.py``::

    QUEUE_DB=q.db python -m labsupport.lab.run_server \
        labsupport.production.queue_program:from_environment

- no variable: the queue is in memory, and dies with the process;
- ``QUEUE_DB=path``: the queue in SQLite (``QUEUE_SYNC=NORMAL`` trades safety against
  power cuts for speed; ``QUEUE_BATCH=1`` shares one commit among the publishes of
  2 ms, ``group_commit``);
- ``QUEUE_REDIS=redis://...``: the queue on Redis Streams, shared by every hub given
  that URL, with broadcasts passed between the hubs through Redis.
"""

import os
import time

import socketio
from aiohttp import web

from labsupport.ackqueue import MemoryQueue
from labsupport.production.group_commit import BatchedSqliteQueue, GroupCommitHub
from labsupport.queue_hub import QueueHub
from labsupport.sqlite_queue import SqliteQueue


def hub_from_environment(environ=os.environ):
    """The ``QueueHub`` the variables ask for."""
    path, redis_url = environ.get("QUEUE_DB"), environ.get("QUEUE_REDIS")
    if redis_url:
        from labsupport.streams_queue import (
            StreamsQueue,  # only hubs on Redis need the redis package
        )

        manager = socketio.AsyncRedisManager(redis_url)
        return QueueHub(StreamsQueue(redis_url), client_manager=manager)
    if path and environ.get("QUEUE_BATCH") == "1":
        return GroupCommitHub(BatchedSqliteQueue(path, environ.get("QUEUE_SYNC", "FULL")))
    if path:
        return QueueHub(SqliteQueue(path, environ.get("QUEUE_SYNC", "FULL")))
    # A restarted in-memory hub must not hand out the message ids of its previous
    # life (clients would drop new messages as duplicates): start counting from now.
    return QueueHub(MemoryQueue(first_offset=time.time_ns() // 1000))


def from_environment():
    """The hub's aiohttp app: socket.io plus ``POST /publish``."""
    hub = hub_from_environment()
    app = hub.add_routes(web.Application())
    hub.sio.attach(app)
    return app
