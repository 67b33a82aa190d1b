"""The learner's copy of notebook 07 is its solved notebook with each stage's starter."""

from pathlib import Path

import nbformat

from tools.starter import starter_copy

NOTEBOOKS = Path(__file__).parent.parent / "notebooks"
SOLVED = NOTEBOOKS / "07_capstone_caps.ipynb"
STARTER = NOTEBOOKS / "07_capstone_caps_starter.ipynb"


def test_the_committed_starter_copy_is_generated_from_the_solved_notebook():
    solved = nbformat.read(SOLVED, as_version=4)
    committed = nbformat.read(STARTER, as_version=4)
    expected = [cell.source for cell in starter_copy(solved).cells]
    assert [cell.source for cell in committed.cells] == expected, (
        "regenerate it: see the docstring of tools/starter.py"
    )


def stage_cells(notebook):
    return [c for c in notebook.cells if c.cell_type == "code" and "starter" in c.metadata]


def test_every_stage_has_a_blank_in_the_starter_and_none_in_the_solution():
    solved = nbformat.read(SOLVED, as_version=4)
    stages = [c for c in stage_cells(solved) if "____" in c.metadata["starter"]]
    assert len(stages) >= 6  # stages 1-3, and stage 4's ledger, its drivers, make_storage
    for cell in stages:
        assert "____" not in cell.source
    checks = [c for c in solved.cells if c.cell_type == "code" and ".check(" in c.source]
    answers = ["stage1", "stage2", "send_to_drivers", "make_storage"]
    assert [c.source.splitlines()[-1] for c in checks] == [
        f"q{n}.check({name})" for n, name in enumerate(answers, 1)
    ]  # each stage's cell ends with its check, in the starter too (write_stages leaves it out)
    assert all(c.metadata["starter"].endswith(c.source.splitlines()[-1]) for c in checks)


def test_the_starter_never_shows_an_answer_and_imports_what_stage_4_needs():
    learner = starter_copy(nbformat.read(SOLVED, as_version=4))
    sources = "\n".join(c.source for c in learner.cells if c.cell_type == "code")
    assert "getsource(caps.CapsHub._send)" not in sources  # _send's loop is stage 3's answer
    assert "hub.publish(driver" not in sources
    before_stage_4 = sources.split("def make_storage")[0]
    assert "from labsupport.sqlite_queue import SqliteQueue" in before_stage_4
    assert "import sqlite3" in before_stage_4
