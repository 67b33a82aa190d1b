"""The cells a notebook's learner builds by hand, run outside the notebook.

Notebooks 01, 05 and 05b tag each cell the learner writes ``built-by-hand`` (01 also
``part:<name>``, one namespace per part). Their tests take the code under test from the
notebook itself with these two functions, so the notebook and its test cannot drift apart.
"""

from pathlib import Path

import nbformat

NOTEBOOKS = Path(__file__).parent.parent / "notebooks"
TAG = "built-by-hand"  # the course's one tag for a cell the learner builds


def built_cells(notebook, part=None):
    """The notebook's code cells tagged ``built-by-hand`` (and ``part:<part>``), in order."""
    wanted = {TAG} | ({f"part:{part}"} if part else set())
    cells = nbformat.read(NOTEBOOKS / notebook, as_version=4).cells
    return [c for c in cells if c.cell_type == "code" and wanted <= set(c.metadata.get("tags", []))]


def run_built(notebook, names, part=None):
    """Run those cells in ``names`` (what the notebook imported before them); returns it."""
    cells = built_cells(notebook, part)
    assert cells, f"no cell of {notebook} is tagged {TAG}" + (f" and part:{part}" if part else "")
    for cell in cells:
        exec(compile(cell.source, f"<{notebook} cell {cell.get('id')}>", "exec"), names)
    return names
