"""Every crash point x each variant of notebook 05b §1, each with a real SIGKILL.

The outcome each point must have, and why (one message; the producer resends what the
hub never confirmed; the hub confirms once the message is committed, then emits it):

- 1, 2: the hub dies before it confirms: the producer sends again; exactly once in
  every variant (at 2, SQLite rolls back the uncommitted insert: no second copy).
- 3: confirmed, not yet emitted: (a) forgets it with its memory: **lost**; (b), (c) keep it.
- 4: emitted and received, the ack dies with the hub: (b) has it in its file and sends it
  again: **duplicated**; (a)'s new hub remembers nothing (once); (c) drops the copy by id.
- 5: the consumer dies before its effect: sent again, applied once.
- 6: the consumer dies after its effect, before its ack: sent again, **duplicated** in
  (a) and (b) (the hub was not killed); (c) recognises the id.
- 7, 8: the ack is stored: nothing is sent again.
"""

from pathlib import Path

import nbformat
import pytest

from labsupport import crash_points
from labsupport.crash_programs import EFFECTS

NOTEBOOK = Path(__file__).parent.parent / "notebooks/05b_delivery_guarantees.ipynb"
NOT_ONCE = {"a": {3: "lost", 6: "duplicated"}, "b": {4: "duplicated", 6: "duplicated"}, "c": {}}


@pytest.fixture(scope="module")
def runs():
    return crash_points.table()  # the 24 runs, a few side by side


@pytest.mark.parametrize("variant", "abc")
@pytest.mark.parametrize("point", list(crash_points.POINTS))
def test_each_point_has_its_outcome(runs, point, variant):
    run = runs[point, variant]
    assert run.exit_code == -9, "the process at that point was killed with SIGKILL"
    assert run.killed == crash_points.POINTS[point][0]
    assert run.outcome == NOT_ONCE[variant].get(point, "exactly once"), run.report


def notebook_apply_once():
    """The notebook's hand-built ``apply_once``, from its cell (tagged ``built-by-hand``)."""
    for cell in nbformat.read(NOTEBOOK, as_version=4).cells:
        built = "built-by-hand" in cell.metadata.get("tags", [])
        if built and cell.source.startswith("def apply_once("):
            namespace = {}
            exec(cell.source, namespace)
            return namespace["apply_once"]
    raise AssertionError("no apply_once cell in notebook 05b")


@pytest.mark.parametrize("point", [4, 6])
def test_the_notebooks_idempotent_consumer_and_the_modules_agree(point):
    ours = crash_points.run(point, "c", apply=notebook_apply_once(), name="ours")
    theirs = crash_points.run(point, "c", name="theirs")
    plain = crash_points.run(point, "b", name="plain")
    assert ours.report == theirs.report and ours.outcome == "exactly once"
    assert plain.outcome == "duplicated"  # the same crash, without the id: twice


def test_both_idempotent_consumers_apply_each_id_once_directly():
    import sqlite3

    ids = ["shop:1", "shop:2", "shop:1", "shop:3", "shop:2"]
    tables = []
    for apply in (notebook_apply_once(), crash_points.apply_once):
        db = sqlite3.connect(":memory:")
        db.executescript(EFFECTS)
        for message_id in ids:
            apply(db, message_id, ("shop", int(message_id[-1]), "k"))
        tables.append(db.execute("SELECT sequence FROM effects").fetchall())
    assert tables[0] == tables[1] == [(1,), (2,), (3,)]
