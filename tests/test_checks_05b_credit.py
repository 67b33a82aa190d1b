"""The checker of notebook 05b's q3 (credit for a memory budget): untouched, wrong and
right answers, as data. Each row is (answer, expected verdict, words the message must
contain); the wrong answers are the slips learners make: ``/`` instead of ``//``,
rounding up, returning bytes, an off-by-one, a credit of 0."""

import math

import pytest
from solutions import solution_answer

from labsupport.exercises import ex05b_credit
from labsupport.exercises.checks import ____, verdict


def untouched(target_bytes, job_bytes):
    return ____


def raises(target_bytes, job_bytes):
    return target_bytes // job_bytes["size"]


CASES = [
    (____, "not attempted", "____"),
    (untouched, "not attempted", "____"),
    (lambda target, job: target / job, "incorrect", "return an int"),
    (lambda target, job: 0, "incorrect", "never send a single job"),
    (raises, "incorrect", "raised TypeError"),
    (lambda target, job: math.ceil(target / job) + 1, "incorrect", "over the target"),
    (lambda target, job: math.ceil(target / job), "incorrect", "Round down, not up"),
    (lambda target, job: target, "incorrect", "counts messages"),
    (lambda target, job: target // job - 1, "incorrect", "would fit too"),
    (lambda target, job: 1, "incorrect", "would fit too"),
    (solution_answer(ex05b_credit.q3.problem), "correct", "N = 25, measured 500,000 bytes"),
]


@pytest.mark.parametrize("answer, outcome, words", CASES)
def test_q3_credit_for_a_memory_budget(answer, outcome, words):
    got, text = verdict(ex05b_credit.q3.problem, answer)
    assert (got, words in text) == (outcome, True), text


def test_a_wrong_answer_reports_what_the_hub_measured():
    _, text = verdict(ex05b_credit.q3.problem, lambda target, job: target // job + 1)
    assert "with N = 26 the hub held at most 26 jobs, 520,000 bytes, in flight" in text
