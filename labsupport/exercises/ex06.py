"""Exercises of notebook 06 (scaling with Redis): ``from labsupport.exercises.ex06 import q1``.

Each checker starts a Redis of its own (``exercise-redis``), so a wrong answer cannot
disturb the notebook's Redis, and a right one is tested on the real thing.
"""

import contextlib
import time

import redis
import socketio

from labsupport.exercises._support import heard_within, in_sent_order
from labsupport.exercises.checks import (
    Choice,
    Exercise,
    Incorrect,
    NotAttempted,
    Problem,
    expect_value,
    raised,
)
from labsupport.exercises.ex03 import unawaited_calls
from labsupport.lab import redis_server
from labsupport.lab.clients import SimpleClient
from labsupport.lab.servers import serve_socketio

ORDER = {"store": "1-206-flowers", "orderId": 7}
ACME = {"store": "acme", "orderId": 8}  # a second store: the room comes from the order


@contextlib.contextmanager
def _fresh_redis():
    """A Redis for one check, stopped when the check is done."""
    server = redis_server.start("exercise-redis", durable=False)
    try:
        yield server.url
    finally:
        server.stop()


class SharedRooms(Problem):
    title = "q1, a delivery to a room on another server"
    hints = (
        "Section 2: what did the servers get that made ben hear ann's announcement?",
        "`client_manager=socketio.AsyncRedisManager(redis_url)`; and the emit goes "
        "`to=` the store named in the order.",
    )
    solution = """
def make_server(redis_url):
    sio = socketio.AsyncServer(
        async_mode="aiohttp", client_manager=socketio.AsyncRedisManager(redis_url)
    )

    @sio.event
    async def connect(sid, environ, auth):
        await sio.enter_room(sid, auth["store"])

    @sio.event
    async def delivered(sid, order):
        await sio.emit("delivered", order, to=order["store"])

    return sio


q1.check(make_server)
"""
    why = """
The room lives in server B's memory; the Redis manager publishes server A's emit on
Redis, and every server, B included, delivers it to its own members of that room.
"""

    orders = (ORDER, ACME)

    def verify(self, make_server):
        # in_source: a ____ inside the function, not just its result
        self.expect_attempted(make_server, in_source=True)
        with _fresh_redis() as url:
            return self._check_servers(make_server, url)

    def _check_servers(self, make_server, url):
        try:
            first, second = (self._serve(make_server, url, name) for name in ("q1-a", "q1-b"))
        except NotAttempted:
            raise
        except Incorrect:
            raise
        except Exception as error:
            slip = ""
            if "async_mode" in str(error):
                slip = (" socketio.Server is the synchronous server, for threads: here the "
                        "server runs on asyncio, so it is socketio.AsyncServer.")  # fmt: skip
            raise Incorrect(raised(f"make_server({url!r})", error) + slip) from error
        flowers = self._client(second.url, "1-206-flowers")
        acme = self._client(second.url, "acme")
        driver = self._client(first.url, "drivers")
        try:
            self._wait_until_shared(url)
            for order in self.orders:
                driver.emit("delivered", order)
            got = heard_within({"1-206-flowers": flowers, "acme": acme}, 1)  # an order each
        finally:
            for client in (flowers, acme, driver):
                client.disconnect()
            first.stop()
            second.stop()
        return self._judge(got, make_server)

    def _serve(self, make_server, url, name):
        sio = make_server(url)
        self.expect_attempted(sio)
        expect_value(f"make_server({url!r})", sio)
        if not isinstance(sio, socketio.AsyncServer):
            raise Incorrect(f"make_server({url!r}) returned {sio!r:.80}, expected a "
                            "socketio.AsyncServer: return the server you made.")  # fmt: skip
        manager = sio.manager
        if isinstance(manager, socketio.RedisManager):  # the synchronous twin
            raise Incorrect(f"make_server({url!r}) gave its AsyncServer a socketio.RedisManager: "
                            "that is the synchronous one, for a threaded socketio.Server, and "
                            "it cannot listen on asyncio. An AsyncServer needs "
                            "socketio.AsyncRedisManager.")  # fmt: skip
        if isinstance(manager, socketio.AsyncRedisManager) and manager.redis_url != url:
            raise Incorrect(f"we called make_server({url!r}); its AsyncRedisManager connects to "
                            f"{manager.redis_url!r} instead. Use the URL make_server is "
                            "given, its argument redis_url.")  # fmt: skip
        return serve_socketio(sio, name=name)

    def _client(self, url, store):
        client = SimpleClient()
        client.connect(url, auth={"store": store})
        return client

    def _wait_until_shared(self, url):
        try:  # a server subscribes once a client has connected to it
            redis_server.wait_for_subscribers(url, "socketio", 2, timeout=3)
        except TimeoutError as error:  # name the symptom and the section, not the code
            why = ("we connected a client to each of two servers from make_server(redis_url); "
                   "expected both to subscribe to Redis, got no subscriber: the servers "
                   "never listened on Redis, so an emit on server A cannot reach a room on "
                   "server B. Section 2 shows what each server is given so that they share "
                   "their broadcasts.")  # fmt: skip
            raise Incorrect(why) from error

    def _judge(self, got, make_server):
        sent = ", then ".join(map(repr, self.orders))
        everything = [["delivered", order] for order in self.orders]
        got = {store: in_sent_order(events, everything) for store, events in got.items()}
        for store, events in got.items():
            wanted = [["delivered", order] for order in self.orders if order["store"] == store]
            if events != wanted:
                if not any(got.values()) and (missing := unawaited_calls(make_server)):
                    slip = (f"`{missing[0]}` has no `await` in front (a missing await): "
                            f"{missing[0].split('(')[0]} is a coroutine, and without `await` "
                            "it never runs")  # fmt: skip
                elif all(heard == everything for heard in got.values()):
                    slip = ("every vendor heard every order: an emit with no `to=` goes to "
                            "every connection. Address each order to one room")  # fmt: skip
                elif len(events) > len(wanted):
                    slip = ("it heard another store's order: each order says which store it "
                            "is for, so the room must come from the order, not be a fixed "
                            "name (section 2: each vendor waits in its store's room)")  # fmt: skip
                else:
                    slip = ("is each vendor in its store's room (the store is in its "
                            "`auth`), and is the order sent on as it came?")  # fmt: skip
                raise Incorrect(f"a driver on server A sent delivered {sent}; the vendor "
                                f"{store!r}, on server B, got {events!r}, expected {wanted!r}: "
                                f"{slip}.")  # fmt: skip
        return "each emit on server A reached its store's room on server B, and only it."


class Reclaim(Problem):
    title = "q2, taking over a dead consumer's messages"
    hints = (
        "Section 3 did it by hand: which command moves pending entries to another consumer?",
        "`db.xautoclaim(stream, group, me, min_idle_time=0)` returns (next id, entries, "
        "deleted ids).",
    )
    solution = """
def recover(db, stream, group, me):
    next_id, entries, deleted = db.xautoclaim(stream, group, me, min_idle_time=0)
    return [entry_id for entry_id, fields in entries]


q2.check(recover)
"""
    why = """
A delivered entry stays in the group's pending list, owned by the consumer that read it,
until someone acknowledges it. XAUTOCLAIM hands those entries to a living consumer.
"""

    count = 3  # entries the dead consumer read (it acknowledged the first)
    # the stream, the group, the living consumer: twice, so that every name must be used
    names = (("jobs", "workers", "alive"), ("orders", "crew", "bo"))

    def verify(self, recover):
        self.expect_attempted(recover, in_source=True)
        with _fresh_redis() as url:
            db = redis.Redis.from_url(url, decode_responses=True)
            return [self._check_recover(recover, db, names) for names in self.names][0]

    def _check_recover(self, recover, db, names):
        stream, group, me = names
        call = f"recover(db, {stream!r}, {group!r}, {me!r})"
        ids = [db.xadd(stream, {"order": n}) for n in range(self.count)]
        db.xgroup_create(stream, group, id="0")
        db.xreadgroup(group, "dead", {stream: ">"})  # reads all three...
        db.xack(stream, group, ids[0])  # ...acknowledges one, then dies
        time.sleep(0.01)  # the consumer died a moment ago, not in the same millisecond
        try:
            got = recover(db, stream, group, me)
        except Exception as error:
            slip = ""
            if isinstance(error, ValueError) and "values to unpack" in str(error):
                slip = (" Your line unpacks the command's reply into names, and the reply "
                        "did not have that many parts: XAUTOCLAIM's reply is (next id, "
                        "entries, deleted ids), but only without options like justid=True, "
                        "and other commands reply in other shapes. Print what your command "
                        "returns; section 3 shows which command moves pending entries to "
                        "another consumer.")  # fmt: skip
            raise Incorrect(raised(call, error) + slip) from error
        self.expect_attempted(got)
        expect_value(call, got)
        owners = {c["name"]: c["pending"] for c in db.xpending(stream, group)["consumers"]}
        if not got and owners == {"dead": self.count - 1}:
            raise Incorrect(self._nothing_claimed(db, owners, call, names))
        if list(got) != ids[1:]:
            raise Incorrect(f"the dead consumer read {len(ids)} entries and acknowledged the "
                            f"first; expected the unacknowledged ids {ids[1:]}, got "
                            f"{got!r}.")  # fmt: skip
        if owners != {me: self.count - 1}:
            raise Incorrect(f"XPENDING says the pending entries belong to {owners}; "
                            f"they should now belong to {me!r}.")  # fmt: skip
        return (
            f"the {self.count - 1} unacknowledged entries now belong to {me!r}; the acked "
            "one stayed done."
        )

    def _nothing_claimed(self, db, owners, call, names):
        """An empty takeover: most often a ``min_idle_time`` longer than the entries' idle time."""
        idle = max(info["time_since_delivered"]
                   for info in db.xpending_range(*names[:2], "-", "+", 10))  # fmt: skip
        return (f"{call} returned [] and XPENDING still says "
                f"the entries belong to {owners}. XAUTOCLAIM only takes entries idle for at "
                f"least min_idle_time milliseconds, and these were delivered {idle} ms ago: "
                "a minimum meant to protect a slow living consumer skips them. Section 3 says "
                "what to give it when you know the consumer is dead.")  # fmt: skip


class PerProcessMembers(Choice):
    title = "q3, who is in the room?"
    hints = ("Section 2 asked each server how many members its `drivers` room had.",)
    solution = """
q3.check("b")
"""
    why = """
The Redis manager shares emits, not the membership lists: each process keeps the rooms
of its own connections, so server A only knows Alice.
"""
    reasons = {
        "a": "the Redis manager passes emits between the servers, not their room lists.",
        "c": "Alice's connection is on server A, so A does list her.",
    }

    answer = "b"
    right = "each server lists only the members connected to it."


q1 = Exercise(SharedRooms())
q2 = Exercise(Reclaim())
q3 = Exercise(PerProcessMembers())
