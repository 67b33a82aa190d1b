"""The shape every notebook promises: numbered sections that each end with "Try it",
then exercises checked by a labsupport checker, then a summary that links the glossary."""

import re
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))


def sections(path):
    """``{heading: markdown text of the section}`` for each ``## `` heading, in order."""
    found, current = {}, None
    for cell in nbformat.read(path, as_version=4).cells:
        for line in cell.source.splitlines() if cell.cell_type == "markdown" else []:
            if line.startswith("## "):
                current = line[3:].strip()
                found[current] = ""
            elif current is not None:
                found[current] += line + "\n"
    return found


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_numbered_section_ends_with_try_it(path):
    numbered = {name: text for name, text in sections(path).items() if re.match(r"\d+\.", name)}
    assert numbered, f"{path.name} has no numbered sections"
    missing = [name for name, text in numbered.items() if "### Try it" not in text]
    assert not missing, f"{path.name}: no '### Try it' in {missing}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_it_ends_with_checked_exercises_and_a_summary_linking_the_glossary(path):
    names = list(sections(path))
    assert names[-1] == "Summary", f"{path.name} ends with {names[-1]!r}, not the summary"
    assert "glossary.md#" in sections(path)["Summary"], f"{path.name}'s summary links no term"
    code = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells
                     if c.cell_type == "code")  # fmt: skip
    assert re.search(r"from labsupport\.exercises(\.ex\w+)? import", code), (
        f"{path.name} imports no exercise checker"
    )
    assert re.search(r"\bq\d\.check\(", code), f"{path.name} checks no exercise"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_no_notebook_edits_sys_path(path):
    """A notebook imports the course's code as a learner's own code would, from its folder."""
    code = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    assert not any(re.search(r"sys\.path\.(insert|append)", source) for source in code)
