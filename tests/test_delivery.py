"""labsupport.delivery: random histories with known losses, duplicates and reorderings."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from labsupport.delivery import check


@st.composite
def histories(draw):
    """A send history, and what happened to each message: kept, lost, or delayed."""
    keys = draw(st.lists(st.sampled_from("abc"), min_size=1, max_size=30))
    producers = draw(st.lists(st.sampled_from(["p1", "p2"]), min_size=len(keys),
                              max_size=len(keys)))  # fmt: skip
    counters, sent = {}, []
    for producer, key in zip(producers, keys, strict=True):
        counters[producer] = counters.get(producer, 0) + 1
        sent.append((producer, counters[producer], key))
    fates = draw(st.lists(st.sampled_from(["kept", "lost", "delayed"]), min_size=len(sent),
                          max_size=len(sent)))  # fmt: skip
    extra = draw(st.lists(st.integers(0, len(sent) - 1), max_size=5))  # duplicated at the end
    return sent, fates, extra


@given(histories())
def test_every_loss_duplicate_and_reordering_is_reported_exactly(history):
    sent, fates, extra = history
    kept = [m for m, fate in zip(sent, fates, strict=True) if fate == "kept"]
    delayed = [m for m, fate in zip(sent, fates, strict=True) if fate == "delayed"]
    duplicates = [sent[i] for i in extra if fates[i] != "lost"]
    report = check(sent, kept + delayed + duplicates)

    assert report.lost == [m for m, fate in zip(sent, fates, strict=True) if fate == "lost"]
    times = {m: 1 + duplicates.count(m) for m in set(duplicates)}
    assert report.duplicated == times

    # A delayed message is late exactly when a later-sent message of its key stayed in place.
    def overtaken(m):
        return any(s[2] == m[2] and sent.index(s) > sent.index(m) for s in kept)

    late = [m for m in delayed if overtaken(m)]
    assert report.out_of_order == late
    assert report.exactly_once_in_order == (not report.lost and not times and not late)


def test_a_clean_history_is_exactly_once_in_order():
    sent = [("p", 1, "x"), ("p", 2, "y"), ("p", 3, "x")]
    applied = [("p", 2, "y"), ("p", 1, "x"), ("p", 3, "x")]  # keys may interleave
    report = check(sent, applied)
    assert report.exactly_once_in_order
    assert str(report) == "0 lost, 0 duplicated, 0 out of order per key"


def test_pickup_after_delivered_is_out_of_order():
    sent = [("vendor", 1, "parcel-7"), ("vendor", 2, "parcel-7")]  # pickup, then delivered
    report = check(sent, [sent[1], sent[0]])
    assert report.out_of_order == [sent[0]] and not report.exactly_once_in_order


def test_an_invented_effect_is_an_error_not_a_silent_pass():
    with pytest.raises(ValueError, match="never sent"):
        check([("p", 1, "k")], [("p", 1, "k"), ("p", 9, "k")])
    with pytest.raises(ValueError, match="twice"):
        check([("p", 1, "k"), ("p", 1, "k")], [])
