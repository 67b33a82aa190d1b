"""Notebook 02's exercise checkers give the right verdict for untouched, wrong and right answers.

Moved here from test_checks.py, with the slips a learner of the new §2 makes: giving
q2 the ``(opcode, payload)`` that the notebook's own ``my_decode`` returns, or a whole
``websocket_frames.Frame``.
"""

import hashlib

import pytest
from solutions import solution_answer

from labsupport.exercises import ex02
from labsupport.exercises.checks import ____, verdict
from labsupport.websocket_frames import GUID, decode_frame

right_accept = solution_answer(ex02.q1.problem)
captured = bytes.fromhex("81 0b 68 65 6c 6c 6f 20 77 6f 72 6c 64")  # q2's frame


def untouched(*args):
    return ____


def bytes_accept(key):
    return right_accept(key).encode()


def hex_accept(key):
    return hashlib.sha1((key + GUID).encode()).hexdigest()


@pytest.mark.parametrize(
    "answer, outcome, words",
    [
        (untouched, "not attempted", "____"),
        (bytes_accept, "incorrect", ".decode()"),
        (hex_accept, "incorrect", "expected"),
        (right_accept, "correct", "browser"),
    ],
)
def test_q1_accept(answer, outcome, words):
    got, text = verdict(ex02.q1.problem, answer)
    assert (got, words in text) == (outcome, True), text


@pytest.mark.parametrize(
    "answer, outcome, words",
    [
        (____, "not attempted", "____"),
        (b"hello world", "incorrect", ".decode()"),
        ("\x0bhello world", "incorrect", "header"),
        ((1, b"hello world"), "incorrect", "my_decode"),
        (decode_frame(captured), "incorrect", "whole Frame"),
        ("hello world", "correct", "hello world"),
    ],
)
def test_q2_frame(answer, outcome, words):
    got, text = verdict(ex02.q2.problem, answer)
    assert (got, words in text) == (outcome, True), text


@pytest.mark.parametrize(
    "answer, outcome, words",
    [
        ((____, ____, ____, ____), "not attempted", "____"),
        (("EVENT", "/caps", "7", ["pickup", {"orderId": 42}]), "incorrect", "as text"),
        (("ACK", "/caps", 7, ["pickup", {"orderId": 42}]), "incorrect", "type name"),
        (("EVENT", "/", 7, ["pickup", {"orderId": 42}]), "incorrect", "namespace"),
        ("EVENT", "incorrect", "tuple"),
        (("EVENT", "/caps", 7, ["pickup", {"orderId": 42}]), "correct", "acknowledgement"),
    ],
)
def test_q3_socketio(answer, outcome, words):
    got, text = verdict(ex02.q3.problem, answer)
    assert (got, words in text) == (outcome, True), text


@pytest.mark.parametrize(
    "answer, outcome",
    [(____, "not attempted"), ('2["chat",{"text":"hi"}]', "incorrect"),
     ('42["chat", {"text": "hi"}]', "incorrect"), ('42["chat",{"text":"hi"}]', "correct")],
)  # fmt: skip
def test_q4_predict(answer, outcome):
    assert verdict(ex02.q4.problem, answer)[0] == outcome
