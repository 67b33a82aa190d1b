"""Every link between the README, the glossary and the notebooks leads somewhere."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r"\]\(([^)\s]+)\)")


def slug(heading):
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def lab_anchor(heading):
    """JupyterLab's anchor for a notebook heading: its text, spaces turned into hyphens."""
    return re.sub(r"[*`]", "", heading.strip()).replace(" ", "-")


def anchors(path):
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text())["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        return {lab_anchor(line.lstrip("#")) for line in text.splitlines() if line.startswith("#")}
    return {slug(line.lstrip("#")) for line in path.read_text().splitlines()
            if line.startswith("#")}  # fmt: skip


def links(path):
    if path.suffix == ".ipynb":
        cells = json.loads(path.read_text())["cells"]
        text = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
    else:
        text = path.read_text()
    return [link for link in LINK.findall(text) if not link.startswith(("http", "#"))]


DOCUMENTS = [
    ROOT / "README.md",
    ROOT / "glossary.md",
    ROOT / "docs" / "teaching.md",
    *sorted(ROOT.glob("notebooks/*.ipynb")),
]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: p.name)
def test_relative_links_reach_a_file_and_heading(document):
    broken = []
    for link in links(document):
        target, _, anchor = link.partition("#")
        path = (document.parent / target).resolve()
        if not path.exists():
            broken.append(link)
        elif anchor and anchor not in anchors(path):
            broken.append(link)
    assert broken == []


def test_every_glossary_term_says_where_to_see_it_work():
    sections = (ROOT / "glossary.md").read_text().split("\n### ")[1:]
    missing = [s.splitlines()[0] for s in sections if "*See it work:*" not in s]
    assert missing == []


def test_glossary_links_reach_sections_not_just_files():
    """A "See it work" link opens the notebook at the section it names."""
    to_files = [link for link in links(ROOT / "glossary.md") if link.endswith(".ipynb")]
    assert to_files == []


def test_every_glossary_term_is_linked_from_a_notebook():
    """The glossary links to where a term works, and that place links back to it."""
    terms = {slug(line[4:]) for line in (ROOT / "glossary.md").read_text().splitlines()
             if line.startswith("### ")}  # fmt: skip
    linked = {link.partition("#")[2] for path in ROOT.glob("notebooks/*.ipynb")
              for link in links(path)
              if link.partition("#")[0].endswith("glossary.md")}  # fmt: skip
    assert sorted(terms - linked) == []
