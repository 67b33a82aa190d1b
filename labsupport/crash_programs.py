"""The programs of notebook 05b's crash points around the hub: a producer and a consumer.

Each, like the hub, runs as a process of its own (``forked.py`` starts it), with *hooks*
at the numbered points of a message's way (``crash_points.POINTS``). The hook of the point an
experiment chooses tells the kernel "at point N" and then waits, doing nothing more;
the kernel kills the process there with SIGKILL. Why wait to be killed rather than
kill itself? At some points the moment only counts once something has left the
process (the producer has its confirmation, the consumer has the message): the
kernel waits for that witness, then kills. A paused process also *freezes*: a hub
that stopped at point 4 must not go on to store an acknowledgement it would never
have lived to see.

- the **producer** posts each message to the hub's ``POST /publish`` and says whether
  the hub confirmed it; one that was not confirmed it sends again when told to;
- the **hub** is in ``crash_hub.py``;
- the **consumer** applies each message with the ``apply(db, message_id, record)`` it
  is given, in its own SQLite file (its effects outlive it), then acknowledges it.
"""

import asyncio
import json
import os
import sqlite3
import urllib.request

import socketio

from labsupport.lab import forked

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


def consumer(conn, url, path, apply_code, point):
    apply = forked.rebuilt(apply_code, {"sqlite3": sqlite3})
    asyncio.run(_consumer(url, path, apply, Hooks(conn, point)))


async def _consumer(url, path, apply, hooks):
    db = sqlite3.connect(path)
    db.executescript(EFFECTS)
    sio = socketio.AsyncClient(reconnection_delay=0.05, reconnection_delay_max=0.2,
                               randomization_factor=0)  # fmt: skip

    @sio.on(EVENT)
    async def on_order(message):
        payload = message["payload"]
        hooks.say("got", payload["id"], "as", message["messageId"])
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
