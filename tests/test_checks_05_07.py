"""The checkers of notebooks 05 and 07: untouched, wrong and right answers, as data.

Each row is (answer, expected verdict, words the message must contain). The wrong
answers are the slips learners make: comparing payloads instead of ids, a forgotten
``await``, a handler without ``namespace="/caps"``, a stage 4 that forgets an import.
"""

import re
import sqlite3
from pathlib import Path

import nbformat
import pytest
from solutions import solution_answer

from labsupport.ackqueue import MemoryQueue
from labsupport.caps import Ledger
from labsupport.exercises import ex05, ex07
from labsupport.exercises.checks import ____, verdict
from labsupport.sqlite_queue import SqliteQueue

NOTEBOOKS = Path(__file__).parent.parent / "notebooks"


def untouched(*args):
    return ____


# --- notebook 05 ---------------------------------------------------------------------

received_right = solution_answer(ex05.q1.problem)


def received_trusting(queue, data):
    queue.ack(data["clientId"], data["event"], data["messageId"])
    return {"ok": True}


def received_acks_everything(queue, data):
    for message in queue.pending("driver", "pickup"):  # deletes before checking
        queue.ack("driver", "pickup", message.message_id)
    return received_right(queue, data)


def dedupe_by_payload(messages):
    return list(dict.fromkeys(m["payload"] for m in messages))


def dedupe_none(messages):
    return [m["payload"] for m in messages]


def dedupe_keeps_last(messages):
    return list({m["messageId"]: m["payload"] for m in messages}.values())


CASES_05 = [
    (ex05.q1, lambda queue, data: ____, "not attempted", "____"),
    (ex05.q1, received_trusting, "incorrect", "crash"),
    (ex05.q1, received_acks_everything, "incorrect", "deleted a message"),
    (ex05.q1, received_right, "correct", "exactly its message"),
    (ex05.q2, untouched, "not attempted", "____"),
    (ex05.q2, dedupe_by_payload, "incorrect", "same payload as m2, but it is a new message"),
    (ex05.q2, dedupe_none, "incorrect", "keep each message id once"),
    (ex05.q2, dedupe_keeps_last, "incorrect", "keep the first copy of m5"),
    (ex05.q2, solution_answer(ex05.q2.problem), "correct", "once"),
    (ex05.q3, ____, "not attempted", "____"),
    (ex05.q3, "a", "incorrect", "only deletes on an acknowledgement"),
    (ex05.q3, "c", "incorrect", "at-most-once"),
    (ex05.q3, "d", "incorrect", "one letter"),
    (ex05.q3, " B ", "correct", "duplicate"),
]


@pytest.mark.parametrize("exercise, answer, outcome, words", CASES_05)
def test_notebook_05_checkers(exercise, answer, outcome, words):
    got, text = verdict(exercise.problem, answer)
    assert (got, words in text) == (outcome, True), text


def test_the_dedupe_message_shows_every_input_whole():
    _, text = verdict(ex05.q2.problem, dedupe_by_payload)
    assert "[m2 'b', m1 'a', m2 'b', m3 'b']" in text


# --- notebook 07 ---------------------------------------------------------------------


def stage1_to_everyone(sio):
    @sio.on("pickup", namespace="/caps")
    async def pickup(sid, order):
        await sio.emit("pickup", order, namespace="/caps")


def stage1_no_namespace(sio):
    @sio.on("connect")
    async def connect(sid, environ, auth):
        if auth["role"] == "driver":
            await sio.enter_room(sid, "drivers")

    @sio.on("pickup")
    async def pickup(sid, order):
        await sio.emit("pickup", order, to="drivers")


def stage1_no_await(sio):
    @sio.on("connect", namespace="/caps")
    async def connect(sid, environ, auth):
        if auth["role"] == "driver":
            await sio.enter_room(sid, "drivers", namespace="/caps")

    @sio.on("pickup", namespace="/caps")
    async def pickup(sid, order):
        sio.emit("pickup", order, to="drivers", namespace="/caps")


def stage2_to_everyone(sio):
    solution_answer(ex07.q2.problem)(sio)

    @sio.on("delivered", namespace="/caps")
    async def delivered(sid, order):
        await sio.emit("delivered", order, namespace="/caps")


async def send_without_queue(hub, order):
    for driver in hub.ledger.drivers():
        await hub.sio.emit("pickup", {"payload": order}, to=driver, namespace="/caps")


async def send_without_await(hub, order):
    for driver in hub.ledger.drivers():
        hub.publish(driver, "pickup", order)


def send_not_async(hub, order):
    for driver in hub.ledger.drivers():
        hub.publish(driver, "pickup", order)


async def send_crashes(hub, order):
    raise KeyError("store")


class BlankLedger(Ledger):  # the starter's stage 4, with its blanks still in
    def __init__(self, path):
        self.db = sqlite3.connect(path)
        self.db.execute(____)


def storage_with_blanks(path):
    return SqliteQueue(path), BlankLedger(f"{path}.ledger")


def storage_without_import(path):
    return SqliteQueueMisspelt(path), Ledger()  # noqa: F821 (the slip under test)


CASES_07 = [
    (ex07.q1, lambda sio: ____, "not attempted", "____"),
    (ex07.q1, stage1_to_everyone, "incorrect", "1-206-flowers got"),
    (ex07.q1, stage1_no_namespace, "incorrect", 'without `namespace="/caps"`'),
    (ex07.q1, stage1_no_await, "incorrect", "`emit(...)` not awaited"),
    (ex07.q1, solution_answer(ex07.q1.problem), "correct", "both drivers"),
    (ex07.q2, stage2_to_everyone, "incorrect", "goes to every connection"),
    (ex07.q2, solution_answer(ex07.q2.problem), "correct", "only 1-206-flowers"),
    (ex07.q3, send_without_queue, "incorrect", "queues before it sends"),
    (ex07.q3, send_without_await, "incorrect", "never awaited"),
    (ex07.q3, send_not_async, "incorrect", "never awaited"),
    (ex07.q3, send_crashes, "incorrect", "raised KeyError"),
    (ex07.q3, solution_answer(ex07.q3.problem), "correct", "finds the order"),
    (ex07.q4, lambda path: ____, "not attempted", "____"),
    (ex07.q4, storage_with_blanks, "not attempted", "____"),
    (ex07.q4, storage_without_import, "incorrect", "Did you import it?"),
    (ex07.q4, lambda path: MemoryQueue(), "incorrect", "(queue, ledger)"),
    (ex07.q4, lambda path: (MemoryQueue(), Ledger()), "incorrect", "lived in memory"),
    (ex07.q4, lambda path: (SqliteQueue(path), Ledger()), "incorrect", "lived in memory"),
    (ex07.q4, solution_answer(ex07.q4.problem), "correct", "survived the restart"),
]


@pytest.mark.parametrize("exercise, answer, outcome, words", CASES_07)
def test_notebook_07_checkers(exercise, answer, outcome, words):
    got, text = verdict(exercise.problem, answer)
    assert (got, words in text) == (outcome, True), text


# --- hints and messages name real sections ---------------------------------------------

SECTION = re.compile(r"(?:[Ss]ection |§)(\d+)")
CROSS = re.compile(r"[Nn]otebook (\d\d) §(\d+)")


def headings(number):
    path = sorted(NOTEBOOKS.glob(f"{number}_*.ipynb"))[0]  # the solved copy, not the starter
    sources = [
        c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "markdown"
    ]
    return {int(m) for s in sources for m in re.findall(r"^## (\d+)\.", s, re.M)}


def texts(problem):
    return [*problem.hints, problem.solution, problem.why]


@pytest.mark.parametrize("module, number", [(ex05, "05"), (ex07, "07")])
def test_every_section_a_hint_names_is_a_heading_of_its_notebook(module, number):
    sections = headings(number)
    for exercise in (getattr(module, f"q{n}") for n in range(1, 5) if hasattr(module, f"q{n}")):
        for text in texts(exercise.problem):
            for named in SECTION.findall(CROSS.sub("", text)):  # this notebook's own
                assert int(named) in sections, (exercise.problem.title, text)
            for other, named in CROSS.findall(text):
                assert int(named) in headings(other), (exercise.problem.title, text)


def test_the_checkers_messages_name_real_sections():
    source = (Path(ex07.__file__).read_text(), Path(ex05.__file__).read_text())
    for text, number in zip(source, ("07", "05"), strict=True):
        for other, named in CROSS.findall(text):
            assert int(named) in headings(other), (number, other, named)


@pytest.mark.parametrize(
    "name", ["05_message_queue", "07_capstone_caps", "07_capstone_caps_starter"]
)
def test_every_numbered_section_ends_with_a_try_it(name):
    cells = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4).cells
    text = "\n".join(c.source for c in cells if c.cell_type == "markdown")
    sections = re.split(r"^## ", text, flags=re.M)[1:]
    numbered = [s for s in sections if re.match(r"\d+\.", s)]
    assert len(numbered) >= 7
    for section in numbered:
        assert "### Try it" in section, section.splitlines()[0]
