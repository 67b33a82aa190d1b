"""Room events for python-socketio: create-room, delete-room, join-room, leave-room.

Notebook 04 (section 3) uses them, runs Node's own adapter through the same steps
(``start_node``, ``watch_node``), and exercise q2 there counts rooms from them.

socket.io for Node (3.1 and later) has its *adapter*, the part that keeps track of
rooms, announce changes to them::

    io.of("/").adapter.on("create-room", (room) => ...)
    io.of("/").adapter.on("join-room", (room, id) => ...)

python-socketio calls the adapter a *manager*, and its managers announce nothing.
This module adds the same four events, with the same meaning:

- ``create-room`` (room): the first member joined, so the room now exists;
- ``join-room`` (room, sid): a member joined (joining a room twice is one join);
- ``leave-room`` (room, sid): a member left, including every room it was in when it
  disconnects;
- ``delete-room`` (room): the last member left, so the room is gone.

Every connection is also in a room named after its own sid, so connecting fires
``create-room`` and ``join-room`` for that room too, just as in Node. (One difference:
python-socketio puts a connection in its sid room *before* the ``connect`` handler
runs, so a refused connection creates and deletes its room; Node does it after.)

Everything goes through two methods of the manager, ``basic_enter_room`` and
``basic_leave_room``, so those are the two this mixin watches. A third,
``basic_disconnect``, leaves a connection's rooms in the order it joined them (its own
room first), as Node's adapter does; python-socketio's own order is the order the rooms
were created.
"""

import json

import socketio

from labsupport.lab import jsclient, processes

EVENTS = ("create-room", "delete-room", "join-room", "leave-room")


class RoomEventsMixin:
    """Add ``on(event, listener, namespace="/")`` to any python-socketio manager."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.listeners = []  # (event, namespace, listener)
        self.own_rooms = set()  # rooms named after the sid of their one member
        self.joined = {}  # (namespace, sid) -> {room: None}, in the order they were joined

    def on(self, event, listener, namespace="/"):
        """Call ``listener(room)`` or ``listener(room, sid)`` on ``event`` in ``namespace``."""
        if event not in EVENTS:
            raise ValueError(f"unknown room event {event!r}; the events are {EVENTS}")
        self.listeners.append((event, namespace, listener))

    def _fire(self, event, namespace, *args):
        for wanted, where, listener in self.listeners:
            if wanted == event and where == namespace:
                listener(*args)

    def _members(self, namespace, room):
        return self.rooms.get(namespace, {}).get(room, {})

    def basic_enter_room(self, sid, namespace, room, eio_sid=None):
        existed = bool(self._members(namespace, room))
        was_member = sid in self._members(namespace, room)
        super().basic_enter_room(sid, namespace, room, eio_sid=eio_sid)
        if room is None:  # python-socketio's internal list of all connections
            return
        if room == sid:
            self.own_rooms.add(room)
        if not existed:
            self._fire("create-room", namespace, room)
        if not was_member:
            self.joined.setdefault((namespace, sid), {})[room] = None
            self._fire("join-room", namespace, room, sid)

    def basic_leave_room(self, sid, namespace, room):
        was_member = sid in self._members(namespace, room)
        super().basic_leave_room(sid, namespace, room)
        if room is None or not was_member:
            return
        self.joined.get((namespace, sid), {}).pop(room, None)
        self._fire("leave-room", namespace, room, sid)
        if not self._members(namespace, room):
            self._fire("delete-room", namespace, room)
            self.own_rooms.discard(room)

    def basic_disconnect(self, sid, namespace, **kwargs):
        for room in list(self.joined.pop((namespace, sid), {})):  # without it: creation order
            self.basic_leave_room(sid, namespace, room)
        super().basic_disconnect(sid, namespace, **kwargs)


class RoomEventsManager(RoomEventsMixin, socketio.AsyncManager):
    """python-socketio's in-memory manager, announcing room events.

    ``sio = socketio.AsyncServer(client_manager=RoomEventsManager())``
    """


def watch(manager, trace, namespace="/"):
    """Record the four room events of ``namespace`` into ``trace``, actor ``"adapter"``.

    A connection's own room is named by its random sid; the trace shows it as
    ``"own room of c1"``, with the connection's short label.
    """

    def shown(room):
        return f"own room of {trace.label(room)}" if room in manager.own_rooms else room

    def recorder(event):
        def record(room, sid=None):
            trace.record("adapter", event, shown(room), conn=sid)

        return record

    for event in EVENTS:
        manager.on(event, recorder(event), namespace)


def start_node(name="node-rooms"):
    """socket.io's own server for Node, with the rooms server's ``join`` and ``leave``, its
    adapter's room events printed one line each (``js/room_events_server.mjs``): the
    reference the events above are held to. A process: ``.stop()`` ends it."""
    script = jsclient.SCRIPTS / "room_events_server.mjs"
    return processes.start_process(name, [jsclient.node(), str(script)])


def watch_node(server, trace):
    """Record the room events Node's adapter has printed so far into ``trace``, as ``watch``
    records python-socketio's: actor ``"adapter"``, own rooms shown by their label."""
    events = [json.loads(line) for line in server.output if line.startswith('{"event"')]
    own = {e["room"] for e in events if e["event"] == "join-room" and e["room"] == e["id"]}
    for e in events:
        room = f"own room of {trace.label(e['room'])}" if e["room"] in own else e["room"]
        trace.record("adapter", e["event"], room, conn=e.get("id"))
    return len(events)


def membership(records):
    """From room-event records (``watch``), each room's member count after every event.

    Returns ``{room: [(seq, members), ...]}``, ready to draw as steps over time.
    """
    counts, timeline = {}, {}
    for r in records:
        change = {"join-room": 1, "leave-room": -1}.get(r.event)
        if change is None:
            continue
        counts[r.payload] = counts.get(r.payload, 0) + change
        timeline.setdefault(r.payload, []).append((r.seq, counts[r.payload]))
    return timeline
