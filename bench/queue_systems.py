"""The queue measured end to end, against a bare emit-with-ack: messages per second.

The client emits ``pump`` ``{"count", "window"}``; the server then sends it ``count``
messages, keeping at most ``window`` unacknowledged, and emits ``pumped`` with the
seconds it took. Each server is a factory for ``bench/serve_uvloop.py``:

- ``bare``: ``sio.emit(..., callback=...)``; the client's acknowledgement is the ack.
  Nothing is stored: the baseline.
- ``memory``, ``sqlite``, ``sqlite_batched``, ``redis``: notebook 05's ``QueueHub``;
  each message is ``hub.publish``-ed (stored, then sent) and the client acknowledges
  with ``received``, which deletes it. ``sqlite`` commits each change with
  ``synchronous=FULL``; ``sqlite_batched`` shares one commit among the publishes
  of each 2 ms (``GroupCommit``); ``redis`` is Redis Streams at ``QUEUE_REDIS``.

All of them use the course's configuration from ``systems.py``.
"""

import asyncio
import os
import tempfile
import time
from pathlib import Path

import socketio
from aiohttp import web
from systems import OrjsonText, decline_compression

from labsupport.ackqueue import MemoryQueue
from labsupport.production.group_commit import BatchedSqliteQueue, GroupCommitHub
from labsupport.queue_hub import QueueHub
from labsupport.sqlite_queue import SqliteQueue


async def pump(send, count, window, free):
    """Call ``send(n)`` ``count`` times, each after taking a place in the window ``free``.

    Whoever sees the acknowledgement gives the place back (``free.release()``). Each send
    is a task of its own, so sends started in the same moment can share a commit.
    """
    started, sending = time.perf_counter(), set()
    for n in range(count):
        await free.acquire()
        task = asyncio.ensure_future(send(n))
        sending.add(task)
        task.add_done_callback(sending.discard)
    for _ in range(window):  # every place back: everything was acknowledged
        await free.acquire()
    return time.perf_counter() - started


def app_for(sio):
    app = web.Application(middlewares=[decline_compression])
    sio.attach(app)
    return app


def bare():
    sio = socketio.AsyncServer(async_mode="aiohttp", json=OrjsonText, async_handlers=False)

    async def run(sid, order):
        free = asyncio.Semaphore(order["window"])

        async def send(n):
            await sio.emit("m", n, to=sid, callback=lambda *_: free.release())

        seconds = await pump(send, order["count"], order["window"], free)
        await sio.emit("pumped", seconds, to=sid)

    @sio.event
    async def pump_to_me(sid, order):
        sio.start_background_task(run, sid, order)  # not here: acks must get through

    return app_for(sio)


class MeasuredHub(QueueHub):
    """``QueueHub`` that gives a place in the pump's window back on each acknowledgement."""

    def __init__(self, queue):
        super().__init__(queue, json=OrjsonText)
        self.free = None
        self.sio.on("pump_to_me", self.pump_to_me)

    async def received(self, sid, data=None):
        answer = await super().received(sid, data)
        if answer.get("deleted"):
            self.free.release()
        return answer

    async def run(self, sid, order):
        self.free = asyncio.Semaphore(order["window"])

        async def send(n):
            await self.publish("bench", "m", n)

        seconds = await pump(send, order["count"], order["window"], self.free)
        await self.sio.emit("pumped", seconds, to=sid)

    async def pump_to_me(self, sid, order):
        self.sio.start_background_task(self.run, sid, order)


class MeasuredBatchedHub(GroupCommitHub, MeasuredHub):
    """``MeasuredHub`` with ``GroupCommitHub``'s commits (labsupport/production)."""


def _on_disk(batched):
    path = Path(tempfile.mkdtemp()) / "queue.db"
    if batched:
        return app_for(MeasuredBatchedHub(BatchedSqliteQueue(path, "FULL")).sio)
    return app_for(MeasuredHub(SqliteQueue(path, "FULL")).sio)


def memory():
    return app_for(MeasuredHub(MemoryQueue()).sio)


def sqlite():
    return _on_disk(batched=False)


def sqlite_batched():
    return _on_disk(batched=True)


def redis():
    from labsupport.streams_queue import StreamsQueue

    return app_for(MeasuredHub(StreamsQueue(os.environ["QUEUE_REDIS"])).sio)
