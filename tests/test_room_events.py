"""labsupport.room_events: each event's timing and arguments, as socket.io's Node adapter does.

The last test runs the same steps on socket.io's own server for Node
(``js/room_events_server.mjs``) and requires the two logs to be equal, line for line.
"""

import pytest
import socketio

from labsupport import room_events
from labsupport.lab import clients, servers
from labsupport.lab.trace import Trace
from labsupport.room_events import RoomEventsManager, membership, watch


class Recorder:
    """Collects (event, room, sid) in order, straight from the manager's listeners."""

    def __init__(self, manager, namespace="/"):
        self.events = []
        for event in ("create-room", "delete-room"):
            manager.on(event, lambda room, e=event: self.events.append((e, room)), namespace)
        for event in ("join-room", "leave-room"):
            manager.on(event, lambda room, sid, e=event: self.events.append((e, room, sid)),
                       namespace)  # fmt: skip


@pytest.fixture
def setup():
    manager = RoomEventsManager()
    sio = socketio.AsyncServer(async_mode="aiohttp", client_manager=manager)
    trace = Trace()

    @sio.event
    async def join(sid, room):
        await sio.enter_room(sid, room)

    @sio.event
    async def leave(sid, room):
        await sio.leave_room(sid, room)

    @sio.event
    async def disconnect(sid, reason):
        trace.record("server", "disconnect", conn=sid)

    server = servers.serve_socketio(sio, name="room-events")
    yield sio, server, Recorder(manager), trace
    servers.stop_all()


def test_connect_creates_and_joins_the_own_sid_room(setup):
    sio, server, recorder, _ = setup
    alice = clients.connect("alice", server.url)
    assert recorder.events == [("create-room", alice.sid), ("join-room", alice.sid, alice.sid)]


def test_joining_twice_is_one_join_and_the_second_member_does_not_create(setup):
    sio, server, recorder, _ = setup
    alice = clients.connect("alice", server.url)
    bob = clients.connect("bob", server.url)
    recorder.events.clear()
    alice.call("join", "r")
    alice.call("join", "r")
    bob.call("join", "r")
    assert recorder.events == [("create-room", "r"), ("join-room", "r", alice.sid),
                               ("join-room", "r", bob.sid)]  # fmt: skip


def test_leaving_deletes_only_when_the_last_member_leaves(setup):
    sio, server, recorder, _ = setup
    alice, bob = clients.connect("alice", server.url), clients.connect("bob", server.url)
    alice.call("join", "r")
    bob.call("join", "r")
    recorder.events.clear()
    alice.call("leave", "r")
    alice.call("leave", "r")  # not a member any more: nothing happens
    assert recorder.events == [("leave-room", "r", alice.sid)]
    bob.call("leave", "r")
    assert recorder.events[1:] == [("leave-room", "r", bob.sid), ("delete-room", "r")]


def test_disconnect_leaves_every_room_then_deletes_the_empty_ones(setup):
    sio, server, recorder, trace = setup
    alice, bob = clients.connect("alice", server.url), clients.connect("bob", server.url)
    alice.call("join", "shared")
    bob.call("join", "shared")
    alice.call("join", "mine")
    recorder.events.clear()
    sid = alice.sid
    alice.stop()
    trace.wait_for("disconnect")
    assert sorted(recorder.events, key=str) == sorted(
        [("leave-room", "shared", sid), ("leave-room", "mine", sid), ("delete-room", "mine"),
         ("leave-room", sid, sid), ("delete-room", sid)], key=str,
    )  # fmt: skip
    # each delete-room comes right after the last leave of that room
    for index, event in enumerate(recorder.events):
        if event[0] == "delete-room":
            assert recorder.events[index - 1] == ("leave-room", event[1], sid)


def test_close_room_is_a_leave_per_member_then_a_delete(setup):
    sio, server, recorder, _ = setup
    alice, bob = clients.connect("alice", server.url), clients.connect("bob", server.url)
    alice.call("join", "r")
    bob.call("join", "r")
    recorder.events.clear()
    server.run(sio.close_room("r"))
    assert sorted(recorder.events[:2]) == sorted([("leave-room", "r", alice.sid),
                                                  ("leave-room", "r", bob.sid)])  # fmt: skip
    assert recorder.events[2:] == [("delete-room", "r")]


def test_other_namespaces_do_not_reach_a_listener_for_slash(setup):
    sio, server, recorder, _ = setup
    sio.on("connect", lambda sid, environ: None, namespace="/other")
    client = clients.TracedClient("other")
    client.connect(server.url, namespaces=["/other"])
    assert recorder.events == []


def test_unknown_event_names_are_refused():
    with pytest.raises(ValueError, match="unknown room event"):
        RoomEventsManager().on("room-created", print)


def test_watch_labels_own_rooms_and_membership_counts(setup):
    sio, server, _, _ = setup
    trace = Trace()
    watch(sio.manager, trace)
    alice = clients.connect("alice", server.url)
    alice.call("join", "r")
    payloads = [r.payload for r in trace.records()]
    assert payloads == ["own room of c1", "own room of c1", "r", "r"]
    assert membership(trace.records()) == {"own room of c1": [(2, 1)], "r": [(4, 1)]}


def through_the_steps(url, seen):
    """Notebook 04's steps and more; ``seen(n)`` waits until ``n`` rooms were deleted.

    bob connects after r exists, so the order he joined his rooms (his own first) is not
    the order they were created (r first): a disconnect leaves them in the order joined.
    """
    alice = clients.connect("alice", url)
    alice.call("join", "r")
    alice.call("join", "r")  # already in it: nothing
    bob = clients.connect("bob", url)
    for client, event, room in [(bob, "join", "r"), (alice, "join", "mine"),
                                (alice, "leave", "r"), (alice, "leave", "r"),
                                (bob, "join", "mine"), (bob, "leave", "never joined")]:  # fmt: skip
        client.call(event, room)
    bob.stop()  # leaves his own room (deleted), r (deleted) and mine (alice stays)
    seen(2)
    alice.stop()  # leaves her own room and mine: both deleted
    seen(4)


def test_node_adapter_announces_the_same_events_in_the_same_order(setup):
    sio, server, _, _ = setup
    python_log, node_log = Trace(), Trace()
    watch(sio.manager, python_log)
    through_the_steps(server.url, lambda n: python_log.wait_for("delete-room", count=n))
    node = room_events.start_node("test-node-rooms")
    through_the_steps(node.url, lambda n: node.wait_for_line('"delete-room"', count=n))
    assert room_events.watch_node(node, node_log) == len(python_log.records()) == 20

    def lines(log):  # fmt: skip
        return [(r.event, r.payload, r.conn) for r in log.records()]

    assert lines(node_log) == lines(python_log)
