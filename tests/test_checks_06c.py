"""Notebook 06c's exercise checkers: untouched, wrong and right answers each get the verdict
they should; q1's are judged on a real broker, and a wrong answer gets a diagnosis."""

import pytest
from solutions import solution_answer

from labsupport.exercises import ex06c
from labsupport.exercises.checks import ____, verdict
from labsupport.lab import rabbit_broker, registry

pytestmark = pytest.mark.skipif(rabbit_broker.program() is None, reason=rabbit_broker.HINT)


@pytest.fixture(scope="module", autouse=True)
def broker():
    """One broker for the module: q1's checker uses the kernel's newest running broker."""
    started = rabbit_broker.start("test-q1-rabbitmq")
    registry.forget(started.name, started)
    yield started
    started.stop()


prefetch_right = solution_answer(ex06c.q1.problem)


@pytest.mark.parametrize(
    "answer, outcome, words",
    [(lambda budget, size: ____, "not attempted", "____"),
     (lambda budget, size: budget / size, "incorrect", "return an int"),
     (lambda budget, size: -(-budget // size), "incorrect", "Round down, not up"),
     (lambda budget, size: budget // size - 1, "incorrect", "would fit too"),
     (lambda budget, size: 0, "incorrect", "no limit at all"),
     (lambda budget, size: budget, "incorrect", "over the budget"),
     (lambda budget, size: budget * size, "incorrect", "multiply where you meant to divide"),
     (lambda budget, size: round(budget / size), "incorrect", "Round down, not up"),
     (prefetch_right, "correct", "measured")],
)  # fmt: skip
def test_ex06c_q1_prefetch_for_a_budget(answer, outcome, words):
    got, text = verdict(ex06c.q1.problem, answer)
    assert (got, words in text) == (outcome, True), text


def test_ex06c_q1_one_more_than_fits_is_not_called_rounding_up():
    """64,000 / 5,000 cannot tell 13 (rounded up) from 12 + 1; 30,000 / 10,000 can."""
    got, text = verdict(ex06c.q1.problem, lambda budget, size: budget // size + 1)
    assert got == "incorrect" and "one message more than fits" in text, text
    assert "Round down" not in text, text


def test_ex06c_q1_diagnosis_does_not_give_the_code_away():
    got, text = verdict(ex06c.q1.problem, lambda budget, size: budget // size - 1)
    assert got == "incorrect" and "//" not in text and "would fit too" in text, text


@pytest.mark.parametrize(
    "answer, outcome, words",
    [(____, "not attempted", "____"), ("a", "incorrect", "no answer yet"),
     ("c", "incorrect", "other side of the queue"), (3, "incorrect", "one letter"),
     ("b", "correct", "on disk")],
)  # fmt: skip
def test_ex06c_q2_the_point_a_confirm_closes(answer, outcome, words):
    got, text = verdict(ex06c.q2.problem, answer)
    assert (got, words in text) == (outcome, True), text


@pytest.mark.parametrize(
    "answer, outcome, words",
    [(____, "not attempted", "____"), ("a", "incorrect", "count returns"),
     ("c", "incorrect", "classic queue"), ("B", "correct", "5 returns")],
)  # fmt: skip
def test_ex06c_q3_delivery_limit(answer, outcome, words):
    got, text = verdict(ex06c.q3.problem, answer)
    assert (got, words in text) == (outcome, True), text


def test_every_section_a_hint_names_is_a_heading_of_06c():
    import inspect
    import re
    from pathlib import Path

    import nbformat

    path = Path(__file__).resolve().parent.parent / "notebooks" / "06c_rabbitmq.ipynb"
    cells = nbformat.read(path, as_version=4).cells
    headings = {int(m) for c in cells if c.cell_type == "markdown"
                for m in re.findall(r"^## (\d+)\. ", c.source, re.MULTILINE)}  # fmt: skip
    named = {int(n) for n in re.findall(r"[Ss]ection (\d+)", inspect.getsource(ex06c))}
    assert named and named <= headings, (named, headings)
