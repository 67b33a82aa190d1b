"""The capstone's stages (notebook 07): ``from labsupport.exercises.ex07 import q1``.

Each stage is checked over real connections to the namespace ``/caps``, with the
contract's ``auth`` (see ``labsupport/caps.py``).
"""

import socketio

from ..ackqueue import MemoryQueue
from ..caps import NAMESPACE, CapsHub
from ..checks import Exercise, Incorrect, Problem
from ..servers import serve_socketio, stop
from ._support import drain, expect_written, server_with

ORDER = {"store": "1-206-flowers", "orderId": "17", "customer": "Ada Lovelace",
         "address": "12 Pine St"}  # fmt: skip


def caps_client(url, client_id, role):
    client = socketio.SimpleClient()
    try:
        client.connect(url, namespace=NAMESPACE, auth={"clientId": client_id, "role": role})
    except socketio.exceptions.ConnectionError as error:
        raise Incorrect(f"{client_id} ({role}) could not connect to {NAMESPACE}: {error}. "
                        "Does your connect handler accept it?") from error  # fmt: skip
    return client


def play(name, install, people, sender, event):
    """Serve ``install``; connect ``people``; ``sender`` emits ``event``; what each got."""

    def with_sync(sio):
        install(sio)
        sio.on("sync", lambda sid: True, namespace=NAMESPACE)  # answered after the event

    server = server_with(name, with_sync, async_handlers=False)
    clients = {}
    try:
        for client_id, role in people.items():
            clients[client_id] = caps_client(server.url, client_id, role)
        clients[sender].emit(event, ORDER)
        clients[sender].call("sync", timeout=5)  # handled in order: the event is done
        return {client_id: drain(client) for client_id, client in clients.items()}
    finally:
        for client in clients.values():
            client.disconnect()
        stop(name)


def expect(got, wanted):
    for client_id, events in wanted.items():
        if got[client_id] != events:
            raise Incorrect(f"{client_id} got {got[client_id]!r}, expected {events!r}.")


class PickupRouting(Problem):
    title = "stage 1, pickup routing"
    hints = (
        "`connect` gets `auth`: `auth['role'] == 'driver'` means `enter_room(sid, 'drivers', "
        "namespace='/caps')`.",
        "`pickup` emits `('pickup', order, to='drivers', namespace='/caps')`.",
    )
    solution = """
def stage1(sio):
    @sio.on("connect", namespace="/caps")
    async def connect(sid, environ, auth):
        if auth["role"] == "driver":
            await sio.enter_room(sid, "drivers", namespace="/caps")

    @sio.on("pickup", namespace="/caps")
    async def pickup(sid, order):
        await sio.emit("pickup", order, to="drivers", namespace="/caps")


q1.check(stage1)
"""
    why = """
The vendor does not know the drivers: it names the room, and the server delivers to
whoever is in it now. The vendor is not in `drivers`, so it does not hear its own order.
"""

    def verify(self, stage1):
        expect_written(self, stage1)
        people = {"driver-1": "driver", "driver-2": "driver", "1-206-flowers": "vendor"}
        got = play("stage1", stage1, people, "1-206-flowers", "pickup")
        expect(got, {"driver-1": [["pickup", ORDER]], "driver-2": [["pickup", ORDER]],
                     "1-206-flowers": []})  # fmt: skip
        return "both drivers got the pickup, and the vendor did not hear its own order."


class StoreDelivery(Problem):
    title = "stage 2, room-scoped delivery"
    hints = (
        "A vendor's room is its store, which is its `auth['clientId']`.",
        "`delivered` emits to `order['store']`, in the namespace '/caps'.",
    )
    solution = """
def stage2(sio):
    @sio.on("connect", namespace="/caps")
    async def connect(sid, environ, auth):
        room = "drivers" if auth["role"] == "driver" else auth["clientId"]
        await sio.enter_room(sid, room, namespace="/caps")

    @sio.on("delivered", namespace="/caps")
    async def delivered(sid, order):
        await sio.emit("delivered", order, to=order["store"], namespace="/caps")


q2.check(stage2)
"""
    why = """
Each store's room holds its vendor only, so an update addressed to the order's store
reaches exactly the vendor who asked for the pickup.
"""

    def verify(self, stage2):
        expect_written(self, stage2)
        people = {"1-206-flowers": "vendor", "acme": "vendor", "driver-1": "driver"}
        got = play("stage2", stage2, people, "driver-1", "delivered")
        if got["acme"]:
            raise Incorrect(f"acme got {got['acme']!r}: send to the order's store only.")
        expect(got, {"1-206-flowers": [["delivered", ORDER]], "driver-1": []})
        return "only 1-206-flowers heard about its order."


class QueuedPickups(Problem):
    title = "stage 3, the queue"
    hints = (
        "`hub.ledger.drivers()` lists every driver that ever connected.",
        "For each: `await hub.publish(driver, 'pickup', order)`: it queues, then sends.",
    )
    solution = """
async def send_to_drivers(hub, order):
    for driver in hub.ledger.drivers():
        await hub.publish(driver, "pickup", order)


q3.check(send_to_drivers)
"""
    why = """
`publish` queues before it sends, so a driver who is away now finds the order waiting
when it comes back and asks `getAll`, and it stays queued until the driver acknowledges.
"""

    def verify(self, send_to_drivers):
        expect_written(self, send_to_drivers)

        class StageHub(CapsHub):
            async def _send(self, event, order, recipients):
                await send_to_drivers(self, order)
                return {"ok": True}

        hub = StageHub(MemoryQueue(), log=lambda line: None)
        server = serve_socketio(hub.sio, name="stage3")
        try:
            return self._scenario(hub, server.url)
        finally:
            stop("stage3")

    def _scenario(self, hub, url):
        caps_client(url, "driver-away", "driver").disconnect()  # known, then gone
        online = caps_client(url, "driver-here", "driver")
        vendor = caps_client(url, "1-206-flowers", "vendor")
        vendor.call("pickup", ORDER, timeout=5)
        live = drain(online)
        if [event for event, _ in live] != ["pickup"]:
            raise Incorrect(f"the connected driver got {live!r}; expected one pickup.")
        away = hub.queue.pending("driver-away", "pickup")
        if [m.payload for m in away] != [ORDER]:
            raise Incorrect("nothing was queued for the driver who is away: use hub.publish, "
                            "which queues before it sends.")  # fmt: skip
        for client in (online, vendor):
            client.disconnect()
        return "the driver who was away finds the order queued for it."


class DurableQueue(Problem):
    title = "stage 4, catch-up after a restart"
    hints = (
        "Notebook 05 §7: which queue keeps its messages when the process dies?",
        "`SqliteQueue(path)` from `labsupport.ackqueue`.",
    )
    solution = """
from labsupport.ackqueue import SqliteQueue


def make_queue(path):
    return SqliteQueue(path)


q4.check(make_queue)
"""
    why = """
A restarted hub is a new process with empty memory; only what was written to disk
before the crash comes back, so the queue must live in a file (or in Redis).
"""

    def verify(self, make_queue):
        import tempfile
        from pathlib import Path

        expect_written(self, make_queue)
        path = Path(tempfile.mkdtemp()) / "hub.db"
        before = make_queue(path)
        self.expect_attempted(before)
        before.enqueue("driver-1", "pickup", ORDER)
        del before  # the hub "dies"; a new one starts on the same path
        after = [m.payload for m in make_queue(path).pending("driver-1", "pickup")]
        if after != [ORDER]:
            raise Incorrect(f"after the restart the queue holds {after!r}: it lived in "
                            "memory. Keep it in a file (notebook 05 §7).")  # fmt: skip
        return "the order queued before the restart is still there after it."


q1 = Exercise(PickupRouting())
q2 = Exercise(StoreDelivery())
q3 = Exercise(QueuedPickups())
q4 = Exercise(DurableQueue())
