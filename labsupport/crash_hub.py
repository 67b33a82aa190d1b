"""Notebook 05b's hub for the crash points: notebook 05's ``QueueHub`` with hooks.

Its queue is in memory (``MemoryQueue``) or on SQLite (``SqliteQueue``), as in
notebook 05. Its publish is split into the steps the crash points name (arrived,
stored, committed, emitted), and it confirms to the producer once the message is
committed, before it emits it: from then on, the producer relies on the hub to keep
it. Its ``received`` has point 8 after the acknowledgement is stored. The hooks and the
other programs are in ``crash_programs.py``.
"""

import asyncio
import contextlib
import os
import time

from aiohttp import web

from labsupport.ackqueue import MemoryQueue
from labsupport.crash_programs import CLIENT, EVENT, Hooks
from labsupport.queue_hub import QueueHub
from labsupport.sqlite_queue import SqliteQueue


class CrashHub(QueueHub):
    """``QueueHub`` with a hook at points 1, 2, 3, 4 and 8."""

    def __init__(self, queue, hooks):
        super().__init__(queue)
        self.hooks, self.changed = hooks, asyncio.Event()

    async def http_publish(self, request):
        data = await request.json()
        await self.hooks.at(1)  # 1: the producer's publish has arrived
        with self.transaction():
            message = self.queue.enqueue(CLIENT, EVENT, data)
            await self.hooks.at(2)  # 2: stored, not yet committed
        reply = web.json_response({"messageId": message.message_id})
        await reply.prepare(request)
        await reply.write_eof()  # the producer hears "kept" once it is committed
        await self.hooks.at(3)  # 3: committed
        await self.sio.emit(EVENT, message.to_wire(), to=CLIENT)
        await self.hooks.at(4)  # 4: emitted
        return reply

    @contextlib.contextmanager
    def transaction(self):
        """BEGIN ... COMMIT around the insert on SQLite; in memory there is nothing to commit."""
        db = getattr(self.queue, "db", None)
        db and db.execute("BEGIN")
        yield
        db and db.execute("COMMIT")

    async def received(self, sid, data=None):
        await self.hooks.gate()
        answer = await super().received(sid, data)
        self.hooks.say("ack stored", data["messageId"])
        await self.hooks.at(8)  # 8: the acknowledgement is stored
        self.changed.set()
        return answer

    async def idle(self):
        """Tell the kernel once nothing is held for the consumer: all acknowledged."""
        while self.queue.pending(CLIENT, EVENT):
            self.changed.clear()
            await self.changed.wait()
        self.hooks.say("idle")


def hub(conn, port, db, point):
    asyncio.run(_hub(conn, port, db, Hooks(conn, point)))


async def _hub(conn, port, db, hooks):
    queue = SqliteQueue(db, "NORMAL") if db else MemoryQueue(first_offset=time.time_ns() // 1000)
    crash_hub = CrashHub(queue, hooks)
    app = crash_hub.add_routes(web.Application())
    crash_hub.sio.attach(app)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port, reuse_address=True).start()

    def on_command():  # "idle?" from the kernel
        try:
            conn.recv()
        except EOFError:  # the kernel has gone: so do we
            os._exit(0)
        asyncio.ensure_future(crash_hub.idle())

    asyncio.get_running_loop().add_reader(conn.fileno(), on_command)
    hooks.say("listening on", f"http://127.0.0.1:{runner.addresses[0][1]}")
    await asyncio.Event().wait()
