"""The checkers of notebooks 03 and 04 give the right verdict, and name the usual slips.

Moved here from ``test_checks.py``: a missing ``await`` (03 q2), an error in the
learner's handler reported without "Task exception was never retrieved" (03 q1), and
04 q2's answers that are a set, ignore ``delete-room`` or count joins as rooms.
"""

import gc
import logging

import pytest
from solutions import solution_answer

from labsupport.exercises import ex03, ex04
from labsupport.exercises.checks import ____, verdict


def untouched(*args):
    return ____


# --- notebook 03 ---------------------------------------------------------------------

average_right = solution_answer(ex03.q1.problem)


async def average_crashes_on_empty(sid, numbers):
    return sum(numbers) / len(numbers)


async def average_untouched(sid, numbers):
    return ____


async def average_integer(sid, numbers):
    return sum(numbers) // len(numbers) if numbers else None


@pytest.mark.parametrize(
    "answer, outcome, words",
    [
        (average_untouched, "not attempted", "____"),
        (average_crashes_on_empty, "incorrect", "empty list"),
        (average_integer, "incorrect", "expected the ack 1.5"),
        (average_right, "correct", "None"),
    ],
)
def test_q1_average(answer, outcome, words):
    got, text = verdict(ex03.q1.problem, answer)
    assert (got, words in text) == (outcome, True), text


def test_q1_a_crashing_handler_leaves_no_unread_task_exception(caplog):
    with caplog.at_level(logging.ERROR):
        got, text = verdict(ex03.q1.problem, average_crashes_on_empty)
        gc.collect()  # an unread task's exception is reported when the task is freed
    assert got == "incorrect" and "ZeroDivisionError" in text, text
    assert not [r for r in caplog.records if "never retrieved" in r.getMessage()]


def register_untouched(server):
    @server.event
    async def shout(sid, text):
        return ____


def register_everyone(server):
    @server.event
    async def shout(sid, text):
        await server.emit("shout", text)


def register_no_await(server):
    @server.event
    async def shout(sid, text):
        server.emit("shout", text, skip_sid=sid)


def register_returns_the_coroutine(server):
    @server.event
    async def shout(sid, text):
        return server.emit("shout", text, skip_sid=sid)


register_right = solution_answer(ex03.q2.problem)


@pytest.mark.parametrize(
    "answer, outcome, words",
    [
        (register_untouched, "not attempted", "____"),
        (register_everyone, "incorrect", "should not hear herself"),
        (register_no_await, "incorrect", "missing await"),
        (register_returns_the_coroutine, "incorrect", "missing await"),
        (register_right, "correct", "did not"),
    ],
)
@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
def test_q2_shout(answer, outcome, words):
    got, text = verdict(ex03.q2.problem, answer)
    assert (got, words in text) == (outcome, True), text


@pytest.mark.parametrize(
    "answer, outcome",
    [(____, "not attempted"), ({"alice", "bob", "carol"}, "incorrect"),
     ({"alice", "carol"}, "incorrect"), ("alice", "incorrect"),
     ({"server", "alice", "carol"}, "correct"), (["carol", "alice", "server"], "correct")],
)  # fmt: skip
def test_q3_who_hears(answer, outcome):
    assert verdict(ex03.q3.problem, answer)[0] == outcome


# --- notebook 04 ---------------------------------------------------------------------


def stores_untouched(sio):
    @sio.event
    async def connect(sid, environ, auth):
        return ____

    @sio.event
    async def delivered(sid, order):
        return ____


def stores_to_everyone(sio):
    @sio.event
    async def connect(sid, environ, auth):
        if auth and auth.get("store"):
            await sio.enter_room(sid, auth["store"])

    @sio.event
    async def delivered(sid, order):
        await sio.emit("delivered", order)


def stores_refuse_drivers(sio):
    @sio.event
    async def connect(sid, environ, auth):
        await sio.enter_room(sid, auth["store"])  # a driver has no auth: TypeError refuses

    @sio.event
    async def delivered(sid, order):
        await sio.emit("delivered", order, to=order["store"])


stores_right = solution_answer(ex04.q1.problem)


@pytest.mark.parametrize(
    "answer, outcome, words",
    [
        (stores_untouched, "not attempted", "____"),
        (stores_to_everyone, "incorrect", "expected"),
        (stores_refuse_drivers, "incorrect", "could not connect"),
        (stores_right, "correct", "its own orders, and only those"),
    ],
)
def test_q1_store_rooms(answer, outcome, words):
    got, text = verdict(ex04.q1.problem, answer)
    assert (got, words in text) == (outcome, True), text


count_right = solution_answer(ex04.q2.problem)


def count_joins(events):
    rooms = {e[1] for e in events if e[0] == "join-room"}
    return len(rooms), len(rooms)


def count_ignoring_delete(events):
    created = sum(1 for e in events if e[0] == "create-room")
    return created, created


def rooms_as_a_set(events):
    rooms = set()
    for event, room, *_ in events:
        if event == "create-room":
            rooms.add(room)
        elif event == "delete-room":
            rooms.discard(room)
    return rooms


@pytest.mark.parametrize(
    "answer, outcome, words",
    [(untouched, "not attempted", "____"),
     (count_joins, "incorrect", "Do you count joins as rooms?"),
     (count_ignoring_delete, "incorrect", "delete-room take its room away"),
     (rooms_as_a_set, "incorrect", "two numbers, (now, peak)"),
     (count_right, "correct", "create-room to delete-room"),
     (lambda events: list(count_right(events)), "correct", "")],
)  # fmt: skip
def test_q2_count_rooms(answer, outcome, words):
    got, text = verdict(ex04.q2.problem, answer)
    assert (got, words in text) == (outcome, True), text
