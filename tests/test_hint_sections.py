"""Every section a hint or checker message names exists, under the title it gives.

Hints send the learner back to a section ("section 4 (Your first server)", "§7",
"notebook 05 §7"). Notebooks get renumbered; a hint that names a stale section sends a
stuck learner to the wrong place, so each reference is checked against the headings.
"""

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).parent.parent
EXERCISES = sorted((ROOT / "labsupport" / "exercises").glob("ex[0-9][0-9]*.py"))  # ex05b too
# "section 4", "Section 4", "§4", optionally "notebook 05 " before, "(Title)" after
REFERENCE = re.compile(
    r"(?:[Nn]otebook (?P<notebook>\d\d[a-z]?),? )?(?:[Ss]ection |§ ?)(?P<number>\d+)"
    r"(?: \((?P<title>[^)]+)\))?"
)


def headings(number):
    """{section number: title} of notebook ``number``'s ``## N. Title`` headings."""
    paths = sorted((ROOT / "notebooks").glob(f"{number}_*.ipynb"))  # 05b: both halves, if split
    assert paths, f"no notebook numbered {number}"
    found = {}
    for cell in (cell for path in paths for cell in nbformat.read(path, as_version=4).cells):
        if cell.cell_type == "markdown":
            for match in re.finditer(r"^## (\d+)\. (.+)$", cell.source, re.MULTILINE):
                found[match[1]] = match[2].strip()
    return found


def references():
    for module in EXERCISES:
        own = re.match(r"ex(\d\d[a-z]?)", module.stem)[1]  # ex05b_credit -> 05b
        for match in REFERENCE.finditer(module.read_text()):
            yield module.name, match["notebook"] or own, match["number"], match["title"]


CASES = list(references())


def test_hints_do_name_sections():
    assert len(CASES) >= 5, "no section references found: has the hint style changed?"


@pytest.mark.parametrize(("module", "notebook", "number", "title"), CASES)
def test_named_section_exists(module, notebook, number, title):
    found = headings(notebook)
    assert number in found, f"{module} names notebook {notebook} section {number}: no such heading"
    if title:
        assert found[number].lower().startswith(title.lower()), (
            f"{module} calls notebook {notebook} section {number} {title!r};"
            f" its heading is {found[number]!r}"
        )
