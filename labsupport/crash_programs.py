"""The three programs of notebook 05b's crash points: a producer, a hub, a consumer.

Each runs as a process of its own (``forked.py`` starts it), and each has *hooks* at the
numbered points of a message's way (``crash_points.POINTS``). The hook of the point an
experiment chooses tells the kernel "at point N" and then waits, doing nothing more;
the kernel kills the process there with SIGKILL. Why wait to be killed rather than
kill itself? At some points the moment only counts once something has left the
process (the producer has its confirmation, the consumer has the message): the
kernel waits for that witness, then kills. A paused process also *freezes*: a hub
that stopped at point 4 must not go on to store an acknowledgement it would never
have lived to see.

- the **producer** posts each message to the hub's ``POST /publish`` and says whether
  the hub confirmed it; one that was not confirmed it sends again when told to;
- the **hub** is ``queue_hub.QueueHub`` (notebook 05), in memory or on SQLite, with its
  publish split into the steps the points name, and the producer confirmed once the
  message is committed;
- the **consumer** applies each message with the ``apply(db, message_id, record)`` it
  is given, in its own SQLite file (its effects outlive it), then acknowledges it.
"""

import asyncio
import builtins
import contextlib
import json
import marshal
import os
import sqlite3
import time
import types
import urllib.request

import socketio
from aiohttp import web

from .ackqueue import MemoryQueue
from .queue_hub import QueueHub
from .sqlite_queue import SqliteQueue

CLIENT, EVENT = "shipping", "order"  # the consumer's client id, and the event it reads
EFFECTS = """CREATE TABLE IF NOT EXISTS effects (producer TEXT, sequence INTEGER, key TEXT);
CREATE TABLE IF NOT EXISTS seen (message_id TEXT PRIMARY KEY);"""


class Hooks:
    """The numbered points of one process: ``await hooks.at(n)`` stops at the chosen one."""

    def __init__(self, conn, point):
        self.conn, self.point, self.frozen = conn, point, False

    def say(self, *words):
        self.conn.send(" ".join(map(str, words)))

    async def at(self, point):
        if point == self.point:
            self.say("at point", point)
            self.frozen = True
        await self.gate()

    async def gate(self):
        """Stopped at a crash point: nothing else this process would do happens."""
        if self.frozen:
            await asyncio.Event().wait()  # until SIGKILL


def listen(conn, handle):
    """Call ``handle(command)`` for each command the kernel sends, on the running loop."""
    loop = asyncio.get_running_loop()
    loop.add_reader(conn.fileno(), lambda: conn.poll() and handle(conn.recv()))


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
    listen(conn, lambda command: asyncio.ensure_future(crash_hub.idle()))
    hooks.say("listening on", f"http://127.0.0.1:{runner.addresses[0][1]}")
    await asyncio.Event().wait()


def shipped(function):
    """``function``'s compiled code, to send to a child process (no source file needed:
    a function defined in a notebook cell travels too). It may use ``sqlite3`` and
    builtins, not other names of the notebook."""
    return marshal.dumps(function.__code__)


def load(code):
    """The function ``shipped`` sent, rebuilt in this process."""
    return types.FunctionType(marshal.loads(code), {"sqlite3": sqlite3, "__builtins__": builtins})


def consumer(conn, url, path, apply_code, point):
    asyncio.run(_consumer(url, path, load(apply_code), Hooks(conn, point)))


async def _consumer(url, path, apply, hooks):
    db = sqlite3.connect(path)
    db.executescript(EFFECTS)
    sio = socketio.AsyncClient(reconnection_delay=0.05, reconnection_delay_max=0.2,
                               randomization_factor=0)  # fmt: skip

    @sio.on(EVENT)
    async def on_order(message):
        payload = message["payload"]
        hooks.say("got", payload["id"])
        await hooks.at(5)  # 5: the handler runs
        try:
            apply(db, payload["id"], payload["record"])
        except Exception as error:  # the learner's apply failed: say why, and end here
            hooks.say("apply failed:", repr(error))
            os._exit(1)
        await hooks.at(6)  # 6: its effect is committed
        ack = {"clientId": CLIENT, "event": EVENT, "messageId": message["messageId"]}
        await sio.emit("received", ack)
        await hooks.at(7)  # 7: the acknowledgement is sent

    async def catch_up():
        await sio.call("getAll", {"clientId": CLIENT, "event": EVENT}, timeout=30)
        hooks.say("caught up")

    sio.on("connect", lambda: sio.start_background_task(catch_up))
    await sio.connect(url, auth={"clientId": CLIENT}, wait_timeout=10)
    await asyncio.Event().wait()


def producer(conn, url):
    """Publish what the kernel says; a message the hub did not confirm, again on "retry"."""
    body = None
    while True:
        command, *args = conn.recv()
        body = {"id": args[0], "record": args[1:]} if command == "publish" else body
        try:
            answer = post(f"{url}/publish", body)
            conn.send(f"confirmed {body['id']} as {answer['messageId']}")
        except OSError as error:  # the hub died before it answered
            conn.send(f"unconfirmed {body['id']}: {type(error).__name__}")


def post(url, body):
    data = json.dumps(body).encode()
    request = urllib.request.Request(url, data, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.load(reply)
