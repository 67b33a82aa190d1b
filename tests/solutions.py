"""Run an exercise's published solution and return the answer it hands to ``qN.check``.

A solution is code ending with its ``qN.check(...)`` call, as a learner would run it in
the notebook. Here it runs with stand-ins for ``q1``, ``q2``... that only catch the
answer, so tests can use the *published* right answer instead of a copy of it.
"""

import base64
import hashlib
import struct

import socketio

from labsupport import websocket_frames

NOTEBOOK_NAMES = {  # what the notebooks have defined by the time the exercises run
    "struct": struct,
    "socketio": socketio,
    "base64": base64,
    "hashlib": hashlib,
    "wsf": websocket_frames,
    "captured": bytes.fromhex("81 0b 68 65 6c 6c 6f 20 77 6f 72 6c 64"),  # notebook 02's q2
}


class Catch:
    """Stands in for ``qN`` in a solution: ``check(answer)`` only remembers the answer."""

    def check(self, answer):
        self.answer = answer


def solution_answer(problem):
    """The answer ``problem``'s published solution passes to its check."""
    catches = {f"q{n}": Catch() for n in range(1, 10)}
    exec(problem.solution, {**NOTEBOOK_NAMES, **catches})
    (answer,) = [c.answer for c in catches.values() if hasattr(c, "answer")]
    return answer
