"""Maintainer tooling, not for learners: make the learner's copy of a solved notebook.

Notebook 07 has one (``07_capstone_caps_starter.ipynb``).

In the solved notebook, a cell that the learner should write carries its starter code
in its metadata, under ``"starter"``. The learner's copy is the same notebook with
each such cell's source replaced by its starter. Run it, then execute the copy::

    cd notebooks
    python -m tools.starter 07_capstone_caps.ipynb 07_capstone_caps_starter.ipynb
    jupyter nbconvert --to notebook --execute --inplace 07_capstone_caps_starter.ipynb

(with the course's ``.venv`` active: its editable install puts the course folder,
and so ``tools``, on the path).

A test checks that the committed copy matches its solved notebook, so they never drift.
"""

import copy
import sys

import nbformat


def starter_copy(solved):
    """The learner's copy of the ``solved`` notebook (a ``NotebookNode``), without outputs."""
    learner = copy.deepcopy(solved)
    for cell in learner.cells:
        if "starter" in cell.metadata:
            cell.source = cell.metadata["starter"]
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return learner


def main(argv=None):
    solved_path, starter_path = argv or sys.argv[1:]
    nbformat.write(starter_copy(nbformat.read(solved_path, as_version=4)), starter_path)


if __name__ == "__main__":
    main()
