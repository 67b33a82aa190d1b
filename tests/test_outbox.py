"""Notebook 05b §2: the dual write and the outbox, each killed with a real SIGKILL.

Three orders; the shop or the relay is killed at one step of order 2, restarted, and
what took effect (the consumer's file) is compared with the shop's ``orders`` table.
"""

import pytest

from labsupport import crash_points, outbox

ORDERS = [outbox.record(n) for n in (1, 2, 3)]


def test_write_then_publish_loses_the_order():
    result = outbox.run("write-then-publish", "between")
    assert result.exit_code == -9
    assert result.orders == ORDERS and result.report.lost == [outbox.record(2)]
    assert result.verdict == "lost"


def test_publish_then_write_invents_one():
    result = outbox.run("publish-then-write", "between")
    assert result.exit_code == -9
    assert outbox.record(2) not in result.orders and result.invented == [outbox.record(2)]
    assert result.verdict == "invented"
    with pytest.raises(ValueError, match="invented"):
        outbox.check(result.orders, result.applied)


STEPS = [step for step in outbox.STEPS if step != "between"]


@pytest.fixture(scope="module")
def killed():
    results = crash_points.side_by_side(outbox.run, [("outbox", step) for step in STEPS])
    return dict(zip(STEPS, results, strict=True))


@pytest.mark.parametrize("step", STEPS)
def test_the_outbox_killed_at_each_step_loses_and_invents_nothing(killed, step):
    result = killed[step]
    assert result.exit_code == -9
    assert result.invented == [] and result.report.exactly_once_in_order, result.report
    # killed before its commit, the shop has no order 2 (and nothing announced it)
    expected = [o for o in ORDERS if o != outbox.record(2)] if step == "order written" else ORDERS
    assert result.orders == expected and result.applied == expected


def test_a_relay_killed_after_publishing_sends_a_copy_that_the_id_removes(killed):
    first, again = killed["published"].copies["shop:2"]
    assert first != again  # the hub stored it twice: two hub message ids, one outbox id
    assert all(len(ids) == 1 for step in STEPS if step != "published"
               for ids in killed[step].copies.values())  # fmt: skip
    plain = outbox.run("outbox", "published", apply=crash_points.apply_plain)
    assert plain.report.duplicated == {outbox.record(2): 2}
