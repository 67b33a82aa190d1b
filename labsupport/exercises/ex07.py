"""The capstone's stages (notebook 07): ``from labsupport.exercises.ex07 import q1``.

Each stage is checked over real connections to the namespace ``/caps``, with the
contract's ``auth`` (see ``labsupport/caps.py``).
"""

import ast
import inspect
import sqlite3
import tempfile
import textwrap
import warnings
from pathlib import Path

import socketio

from labsupport.ackqueue import MemoryQueue
from labsupport.caps import NAMESPACE, CapsHub, order_key
from labsupport.caps_stages import write_stages
from labsupport.exercises._support import drain, heard_after_sync, installed, server_with
from labsupport.exercises.checks import (
    UNTOUCHED,
    Exercise,
    Incorrect,
    NotAttempted,
    Problem,
    expect_value,
    raised,
    verdict,
)
from labsupport.lab.clients import SimpleClient
from labsupport.lab.servers import serve_socketio, stop

AWAITED = {"emit", "enter_room", "leave_room", "publish", "call", "save_session", "get_session"}
NAMESPACED = {"on", "emit", "enter_room", "leave_room"}

ORDER = {"store": "1-206-flowers", "orderId": "17", "customer": "Ada Lovelace",
         "address": "12 Pine St"}  # fmt: skip
# A second order, of another store: an answer must take the store and the order from the event.
ACME = {"store": "acme", "orderId": "18", "customer": "Grace Hopper", "address": "1 Elm St"}


def caps_client(url, client_id, role):
    client = SimpleClient()
    try:
        client.connect(url, namespace=NAMESPACE, auth={"clientId": client_id, "role": role})
    except socketio.exceptions.ConnectionError as error:
        raise Incorrect(f"{client_id} ({role}) could not connect to {NAMESPACE}: {error}. "
                        "Does your connect handler accept it?") from error  # fmt: skip
    return client


def play(name, install, people, sender, event, orders=(ORDER,), rooms=None):
    """Serve ``install``; connect ``people``; ``sender`` emits ``event``; what each got.

    ``rooms``, a dict, is filled with the rooms each client was in on the server."""
    servers = []

    def with_sync(sio):
        servers.append(sio)
        installed(install, sio)
        sio.on("sync", lambda sid: True, namespace=NAMESPACE)  # answered after the event

    server = server_with(name, with_sync, async_handlers=False)
    clients = {}
    try:
        for client_id, role in people.items():
            clients[client_id] = caps_client(server.url, client_id, role)
        for order in orders:
            clients[sender].emit(event, order)
        got = heard_after_sync(clients, sender)  # handled in order: the event is done
        if rooms is not None:
            for client_id, client in clients.items():
                rooms[client_id] = set(servers[0].rooms(client.sid, namespace=NAMESPACE))
        return got
    finally:
        for client in clients.values():
            client.disconnect()
        stop(name)


def expect(got, wanted):
    for client_id, events in wanted.items():
        if got[client_id] != events:
            raise Incorrect(f"{client_id} got {got[client_id]!r}, expected {events!r}.")


def slips(function):
    """The two slips this course sees most, found in the source of ``function``: calls
    that must be awaited and are not, and socket.io calls without ``namespace=``."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return [], []
    awaited = {id(node.value) for node in ast.walk(tree) if isinstance(node, ast.Await)}
    calls = [node for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)]  # fmt: skip
    unawaited = [c.func.attr for c in calls if c.func.attr in AWAITED and id(c) not in awaited]
    bare = [c.func.attr for c in calls if c.func.attr in NAMESPACED and not namespaced(c)]
    return list(dict.fromkeys(unawaited)), list(dict.fromkeys(bare))


def namespaced(call):
    return any(keyword.arg == "namespace" for keyword in call.keywords)


def likely_why(function, wrong, warned):
    """Name the slips behind a wrong answer, or None if none is found."""
    unawaited, bare = slips(function)
    if warned and not unawaited:
        unawaited = ["a coroutine"]
    why = []
    if unawaited and "never awaited" not in wrong:
        names = ", ".join(f"`{name}(...)`" for name in unawaited)
        why.append(f"{names} not awaited: without `await` the coroutine is made but never "
                   "runs (Python warns 'coroutine ... was never awaited')")  # fmt: skip
    if bare and function.__name__.startswith("stage"):
        names = ", ".join(f"`{name}(...)`" for name in bare)
        why.append(f"{names} without `namespace=\"/caps\"`: then they work in the namespace "
                   "\"/\", where no CAPS client is")  # fmt: skip
    return "; ".join(why) or None


def diagnosed(function, verify):
    """Run ``verify()``; if it fails, name the slips found in ``function``'s source."""
    with warnings.catch_warnings(record=True) as caught:  # "never awaited" is a diagnosis
        warnings.simplefilter("always", RuntimeWarning)
        try:
            return verify()
        except Incorrect as wrong:
            warned = any("never awaited" in str(w.message) for w in caught)
            why = likely_why(function, str(wrong), warned)
            if why is None:
                raise
            raise Incorrect(f"{wrong} Likely why: {why}.") from wrong


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
        self.expect_attempted(stage1, in_source=True)
        return diagnosed(stage1, lambda: self._scenario(stage1))

    orders = (ORDER, {**ORDER, "orderId": "18", "customer": "Grace Hopper"})

    def _scenario(self, stage1):
        vendor = self.orders[0]["store"]
        people = {"driver-1": "driver", "driver-2": "driver", vendor: "vendor"}
        rooms = {}
        got = play("stage1", stage1, people, vendor, "pickup", self.orders, rooms)
        heard = [["pickup", order] for order in self.orders]
        if got[vendor] and "drivers" in rooms[vendor]:
            raise Incorrect(f"{vendor} (role 'vendor') got {got[vendor]!r}, expected []: it "
                            "is in the room 'drivers' too, so it hears its own pickups. "
                            "Only a connection whose auth says role 'driver' belongs "
                            "there.")  # fmt: skip
        expect(got, {"driver-1": heard, "driver-2": heard, vendor: []})
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
        self.expect_attempted(stage2, in_source=True)
        return diagnosed(stage2, lambda: self._scenario(stage2))

    orders = (ORDER, ACME)  # two stores

    def _scenario(self, stage2):
        stores = list(dict.fromkeys(order["store"] for order in self.orders))
        people = {**{store: "vendor" for store in stores}, "driver-1": "driver"}
        rooms = {}
        got = play("stage2", stage2, people, "driver-1", "delivered", self.orders, rooms)
        sent = ", then ".join(f"{order['orderId']} of {order['store']}" for order in self.orders)
        for store in stores:
            wanted = [["delivered", order] for order in self.orders if order["store"] == store]
            if got[store] != wanted:
                everything = [["delivered", order] for order in self.orders]
                if all(got[name] == everything for name in people):
                    slip = ("everyone heard every order, the driver too: an emit with no "
                            "`to=` goes to every connection; address each order to one "
                            "room")  # fmt: skip
                elif len(got[store]) > len(wanted):
                    slip = ("it heard another store's order: each order says which store it "
                            "is for, so the room must come from the order, not be a fixed "
                            "name")  # fmt: skip
                else:
                    slip = ("is each vendor in the room named by its clientId, and each "
                            "order sent to the room of the store it names?")  # fmt: skip
                raise Incorrect(f"the driver sent delivered for orders {sent}; {store} got "
                                f"{got[store]!r}, expected {wanted!r}: {slip}")  # fmt: skip
        expect(got, {"driver-1": []})
        if "drivers" not in rooms["driver-1"]:
            inside = sorted(rooms["driver-1"])
            raise Incorrect(f"driver-1 (role 'driver') is in the rooms {inside}, "
                            "expected 'drivers' among them: stage 1's pickups would no "
                            "longer reach it. "
                            "Keep putting drivers in 'drivers'.")  # fmt: skip
        return "only 1-206-flowers heard about its order."


class StageHub(CapsHub):
    """The finished hub, sending pickups with the learner's ``send_to_drivers``; it notes
    an error, and each ``publish`` coroutine, to tell a missing ``await`` by name."""

    def __init__(self, send_to_drivers):
        super().__init__(MemoryQueue(), log=lambda line: None)
        self.send_to_drivers, self.error, self.publishing = send_to_drivers, None, []
        self.recipients = []  # the client ids publish was called for, in order

    def publish(self, client_id, event, payload):  # a plain def: it hands out the coroutine
        self.recipients.append(client_id)
        coroutine = super().publish(client_id, event, payload)
        self.publishing.append(coroutine)
        return coroutine

    async def _send(self, event, order, recipients):
        try:
            result = self.send_to_drivers(self, order)
            if inspect.isawaitable(result):
                await result
        except Exception as error:  # reported by the checker, not lost in the server's log
            self.error = error
        return {"ok": True}

    def unawaited(self):
        return [c for c in self.publishing if inspect.getcoroutinestate(c) == "CORO_CREATED"]

    def close_unawaited(self):
        for coroutine in self.unawaited():
            coroutine.close()  # no "never awaited" warning later: the checker said it


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

    orders = (ORDER, {**ORDER, "orderId": "18"})

    def verify(self, send_to_drivers):
        self.expect_attempted(send_to_drivers, in_source=True)
        hub = StageHub(send_to_drivers)
        server = serve_socketio(hub.sio, name="stage3")
        try:
            return diagnosed(send_to_drivers, lambda: self._scenario(hub, server.url))
        finally:
            stop("stage3")
            hub.close_unawaited()

    def _scenario(self, hub, url):
        caps_client(url, "driver-away", "driver").disconnect()  # known, then gone
        clients = []
        try:  # closed on a wrong answer too: a client left behind would reconnect for ever
            clients.append(online := caps_client(url, "driver-here", "driver"))
            clients.append(vendor := caps_client(url, self.orders[0]["store"], "vendor"))
            return self._judge(hub, online, vendor)
        finally:
            for client in clients:
                client.disconnect()

    def _judge(self, hub, online, vendor):
        for order in self.orders:
            vendor.call("pickup", order, timeout=5)
        if hub.error is not None:
            slip = ""
            if "object is not iterable" in str(hub.error) and "method" in str(hub.error):
                slip = (" A loop was given a method itself, not the list it returns: did "
                        "you forget the () after drivers?")  # fmt: skip
            elif not all(isinstance(name, str) for name in hub.recipients):
                first = next(name for name in hub.recipients if not isinstance(name, str))
                slip = (f" hub.publish was given a {type(first).__name__} where a driver's "
                        "name belongs (its first argument): "
                        "it takes (client_id, event, payload), in that order.")  # fmt: skip
            raise Incorrect(raised("send_to_drivers(hub, order)", hub.error) + slip)
        if hub.unawaited():
            raise Incorrect("hub.publish(...) was called but never awaited, so it never ran: "
                            "like sio.emit, publish is a coroutine function, and calling it "
                            "only makes the coroutine. Section 4 (Stage 3) shows how "
                            "a coroutine is run to its end.")  # fmt: skip
        live = drain(online)
        payloads = [m.get("payload") if isinstance(m, dict) else m for _, m in live]
        away = [m.payload for m in hub.queue.pending("driver-away", "pickup")]
        sent = list(self.orders)
        drivers = hub.ledger.drivers()
        strangers = sorted({str(c) for c in hub.recipients if c not in drivers})
        if strangers and away != sent:
            raise Incorrect(f"the vendor asked for pickups {sent!r}; you published to "
                            f"{strangers}, which hub.ledger.drivers() does not list (it lists "
                            f"{drivers}), and the queue holds {away!r} for driver-away, who is "
                            "away. The queue keeps each message under the client id it was "
                            "published to, and a driver asks only for its own: publish to "
                            "each driver the ledger lists.")  # fmt: skip
        if hub.recipients and set(hub.recipients) == {drivers[0]} and len(drivers) > 1:
            raise Incorrect(f"the vendor asked for pickups {sent!r}; hub.ledger.drivers() "
                            f"lists {drivers}, and you published only to {drivers[0]!r}, "
                            "the first, so the others got nothing: is there a `return` "
                            "inside your loop? It ends the function after the first "
                            "driver.")  # fmt: skip
        skipped = [d for d in drivers if d not in hub.recipients]
        if skipped and hub.recipients:
            raise Incorrect(f"hub.ledger.drivers() lists {drivers}; you published to "
                            f"{sorted(set(map(str, hub.recipients)))} and never to {skipped}: "
                            "every driver the ledger lists gets each pickup. Does your loop "
                            "skip one (a slice, or a range that starts at 1)?")  # fmt: skip
        events = sorted({str(event) for event, _ in live})
        if payloads == sent and events != ["pickup"]:
            raise Incorrect(f"the connected driver got the right orders, but as the event "
                            f"{events[0]!r}: a driver listens for 'pickup' (the wire "
                            "contract, section 1), so it never sees them.")  # fmt: skip
        if [event for event, _ in live] != ["pickup"] * len(sent) or payloads != sent:
            raise Incorrect(f"the vendor asked for pickups {sent!r}; the connected driver "
                            f"got {live!r}, expected each once, as sent. "
                            f"{self._live_slip(payloads, sent)}")  # fmt: skip
        if away != sent:
            raise Incorrect(f"the vendor asked for pickups {sent!r}; for the driver who is "
                            f"away, the queue holds {away!r}, expected them all: use "
                            "hub.publish, which queues before it sends.")  # fmt: skip
        return "the driver who was away finds the order queued for it."

    @staticmethod
    def _live_slip(payloads, sent):
        if payloads and len(payloads) < len(sent):
            return "Only some of the orders came: is there a `return` inside your loop?"
        if payloads and all(p == sent[0] for p in payloads) and len(sent) > 1:
            return "Every pickup carried the first order: publish the `order` you were given."
        return "Publish the `order` you were given, as it came."


class DurableStorage(Problem):
    title = "stage 4, catch-up after a restart"
    hints = (
        "Notebook 05 §4: the queue on SQLite survives kill -9. What else must the hub "
        "remember? Its drivers, and who took which order: that is the ledger.",
        "`take` is one `INSERT OR IGNORE` (the first driver keeps the order) and one `SELECT`; "
        "a driver can be a row of the same table, with the key `driver:<name>`.",
        '`make_storage(path)` returns `SqliteQueue(path), DurableLedger(f"{path}.ledger")`.',
    )
    solution = """
import sqlite3

from labsupport.caps import Ledger
from labsupport.sqlite_queue import SqliteQueue


class DurableLedger(Ledger):
    def __init__(self, path):
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("CREATE TABLE IF NOT EXISTS taken (key TEXT PRIMARY KEY, driver TEXT)")

    def take(self, key, driver):  # the first to take it keeps it, across restarts too
        self.db.execute("INSERT OR IGNORE INTO taken VALUES (?, ?)", (key, driver))
        return self.db.execute("SELECT driver FROM taken WHERE key = ?", (key,)).fetchone()[0]


def add_driver(self, driver):
    self.take(f"driver:{driver}", driver)  # a driver is a row too


def drivers(self):
    rows = self.db.execute("SELECT driver FROM taken WHERE key LIKE 'driver:%'")
    return sorted(name for (name,) in rows)


DurableLedger.add_driver, DurableLedger.drivers = add_driver, drivers


def make_storage(path):
    return SqliteQueue(path), DurableLedger(f"{path}.ledger")


q4.check(make_storage)
"""
    why = """
A restarted hub is a new process with empty memory: only what was on disk before the
crash comes back. The queue is not all the hub must not forget: without its drivers, a
pickup after a restart goes to nobody; without its takers, two drivers deliver one order.
"""

    def verify(self, make_storage):
        self.expect_attempted(make_storage, in_source=True)
        folder = Path(tempfile.mkdtemp())
        path, elsewhere = str(folder / "hub.db"), str(folder / "other-hub.db")
        queue, ledger = self._open(make_storage, path)
        queue.enqueue("driver-1", "pickup", ORDER)
        for driver in ("driver-1", "driver-2"):
            self._call(ledger.add_driver, driver)
        self.expect_attempted(self._call(ledger.drivers))
        self._drivers(ledger, "before the restart")
        self._take(ledger, order_key(ORDER), "driver-1", "driver-1", "before the restart")
        del queue, ledger  # the hub "dies"; a new one starts on the same path
        queue, ledger = self._open(make_storage, path)
        after = [m.payload for m in queue.pending("driver-1", "pickup")]
        if after != [ORDER]:
            raise Incorrect(f"after the restart the queue holds {after!r}: it lived in "
                            "memory. Keep it in a file (notebook 05 §4).")  # fmt: skip
        self._drivers(ledger, "after the restart", survived_before=True)
        self._call(ledger.add_driver, "driver-1")  # driver-1 connects again
        self._drivers(ledger, "after driver-1 connected again", readded=True)
        self._take(ledger, order_key(ORDER), "driver-2", "driver-1", "after the restart")
        self._take(ledger, "acme:99", "driver-2", "driver-2", "after the restart")
        queue, ledger = self._open(make_storage, elsewhere)
        if (there := self._call(ledger.drivers)) or queue.pending("driver-1", "pickup"):
            raise Incorrect(f"make_storage({elsewhere!r}), a new hub on another path, already "
                            f"knows drivers {there!r} or holds orders: keep the files at the "
                            "`path` you are given (and `f'{path}.ledger'`).")  # fmt: skip
        return "the queued order, the drivers and who took what all survived the restart."

    def _drivers(self, ledger, when, survived_before=False, readded=False):
        got = self._call(ledger.drivers)
        if got != ["driver-1", "driver-2"]:
            slip = ("it found none of the drivers just added, so a pickup would reach "
                    "nobody: does drivers() look for them where, and under the key with "
                    "which, add_driver stores them?" if not got else
                    "it should list their names, each once")  # fmt: skip
            if not got and survived_before:
                slip = ("they were there before the restart and are gone after it, so the "
                        "ledger lived in memory: make_storage should return a ledger on a "
                        "file (your DurableLedger), not Ledger()")  # fmt: skip
            names = list(got) if isinstance(got, list | tuple) else []
            if len(names) > len(set(map(str, names))):
                slip = ("a name comes more than once: a driver who took an order has a row "
                        "for that order too, and those rows are not drivers. List only the "
                        "rows that add_driver wrote")  # fmt: skip
            if readded and names and len(names) > len(set(map(str, names))):
                slip = ("driver-1 connected again and now comes twice: a second row went in "
                        "for a key that already had one. Does the table have a PRIMARY KEY, "
                        "so that INSERT OR IGNORE has something to ignore?")  # fmt: skip
            if isinstance(got, list) and any(str(name).startswith("driver:") for name in got):
                slip = ("those are the keys of their rows (driver:<name>): select the "
                        "driver column")  # fmt: skip
            raise Incorrect(f"we added driver-1 and driver-2; {when}, drivers() gave {got!r}, "
                            f"expected ['driver-1', 'driver-2']: {slip}"
                            f"{'' if slip.endswith('?') else '.'}")  # fmt: skip

    def _take(self, ledger, key, driver, expected, when):
        got = self._call(ledger.take, key, driver)
        if got != expected:
            slip = ("the first driver to take an order keeps it: an order delivered twice"
                    if expected != driver else "nobody had taken it, so it is theirs")  # fmt: skip
            raise Incorrect(f"{when}, take({key!r}, {driver!r}) gave {got!r}, expected "
                            f"{expected!r}: {slip}.")  # fmt: skip

    def _open(self, make_storage, path):
        storage = self._call(make_storage, path)
        self.expect_attempted(storage)
        if not (isinstance(storage, tuple) and len(storage) == 2):
            raise Incorrect(f"make_storage(path) should return (queue, ledger), got {storage!r}.")
        for part, methods in (
            (storage[0], ("enqueue", "pending")),
            (storage[1], ("take", "drivers")),
        ):
            if inspect.isclass(part):
                raise Incorrect(f"make_storage(path) returned the class {part.__name__} itself, "
                                "not one made from it: call it (with its file's path) to make "
                                "the object.")  # fmt: skip
            if not all(hasattr(part, m) for m in methods):
                raise Incorrect(f"{part!r} has no {' or '.join(methods)}: return (queue, ledger).")
        return storage

    def _call(self, function, *args):
        try:
            result = function(*args)
        except Exception as error:
            if "_Blank" in str(error) or "____" in str(error):  # a blank still in the class
                raise NotAttempted(UNTOUCHED) from error
            self._explain(function, args, error)
        shown = ", ".join(map(repr, args))
        return expect_value(f"{getattr(function, '__name__', 'it')}({shown})", result)

    def _explain(self, function, args, error):
        if isinstance(error, sqlite3.OperationalError) and "already exists" in str(error):
            raise Incorrect(f"{function.__name__}{args!r} raised {error!r}, when the hub started "
                            "again on the same file: the table was made at the first start, "
                            "and a plain CREATE TABLE fails the second time. A table the "
                            "hub opens at every start is made only if it does not exist "
                            "yet (CREATE TABLE IF NOT EXISTS).") from error  # fmt: skip
        if isinstance(error, NameError):  # most often: an import left out
            raise Incorrect(f"{function.__name__} raised {error!r}. Did you import it? "
                            "`from labsupport.sqlite_queue import SqliteQueue` and "
                            "`from labsupport.caps import Ledger`.") from error  # fmt: skip
        raise Incorrect(f"{function.__name__}{args!r} raised {error!r}.") from error


q1 = Exercise(PickupRouting())
q2 = Exercise(StoreDelivery())
q3 = Exercise(QueuedPickups())
q4 = Exercise(DurableStorage())


def write_checked(path, **stages):
    """``caps_stages.write_stages`` with only the stages that pass their checks; says whose
    each stage is.

    ``stages`` maps ``stage3``/``stage4`` to ``(exercise, answer, *more things to write)``.
    A stage its checker finds wrong or unwritten stays the finished hub's, so the
    programs never run code the checker has already refused. Returns the path or None.
    """
    things = []
    for stage, (exercise, answer, *more) in sorted(stages.items()):
        outcome, _ = verdict(exercise.problem, answer)
        name, label = getattr(answer, "__name__", "____"), exercise.LABELS[outcome]
        if outcome == "correct":
            things += [*more, answer]
            print(f"{stage[:-1]} {stage[-1]}: yours ({name} passed its check)")
        else:
            print(f"{stage[:-1]} {stage[-1]}: the finished hub's (your {name}: {label}; "
                  "yours goes in once its check passes: run this cell again then)")  # fmt: skip
    return write_stages(path, *things) if things else None
