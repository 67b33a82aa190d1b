"""The checker of notebook 06b: untouched, wrong and right answers, as data.

Each row is (answer, expected verdict, words the message must contain). The wrong
answers are the slips a learner makes with the heartbeat's two settings: the interval
taken for the earliest, the timeout counted twice, the pair swapped, a fixed answer, the
shorter setting for the earliest, milliseconds, a function that raises. A list of the two
numbers is taken like a tuple: the question asks for two numbers, and both unpack alike.
A right answer is also checked against a real client frozen with SIGSTOP.
"""

import pytest
from solutions import solution_answer

from labsupport.exercises import ex06b
from labsupport.exercises.checks import ____, verdict

right = solution_answer(ex06b.q1.problem)

CASES = [
    (lambda i, t: ____, "not attempted", "Replace the ____"),
    (lambda i, t: (____, ____), "not attempted", "Replace the ____"),
    (right, "correct", "real client frozen"),
    (lambda i, t: [t, i + t], "correct", "within them"),
    (lambda i, t: (i, i + t), "incorrect", "earliest is too late"),
    (lambda i, t: (t, i + 2 * t), "incorrect", "latest is wrong"),
    (lambda i, t: (t, i), "incorrect", "latest is wrong"),
    (lambda i, t: (i + t, t), "incorrect", "earliest comes first"),
    (lambda i, t: (1, 3), "incorrect", "earliest is wrong"),
    (lambda i, t: (0, i + t), "incorrect", "earliest is wrong"),
    (lambda i, t: i + t, "incorrect", "two numbers"),
    (lambda i, t: ("1", "3"), "incorrect", "two numbers"),
    (lambda i, t: (True, 3), "incorrect", "two numbers"),
    # the mutation run's finds: right on the first two settings, and a raise
    (lambda i, t: (min(i, t), i + t), "incorrect", "earliest is too early"),
    (lambda i, t: (1000 * t, 1000 * (i + t)), "incorrect", "milliseconds"),
    (lambda i, t: (t, i + timeout), "incorrect", "raised NameError"),  # noqa: F821
]


@pytest.mark.parametrize("answer, outcome, words", CASES)
def test_ex06b_q1(answer, outcome, words):
    got, text = verdict(ex06b.q1.problem, answer)
    assert (got, words in text) == (outcome, True), text
    if outcome == "incorrect":
        assert "ping_interval + ping_timeout" not in text  # a diagnosis, not the answer
