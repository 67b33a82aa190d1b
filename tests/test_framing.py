"""labsupport.framing: messages survive any split of the byte stream; bad input is refused."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labsupport.framing import MAX_FRAME, Deframer, FrameError, frame, unframe


def test_frame_puts_the_big_endian_length_first():
    assert frame(b"abc") == b"\x00\x00\x00\x03abc"
    assert frame(b"") == b"\x00\x00\x00\x00"


def test_unframe_keeps_the_incomplete_rest():
    stream = frame(b"hello") + frame(b"world")
    assert unframe(stream[:12]) == ([b"hello"], stream[9:12])
    assert unframe(stream[:3]) == ([], stream[:3])


@given(st.lists(st.binary(max_size=300), max_size=8), st.lists(st.integers(1, 50), max_size=40))
def test_any_messages_split_anywhere_come_out_whole_and_in_order(messages, cuts):
    stream = b"".join(frame(m) for m in messages)
    deframer, received, position = Deframer(), [], 0
    for size in [*cuts, len(stream)]:
        received += deframer.feed(stream[position : position + size])
        position += size
    assert received == messages
    assert deframer.pending == b""


@given(st.binary(max_size=64))
def test_garbage_never_crashes_or_invents_data(garbage):
    try:
        messages, rest = unframe(garbage)
    except FrameError:
        return
    assert sum(len(m) + 4 for m in messages) + len(rest) == len(garbage)


def test_a_header_claiming_too_much_is_refused_not_waited_for():
    with pytest.raises(FrameError, match="over the"):
        unframe(b"\xff\xff\xff\xff")
    with pytest.raises(FrameError):
        frame(bytes(MAX_FRAME + 1))


def test_text_must_be_encoded_first():
    with pytest.raises(TypeError, match="encode"):
        frame("hello")
