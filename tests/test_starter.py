"""The learner's copy of notebook 07 is its solved notebook with each stage's starter."""

from pathlib import Path

import nbformat

from labsupport.starter import starter_copy

NOTEBOOKS = Path(__file__).parent.parent / "notebooks"
SOLVED = NOTEBOOKS / "07_capstone_caps.ipynb"
STARTER = NOTEBOOKS / "07_capstone_caps_starter.ipynb"


def test_the_committed_starter_copy_is_generated_from_the_solved_notebook():
    solved = nbformat.read(SOLVED, as_version=4)
    committed = nbformat.read(STARTER, as_version=4)
    expected = [cell.source for cell in starter_copy(solved).cells]
    assert [cell.source for cell in committed.cells] == expected, (
        "regenerate it: see the docstring of labsupport/starter.py"
    )


def test_every_stage_has_a_blank_in_the_starter_and_none_in_the_solution():
    solved = nbformat.read(SOLVED, as_version=4)
    stages = [cell for cell in solved.cells if "q" in cell.source and ".check(" in cell.source]
    assert len(stages) == 4
    for cell in stages:
        assert "____" not in cell.source
        assert "____" in cell.metadata["starter"]
