"""Every exercise's published solution passes its own checker.

A solution is code that ends with its ``qN.check(...)`` call; ``solutions.py`` runs it
and catches the answer, which is then given to the real checker.
"""

import importlib

import pytest
from solutions import solution_answer

from labsupport.exercises.checks import Exercise, verdict

MODULES = [f"labsupport.exercises.ex0{n}" for n in range(9)] + [
    "labsupport.exercises.ex05b",
    "labsupport.exercises.ex06c",
]


def exercises():
    for name in MODULES:
        module = importlib.import_module(name)
        for attribute, value in vars(module).items():
            if isinstance(value, Exercise):
                short = name.rsplit(".", 1)[-1]  # ex00 ... ex08, ex05b
                yield pytest.param(attribute, value.problem, id=f"{short}.{attribute}")


@pytest.mark.parametrize("name, problem", list(exercises()))
def test_the_published_solution_is_correct(name, problem):
    answer = solution_answer(problem)
    assert verdict(problem, answer)[0] == "correct", verdict(problem, answer)[1]
    assert problem.why.strip(), "a solution says why it is right"


def test_solution_view_shows_code_then_why(capsys):
    from labsupport.exercises.ex04 import q2

    q2.solution()
    out = capsys.readouterr().out
    assert out.index("q2.check(count_rooms)") < out.index("join-room and leave-room")
