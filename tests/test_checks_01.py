"""Notebook 01's checkers: each likely slip gets its own diagnosis, and right answers pass.

q1 and q2 are tables of cases (input, expected, likely slip). Each wrong answer below
is one a learner writes; the test names the words the verdict must contain, so a
checker that calls a wrong answer right, or blames the wrong slip, fails here.
"""

import struct

import pytest
from solutions import solution_answer

from labsupport import framing, ip_packets
from labsupport.exercises import ex01
from labsupport.exercises.checks import ____, verdict

good_frame, good_unframe = solution_answer(ex01.q1.problem)
good_checksum = solution_answer(ex01.q2.problem)


def untouched(*args):
    return ____


def words(data):
    """The 16-bit big-endian words of ``data``, which must have an even length."""
    return struct.unpack(f"!{len(data) // 2}H", data)


def finish(total, folds=None):
    """Fold carries (all of them, or ``folds`` times), then invert to 16 bits."""
    done = 0
    while total > 0xFFFF and (folds is None or done < folds):
        total, done = (total & 0xFFFF) + (total >> 16), done + 1
    return ~total & 0xFFFF


def ignores_odd_byte(data):  # the slip of issue 19: b"\x01" gives 0xffff
    return finish(sum(words(data[: len(data) // 2 * 2])))


def pads_at_the_front(data):
    return finish(sum(words(b"\0" + data if len(data) % 2 else data)))


def no_padding(data):
    return finish(sum(words(data)))  # struct.error on an odd length


def folds_once(data):
    return finish(sum(words(data + b"\0" * (len(data) % 2))), folds=1)


def never_folds(data):
    return finish(sum(words(data + b"\0" * (len(data) % 2))), folds=0)


def not_inverted(data):
    return ~good_checksum(data) & 0xFFFF


def little_endian(data):
    data += b"\0" * (len(data) % 2)
    return finish(sum(struct.unpack(f"<{len(data) // 2}H", data)))


@pytest.mark.parametrize(
    ("answer", "outcome", "diagnosis"),
    [
        (____, "not attempted", "Replace the ____"),
        (untouched, "not attempted", "Replace the ____"),
        (not_inverted, "incorrect", "invert"),
        (little_endian, "incorrect", "little-endian"),
        (never_folds, "incorrect", "fold it in"),
        (folds_once, "incorrect", "Folding once"),
        (ignores_odd_byte, "incorrect", "odd byte was left out"),
        (pads_at_the_front, "incorrect", "not at the front"),
        (no_padding, "incorrect", "raised error"),
        (good_checksum, "correct", "odd lengths included"),
        (ip_packets.checksum16, "correct", "matches"),
    ],
)
def test_q2_checksum(answer, outcome, diagnosis):
    got, text = verdict(ex01.q2.problem, answer)
    assert (got, diagnosis in text) == (outcome, True), text


def test_q2_the_odd_byte_slip_shows_input_expected_and_got():
    _, text = verdict(ex01.q2.problem, ignores_odd_byte)
    assert "my_checksum" not in text  # the learner's own function name is used
    assert "ignores_odd_byte(b'\\x01') gave 0xffff, expected 0xfeff" in text


def test_q2_no_padding_names_the_odd_length():
    _, text = verdict(ex01.q2.problem, no_padding)
    assert "odd length" in text.lower()


def test_q2_every_case_agrees_with_the_module():
    for case in ex01.Checksum.cases:
        assert ip_packets.checksum16(*case.args) == case.expected, case


def unframe_drops_rest(buffer):
    return good_unframe(buffer)[0], b""


def unframe_stops_at_empty(buffer):
    messages, offset = [], 0
    while len(buffer) - offset >= 4:
        (length,) = struct.unpack_from("!I", buffer, offset)
        if length == 0 or offset + 4 + length > len(buffer):
            break
        messages.append(buffer[offset + 4 : offset + 4 + length])
        offset += 4 + length
    return messages, buffer[offset:]


def unframe_first_only(buffer):
    messages, rest = good_unframe(buffer)
    return messages[:1], rest if len(messages) < 2 else buffer[4 + len(messages[0]) :]


def little_endian_frame(payload):
    return struct.pack("<I", len(payload)) + payload


def short_length_frame(payload):
    return struct.pack("!H", len(payload)) + payload


def counts_characters_frame(payload):
    return struct.pack("!I", len(payload.decode())) + payload


@pytest.mark.parametrize(
    ("answer", "outcome", "diagnosis"),
    [
        ((untouched, untouched), "not attempted", "____"),
        ((good_frame, untouched), "not attempted", "____"),
        ((little_endian_frame, good_unframe), "incorrect", "little-endian"),
        ((short_length_frame, good_unframe), "incorrect", "4 bytes ('I'), not 2"),
        ((counts_characters_frame, good_unframe), "incorrect", "bytes, not characters"),
        (
            (good_frame, unframe_drops_rest),
            "incorrect",
            "unframe_drops_rest(b'\\x00\\x00\\x00') gave ([], b'')",
        ),
        ((good_frame, unframe_stops_at_empty), "incorrect", "empty message"),
        ((good_frame, unframe_first_only), "incorrect", "Keep looping"),
        ((good_frame, good_unframe), "correct", "split anywhere"),
        ((framing.frame, framing.unframe), "correct", "split anywhere"),
    ],
)
def test_q1_framing(answer, outcome, diagnosis):
    got, text = verdict(ex01.q1.problem, answer)
    assert (got, diagnosis in text) == (outcome, True), text


def test_q1_every_case_agrees_with_the_module():
    for case in ex01.Framing.frame_cases:
        assert framing.frame(*case.args) == case.expected, case
    for case in ex01.Framing.unframe_cases:
        assert framing.unframe(*case.args) == case.expected, case


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        ({"live video call": ____, "file download": ____, "chat message": ____}, "not attempted"),
        ({"live video call": "TCP", "file download": "TCP", "chat message": "TCP"}, "incorrect"),
        ({"live video call": "udp", "file download": "tcp"}, "incorrect"),
        ({"live video call": "udp", "file download": "tcp", "chat message": "TCP"}, "correct"),
    ],
)
def test_q3_protocol(answer, outcome):
    assert verdict(ex01.q3.problem, answer)[0] == outcome
