"""Exercises of notebook 04 (rooms and namespaces): ``from labsupport.exercises.ex04 import q1``."""

import socketio

from labsupport.exercises._support import heard_after_sync, installed, server_with
from labsupport.exercises.checks import Exercise, Incorrect, Problem, expect_value, why_none
from labsupport.exercises.ex03 import unawaited_calls
from labsupport.lab.clients import SimpleClient
from labsupport.lab.servers import stop


class StoreRooms(Problem):
    title = "q1, per-store rooms"
    hints = (
        "Section 2: `await sio.enter_room(sid, room)` puts a connection in a room.",
        "In `connect`, the store is `auth.get('store')` (auth may be None for a driver). "
        "In `delivered`, emit with `to=order['store']`.",
        "`if auth and auth.get('store'): await sio.enter_room(sid, auth['store'])` and "
        "`await sio.emit('delivered', order, to=order['store'])`",
    )
    solution = """
def register(sio):
    @sio.event
    async def connect(sid, environ, auth):
        if auth and auth.get("store"):
            await sio.enter_room(sid, auth["store"])

    @sio.event
    async def delivered(sid, order):
        await sio.emit("delivered", order, to=order["store"])


q1.check(register)
"""
    why = """
The store's room is the address of everyone who should hear about its orders. The
driver needs no room: it only sends. Returning nothing from `connect` accepts the
connection.
"""
    orders = ({"store": "1-206-flowers", "orderId": "o-17"}, {"store": "acme", "orderId": "o-18"})

    def verify(self, register):
        self.expect_attempted(register)

        def install(sio):
            installed(register, sio)
            sio.on("sync", lambda sid: True)

        server = server_with("q1-check", install, async_handlers=False)
        people = {"flowers": {"store": "1-206-flowers"}, "acme": {"store": "acme"}, "driver": None}
        connected = {name: SimpleClient() for name in people}
        try:
            for name, auth in people.items():
                self._connect(connected[name], server.url, name, auth)
            for order in self.orders:
                connected["driver"].emit("delivered", order)
            got = heard_after_sync(connected, "driver")  # handled in order: delivered is done
        finally:
            for client in connected.values():
                client.disconnect()
            stop("q1-check")
        return self._judge(got, register)

    @staticmethod
    def _connect(client, url, name, auth):
        try:
            client.connect(url, auth=auth)
        except socketio.exceptions.ConnectionError as error:
            raise Incorrect(f"{name} (auth={auth!r}) could not connect: {error}. "
                            "Does `connect` accept everyone?") from error  # fmt: skip

    def _judge(self, got, register):
        stores = {"1-206-flowers": "flowers", "acme": "acme"}
        expected = {"flowers": [], "acme": [], "driver": []}
        for order in self.orders:
            expected[stores[order["store"]]].append(["delivered", order])
        if got == {name: [] for name in expected}:
            self.expect_attempted(register, in_source=True)
        if got != expected:
            sent = ", then ".join(map(repr, self.orders))
            slip = self._slip(got, expected)
            if not any(got.values()) and (missing := unawaited_calls(register)):
                slip = (f"`{missing[0]}` has no `await` in front (a missing await): "
                        f"{missing[0].split('(')[0]} is a coroutine, and without `await` it "
                        "never runs.")  # fmt: skip
            raise Incorrect(f"a driver sent delivered {sent}; expected {expected}, got {got}. "
                            f"{slip}")  # fmt: skip
        return "each vendor heard about its own orders, and only those."

    @staticmethod
    def _slip(got, expected):
        """The likely cause of a wrong delivery, from who heard what."""
        if not any(got.values()):
            return ("Nobody heard anything: is each store's connection put in its room "
                    "(`await sio.enter_room`), and the emit awaited?")  # fmt: skip
        if got["driver"] and all(got.values()):
            return ("Everyone heard every order, the driver too: an emit with no `to=` "
                    "goes to every connection; address it to one room.")  # fmt: skip
        if got["driver"]:
            return "The driver heard it: send to the store's room only (`to=`)."
        heard = {name: [event[0] for event in events] for name, events in got.items()}
        if heard == {name: [e[0] for e in events] for name, events in expected.items()}:
            return ("The right vendors heard 'delivered', but with other data: send the "
                    "whole `order` the driver sent, as it came.")  # fmt: skip
        for name, events in got.items():
            if len(events) > len(expected[name]):
                return (f"{name} heard an order of another store: each order says which "
                        "store it is for, so the room must come from the order, not be a "
                        "fixed name.")  # fmt: skip
        return "Is each vendor in the room named by its `auth['store']`?"


class CountRooms(Problem):
    title = "q2, counting rooms from room events"
    # The case without joins comes early: it tells apart the two usual slips
    # (counting joins as rooms, and forgetting that delete-room ends a room).
    cases = [
        ([], (0, 0)),
        ([("create-room", "a"), ("join-room", "a", "s1")], (1, 1)),
        ([("create-room", "a"), ("create-room", "b")], (2, 2)),
        (
            [("create-room", "x"), ("create-room", "y"), ("create-room", "z"),
             ("delete-room", "x"), ("delete-room", "y"), ("delete-room", "z")],
            (0, 3),
        ),
        (
            [("create-room", "a"), ("join-room", "a", "s1"), ("create-room", "b"),
             ("join-room", "b", "s1"), ("leave-room", "a", "s1"), ("delete-room", "a"),
             ("create-room", "c"), ("join-room", "c", "s2")],
            (2, 2),
        ),
    ]  # fmt: skip
    hints = (
        "Only create-room and delete-room change how many rooms exist.",
        "Keep a running count (+1, -1) and the largest value it reached.",
    )
    solution = """
def count_rooms(events):
    now = peak = 0
    for event, *_ in events:
        now += {"create-room": 1, "delete-room": -1}.get(event, 0)
        peak = max(peak, now)
    return now, peak


q2.check(count_rooms)
"""
    why = """
join-room and leave-room change who is in a room, not whether it exists: a room
exists from its create-room to its delete-room.
"""

    def verify(self, count_rooms):
        self.expect_attempted(count_rooms)
        for events, expected in self.cases:
            try:
                got = count_rooms(list(events))
            except Exception as error:
                raise Incorrect(f"count_rooms({events!r:.60}) raised {error!r}") from error
            self.expect_attempted(got)
            expect_value(f"count_rooms({events!r:.60})", got)
            got = tuple(got) if isinstance(got, list) else got
            if not (isinstance(got, tuple) and len(got) == 2 and all(type(n) is int for n in got)):
                why = why_none(count_rooms) if got is None else ""
                raise Incorrect(f"count_rooms should return two numbers, (now, peak), like "
                                f"(1, 2); for {events!r:.60} it returned {got!r}. "
                                f"{why}".rstrip())  # fmt: skip
            if got != expected:
                raise Incorrect(f"for the {len(events)} events {events!r:.90}... expected "
                                f"{expected}, got {got!r}. {self.slip(events, got)}")  # fmt: skip
        return "rooms exist from create-room to delete-room, whoever is in them."

    @staticmethod
    def slip(events, got):
        """Name the likely mistake behind a wrong ``(now, peak)``."""
        kinds = [event[0] for event in events]
        now, peak = CountRooms.replay(events)
        if len(got) == 2 and got[0] == now and got[1] < got[0]:
            return ("The peak is behind the count it should include: update it after the "
                    "count changes, not before.")  # fmt: skip
        if got == (now, now) and peak > now:
            return ("The count is right, but the peak is only the final count: the peak is "
                    "the largest count at *any* moment, so update it inside the loop, each "
                    "time the count changes.")  # fmt: skip
        joined = {event[1] for event in events if event[0] == "join-room"}
        if got in {(len(joined), len(joined)), (kinds.count("join-room"),) * 2}:
            return "Do you count joins as rooms? A room exists from create-room on."
        if got[0] == kinds.count("create-room") and "delete-room" in kinds:
            return "Does delete-room take its room away? It should."
        return "Only create-room and delete-room change how many rooms exist."

    @staticmethod
    def replay(events):
        now = peak = 0
        for event, *_ in events:
            now += {"create-room": 1, "delete-room": -1}.get(event, 0)
            peak = max(peak, now)
        return now, peak


q1 = Exercise(StoreRooms())
q2 = Exercise(CountRooms())
