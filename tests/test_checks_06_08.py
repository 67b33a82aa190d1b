"""Notebooks 06 and 08's exercise checkers: untouched, wrong and right answers each get
the verdict they should, and a wrong answer gets a diagnosis, not the answer."""

import asyncio

import pytest
import socketio
from solutions import solution_answer

from labsupport.exercises import ex06, ex08
from labsupport.exercises.checks import ____, verdict

shared_right = solution_answer(ex06.q1.problem)


def shared_in_memory(redis_url):
    sio = shared_right(redis_url)
    sio.manager = socketio.AsyncManager()  # what a server has by default
    sio.manager.set_server(sio)
    return sio


def shared_to_everyone(redis_url):
    sio = shared_right(redis_url)

    @sio.event
    async def delivered(sid, order):
        await sio.emit("delivered", order)

    return sio


def first_order_late(to_everyone):
    """An answer whose first order waits before its emit, so the second one arrives first:
    a server runs each event's handler as its own task, and either may finish first."""

    def make_server(redis_url):
        sio = shared_right(redis_url)

        @sio.event
        async def delivered(sid, order):
            if order == ex06.q1.problem.orders[0]:
                await asyncio.sleep(0.2)
            await sio.emit("delivered", order, to=None if to_everyone else order["store"])

        return sio

    return make_server


@pytest.mark.parametrize(
    "answer, outcome, words",
    [(first_order_late(False), "correct", "server B"),
     (first_order_late(True), "incorrect", "goes to every connection")],
)  # fmt: skip
def test_ex06_q1_judges_what_arrived_not_when(answer, outcome, words):
    got, text = verdict(ex06.q1.problem, answer)
    assert (got, words in text) == (outcome, True), text


@pytest.mark.parametrize(
    "answer, outcome, words",
    [(lambda redis_url: ____, "not attempted", "____"),
     (shared_in_memory, "incorrect", "never listened on Redis"),
     (shared_to_everyone, "incorrect", "goes to every connection"),
     (shared_right, "correct", "server B")],
)  # fmt: skip
def test_ex06_q1_shared_rooms(answer, outcome, words):
    got, text = verdict(ex06.q1.problem, answer)
    assert (got, words in text) == (outcome, True), text


def test_ex06_q1_diagnosis_does_not_give_the_code_away():
    got, text = verdict(ex06.q1.problem, shared_in_memory)
    assert got == "incorrect" and "AsyncRedisManager" not in text and "Section 2" in text, text


recover_right = solution_answer(ex06.q2.problem)


def recover_without_claiming(db, stream, group, me):
    return [info["message_id"] for info in db.xpending_range(stream, group, "-", "+", 10)]


def recover_not_idle_long_enough(db, stream, group, me):
    _, entries, _ = db.xautoclaim(stream, group, me, min_idle_time=30000)  # "30 s", as in prod
    return [entry_id for entry_id, _ in entries]


def recover_everything(db, stream, group, me):
    recover_right(db, stream, group, me)
    return [entry_id for entry_id, _ in db.xrange(stream)]


@pytest.mark.parametrize(
    "answer, outcome, words",
    [(lambda db, stream, group, me: ____, "not attempted", "____"),
     (recover_without_claiming, "incorrect", "belong to {'dead': 2}"),
     (recover_everything, "incorrect", "expected the unacknowledged ids"),
     (recover_not_idle_long_enough, "incorrect", "min_idle_time milliseconds"),
     (recover_right, "correct", "now belong to 'alive'")],
)  # fmt: skip
def test_ex06_q2_reclaim(answer, outcome, words):
    got, text = verdict(ex06.q2.problem, answer)
    assert (got, words in text) == (outcome, True), text


@pytest.mark.parametrize(
    "answer, outcome",
    [(____, "not attempted"), ("a", "incorrect"), ("c", "incorrect"), ("b", "correct")],
)
def test_ex06_q3_members(answer, outcome):
    assert verdict(ex06.q3.problem, answer)[0] == outcome


ratio_right = solution_answer(ex08.q1.problem)


@pytest.mark.parametrize(
    "answer, outcome, words",
    [(lambda figures, system, key: ____, "not attempted", "____"),
     (lambda figures, system, key: 1 / ratio_right(figures, system, key), "incorrect",
      "upside down"),
     (ratio_right, "correct", "same run")],
)  # fmt: skip
def test_ex08_q1_ratio(answer, outcome, words):
    got, text = verdict(ex08.q1.problem, answer)
    assert (got, words in text) == (outcome, True), text


@pytest.mark.parametrize(
    "answer, outcome",
    [(____, "not attempted"), ("a", "incorrect"), ("c", "incorrect"), ("b", "correct")],
)
def test_ex08_q2_bottleneck(answer, outcome):
    assert verdict(ex08.q2.problem, answer)[0] == outcome


@pytest.mark.parametrize(
    "module, notebook",
    [(ex06, "06_scaling_with_redis.ipynb"), (ex08, "08_measuring.ipynb")],
)
def test_every_section_a_hint_or_message_names_is_a_heading_of_its_notebook(module, notebook):
    import inspect
    import re
    from pathlib import Path

    import nbformat

    path = Path(__file__).resolve().parent.parent / "notebooks" / notebook
    cells = nbformat.read(path, as_version=4).cells
    headings = {int(m) for c in cells if c.cell_type == "markdown"
                for m in re.findall(r"^## (\d+)\. ", c.source, re.MULTILINE)}  # fmt: skip
    named = {int(n) for n in re.findall(r"[Ss]ection (\d+)", inspect.getsource(module))}
    assert named and named <= headings, (named, headings)
