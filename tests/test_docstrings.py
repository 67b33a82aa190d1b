"""Every labsupport module says which notebook builds or uses it, and that is true.

The course's support code is meant to be read next to the notebooks. A module whose
docstring names no notebook, or the wrong one, leaves a reader with no way in. "Uses"
counts a module the notebook reaches through another one (``servers`` imports
``guard``), found by following labsupport's own imports.
"""

import ast
import re
from functools import cache
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).parent.parent
MODULES = sorted(
    path
    for path in (ROOT / "labsupport").rglob("*.py")
    if not path.name.startswith("_") or path.name == "__init__.py"
)
NAMED = re.compile(r"[Nn]otebooks? (\d\d[a-z]?(?:(?:, | and | or |–|-)\d\d[a-z]?)*)")


def notebook_text(number):
    """All cell sources of notebook ``number`` (the solved one), as one string."""
    paths = [p for p in (ROOT / "notebooks").glob(f"{number}_*.ipynb") if "starter" not in p.name]
    return "\n".join(
        cell.source for path in paths for cell in nbformat.read(path, as_version=4).cells
    )


@cache
def imported_by():
    """{module name: names of the labsupport modules that import it}."""
    found = {}
    for path in MODULES:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [alias.name for alias in node.names]
                for name in names:
                    found.setdefault(name.rsplit(".", 1)[-1], set()).add(path.stem)
    return found


def users(name):
    """``name`` and every labsupport module that imports it, directly or not."""
    seen, todo = set(), [name]
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo += imported_by().get(module, ())
    return seen - {"__init__"}


def named_notebooks(docstring):
    found = {n for match in NAMED.finditer(docstring) for n in re.findall(r"\d\d[a-z]?", match[1])}
    return sorted(found)


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT / "labsupport")))
def test_module_docstring_names_a_notebook_that_uses_it(path):
    docstring = ast.get_docstring(ast.parse(path.read_text())) or ""
    numbers = named_notebooks(docstring)
    assert numbers, f"{path.name}: the docstring names no notebook"
    if path.name == "__init__.py" or docstring.startswith("Maintainer tooling, not for learners"):
        return  # a package's index, or a tool that makes a notebook rather than teaching one
    names = users(path.stem)
    assert any(re.search(rf"\b{name}\b", notebook_text(n)) for n in numbers for name in names), (
        f"{path.name} names notebook(s) {numbers}; none of them uses it, even through {names}"
    )
