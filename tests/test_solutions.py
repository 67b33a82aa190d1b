"""Every exercise's published solution passes its own checker.

A solution is code that ends with its ``qN.check(...)`` call, as a learner would run it
in the notebook. Here it runs with stand-ins for ``q1``, ``q2``... that catch the
answer, which is then given to the real checker.
"""

import base64
import hashlib
import importlib
import struct

import pytest

from labsupport import websocket_frames
from labsupport.checks import Exercise, verdict

MODULES = [f"labsupport.exercises.ex0{n}" for n in range(6)]


class Catch:
    """Stands in for ``qN`` in a solution: ``check(answer)`` only remembers the answer."""

    def check(self, answer):
        self.answer = answer


def exercises():
    for name in MODULES:
        module = importlib.import_module(name)
        for attribute, value in vars(module).items():
            if isinstance(value, Exercise):
                yield pytest.param(attribute, value.problem, id=f"{name[-4:]}.{attribute}")


@pytest.mark.parametrize("name, problem", list(exercises()))
def test_the_published_solution_is_correct(name, problem):
    catch = Catch()
    namespace = {
        name: catch,
        "struct": struct,
        "base64": base64,
        "hashlib": hashlib,
        "wsf": websocket_frames,
        "captured": bytes.fromhex("81 0b 68 65 6c 6c 6f 20 77 6f 72 6c 64"),  # notebook 02's q2
    }
    exec(problem.solution, namespace)
    assert verdict(problem, catch.answer)[0] == "correct", verdict(problem, catch.answer)[1]
    assert problem.why.strip(), "a solution says why it is right"


def test_solution_view_shows_code_then_why(capsys):
    from labsupport.exercises.ex04 import q2

    q2.solution()
    out = capsys.readouterr().out
    assert out.index("q2.check(count_rooms)") < out.index("join-room and leave-room")
