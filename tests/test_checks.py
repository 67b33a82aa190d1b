"""Every exercise checker gives the right verdict for untouched, wrong and right answers."""

import pytest
from solutions import solution_answer

from labsupport.exercises import ex00
from labsupport.exercises.checks import Exercise, Incorrect, Problem, ____, verdict

shout_right = solution_answer(ex00.q1.problem)


async def shout_unchanged(sid, text):
    return text


async def shout_untouched(sid, text):
    return ____


def shout_not_async(sid, text):  # socket.io's AsyncServer calls a plain def too
    return text.upper()


async def shout_crashes(sid, text):
    raise ValueError("oops")


@pytest.mark.parametrize(
    "answer, outcome, words",
    [
        (____, "not attempted", "Replace the ____"),
        (shout_untouched, "not attempted", "Replace the ____"),
        (shout_not_async, "correct", "'KEEP IT DOWN'"),
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


# The other notebooks' checkers are tested beside this file: test_checks_01.py,
# test_checks_02.py, test_checks_03_04.py, test_checks_05_07.py and test_checks_06_08.py.


def test_a_check_that_hangs_ends_in_a_verdict_naming_the_line():
    """The time limit (checks.TIME_LIMIT) ends a check whose answer never returns."""
    from labsupport.exercises import ex08
    from labsupport.exercises.checks import judge

    def ratio(figures, system, key):
        while True:  # a loop that never ends
            pass

    judged = judge(ex08.q1.problem, ratio, limit=1)
    assert judged.outcome == "incorrect" and judged.trouble == "time limit"
    assert "did not finish within 1 s" in judged.text
    assert "at line" in judged.text and "while True" in judged.text, judged.text


def test_an_ack_that_is_a_bound_method_is_named_at_once():
    from labsupport.exercises.checks import verdict

    async def shout(sid, text):
        return text.upper

    outcome, text = verdict(ex00.q1.problem, shout)
    assert outcome == "incorrect" and "did you forget the ()?" in text, text


def test_no_module_of_the_course_is_called_the_learners_code():
    """A verdict says "at line N of your code" only for the learner's cells: every module
    of labsupport, in every layer, is the course's own."""
    from pathlib import Path

    import labsupport
    from labsupport.exercises import checks

    modules = list(Path(labsupport.__file__).parent.rglob("*.py"))
    assert len(modules) > 60
    assert [path.name for path in modules if checks._yours(str(path.resolve()))] == []
