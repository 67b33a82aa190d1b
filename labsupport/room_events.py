"""Room events for python-socketio: create-room, delete-room, join-room, leave-room.

Notebook 04 (section 3) uses them, and exercise q2 there counts rooms from them.

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
``basic_leave_room``, so those are the two this mixin watches.
"""

import socketio

EVENTS = ("create-room", "delete-room", "join-room", "leave-room")


class RoomEventsMixin:
    """Add ``on(event, listener, namespace="/")`` to any python-socketio manager."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.listeners = []  # (event, namespace, listener)
        self.own_rooms = set()  # rooms named after the sid of their one member

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
            self._fire("join-room", namespace, room, sid)

    def basic_leave_room(self, sid, namespace, room):
        was_member = sid in self._members(namespace, room)
        super().basic_leave_room(sid, namespace, room)
        if room is None or not was_member:
            return
        self._fire("leave-room", namespace, room, sid)
        if not self._members(namespace, room):
            self._fire("delete-room", namespace, room)
            self.own_rooms.discard(room)


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
