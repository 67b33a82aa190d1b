"""Every exercise checker gives the right verdict for untouched, wrong and right answers."""

import pytest
import socketio
from solutions import solution_answer

from labsupport.checks import Exercise, Incorrect, Problem, ____, verdict
from labsupport.exercises import ex00

shout_right = solution_answer(ex00.q1.problem)


async def shout_unchanged(sid, text):
    return text


async def shout_untouched(sid, text):
    return ____


def shout_not_async(sid, text):
    return text.upper()


async def shout_crashes(sid, text):
    raise ValueError("oops")


@pytest.mark.parametrize(
    "answer, outcome, words",
    [
        (____, "not attempted", "Replace the ____"),
        (shout_untouched, "not attempted", "Replace the ____"),
        (shout_not_async, "incorrect", "async def"),
        (shout_unchanged, "incorrect", "unchanged"),
        (shout_crashes, "incorrect", "ValueError"),
        (shout_right, "correct", "'READY? GO!'"),
    ],
)
def test_q1_shout(answer, outcome, words):
    got, text = verdict(ex00.q1.problem, answer)
    assert (got, words in text) == (outcome, True), text


@pytest.mark.parametrize(
    "answer, outcome",
    [(____, "not attempted"), ("3", "incorrect"), (4, "incorrect"), (3, "correct")],
)
def test_q2_count(answer, outcome):
    assert verdict(ex00.q2.problem, answer)[0] == outcome


class Even(Problem):
    title = "even"
    hints = ("first", "second")
    solution = "q.check(2)"
    why = "Two is even."

    def verify(self, answer):
        self.expect_attempted(answer)
        if answer % 2:
            raise Incorrect(f"{answer} is odd")
        return "yes"


def test_exercise_view_messages(capsys):
    q = Exercise(Even())
    q.check(3)
    q.check(____)
    q.check(4)
    q.hint()
    q.hint()
    q.hint()
    q.solution()
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "Not quite (even). 3 is odd",
        "Stuck? Call .hint() for a hint.",
        "Not attempted yet (even). Replace the ____ in the starter cell with your answer,"
        " then run it",
        "Correct (even). yes",
        "Hint 1 of 2: first (call .hint() again for more)",
        "Hint 2 of 2: second",
        "That was the last of 2 hints: .solution() shows a worked answer.",
        "Solution (even):",
        "q.check(2)",
        "",
        "Two is even.",
    ]


# notebook 01's checkers are tested in tests/test_checks_01.py, 02's in test_checks_02.py


def untouched(*args):
    return ____


# Notebooks 03 and 04: tests/test_checks_03_04.py


# --- notebook 05 ---------------------------------------------------------------------

from labsupport.exercises import ex05  # noqa: E402

received_right = solution_answer(ex05.q1.problem)


def received_trusting(queue, data):
    queue.ack(data["clientId"], data["event"], data["messageId"])
    return {"ok": True}


def received_acks_everything(queue, data):
    for message in queue.pending("driver", "pickup"):  # deletes before checking
        queue.ack("driver", "pickup", message.message_id)
    return received_right(queue, data)


@pytest.mark.parametrize(
    "answer, outcome, words",
    [
        (lambda queue, data: ____, "not attempted", "____"),
        (received_trusting, "incorrect", "crash"),
        (received_acks_everything, "incorrect", "deleted a message"),
        (received_right, "correct", "exactly its message"),
    ],
)
def test_q1_handle_received(answer, outcome, words):
    got, text = verdict(ex05.q1.problem, answer)
    assert (got, words in text) == (outcome, True), text


dedupe_right = solution_answer(ex05.q2.problem)


def dedupe_by_payload(messages):
    return list(dict.fromkeys(m["payload"] for m in messages))


@pytest.mark.parametrize(
    "answer, outcome, words",
    [(untouched, "not attempted", "____"), (dedupe_by_payload, "incorrect", "ids, not payloads"),
     (dedupe_right, "correct", "once")],
)  # fmt: skip
def test_q2_dedupe(answer, outcome, words):
    got, text = verdict(ex05.q2.problem, answer)
    assert (got, words in text) == (outcome, True), text


@pytest.mark.parametrize(
    "answer, outcome",
    [(____, "not attempted"), ("a", "incorrect"), ("c", "incorrect"), ("d", "incorrect"),
     ("b", "correct"), (" B ", "correct")],
)  # fmt: skip
def test_q3_lost_ack(answer, outcome):
    assert verdict(ex05.q3.problem, answer)[0] == outcome


from labsupport.exercises import ex06  # noqa: E402

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


@pytest.mark.parametrize(
    "answer, outcome, words",
    [(lambda redis_url: ____, "not attempted", "____"),
     (shared_in_memory, "incorrect", "never listened on Redis"),
     (shared_to_everyone, "incorrect", "'acme' got"),
     (shared_right, "correct", "server B")],
)  # fmt: skip
def test_ex06_q1_shared_rooms(answer, outcome, words):
    got, text = verdict(ex06.q1.problem, answer)
    assert (got, words in text) == (outcome, True), text


recover_right = solution_answer(ex06.q2.problem)


def recover_without_claiming(db, stream, group, me):
    return [info["message_id"] for info in db.xpending_range(stream, group, "-", "+", 10)]


def recover_everything(db, stream, group, me):
    recover_right(db, stream, group, me)
    return [entry_id for entry_id, _ in db.xrange(stream)]


@pytest.mark.parametrize(
    "answer, outcome, words",
    [(lambda db, stream, group, me: ____, "not attempted", "____"),
     (recover_without_claiming, "incorrect", "belong to {'dead': 2}"),
     (recover_everything, "incorrect", "two unacknowledged ids"),
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


from labsupport.ackqueue import MemoryQueue  # noqa: E402
from labsupport.exercises import ex07  # noqa: E402

stage1_right = solution_answer(ex07.q1.problem)
stage2_right = solution_answer(ex07.q2.problem)


def stage1_to_everyone(sio):
    @sio.on("pickup", namespace="/caps")
    async def pickup(sid, order):
        await sio.emit("pickup", order, namespace="/caps")


def stage2_to_everyone(sio):
    stage2_right(sio)

    @sio.on("delivered", namespace="/caps")
    async def delivered(sid, order):
        await sio.emit("delivered", order, namespace="/caps")


async def send_without_queue(hub, order):
    for driver in hub.ledger.drivers():
        await hub.sio.emit("pickup", {"payload": order}, to=driver, namespace="/caps")


@pytest.mark.parametrize(
    "problem, answer, outcome, words",
    [(ex07.q1, lambda sio: ____, "not attempted", "____"),
     (ex07.q1, stage1_to_everyone, "incorrect", "1-206-flowers got"),
     (ex07.q1, stage1_right, "correct", "both drivers"),
     (ex07.q2, stage2_to_everyone, "incorrect", "acme got"),
     (ex07.q2, stage2_right, "correct", "only 1-206-flowers"),
     (ex07.q3, send_without_queue, "incorrect", "nothing was queued"),
     (ex07.q3, solution_answer(ex07.q3.problem), "correct", "finds the order"),
     (ex07.q4, lambda path: MemoryQueue(), "incorrect", "lived in memory"),
     (ex07.q4, solution_answer(ex07.q4.problem), "correct", "still there")],
)  # fmt: skip
def test_ex07_stages(problem, answer, outcome, words):
    got, text = verdict(problem.problem, answer)
    assert (got, words in text) == (outcome, True), text


from labsupport.exercises import ex08  # noqa: E402

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
