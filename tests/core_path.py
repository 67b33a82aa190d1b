"""The course's core path and its deep dives, read from the notebooks' section markers.

Every ``## `` section (but the summary) opens with one marker line, right under its
heading::

    *Core path · 10 min*
    *Deep dive · 15 min* · skip it: the core path goes on at [§5 · …](#5.-…).

A ``### `` subsection of a core section may carry a deep-dive marker of its own; it
lasts until the next ``###`` or ``##`` heading. Everything before the first ``##`` (the
title, the objectives, the set-up cell) is core. ``docs/teaching.md`` explains the
convention to teachers; ``tests/test_core_path.py`` holds the notebooks to it.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
MARKER = re.compile(r"^\*(?P<kind>Core path|Deep dive) · (?P<minutes>\d+) min\*(?P<rest>.*)$")
TIME = re.compile(
    r"\*\*Time:\*\* about (?P<core>\d+) min on the core path, and (?P<deep>\d+) min of deep dives\."
)
LINK = re.compile(r"\[[^\]]+\]\([^)\s]+\)")


@dataclass
class Section:
    """One marked (or unmarked) heading: its level, title, kind and minutes."""

    level: int
    title: str
    kind: str | None  # "Core path", "Deep dive", or None when the heading has no marker
    minutes: int = 0
    rest: str = ""
    cells: list = field(default_factory=list)  # indices of the cells it holds

    @property
    def deep(self):
        return self.kind == "Deep dive"


def headings(source):
    """``(level, title, marker match or None)`` for each ``##``/``###`` heading of a cell."""
    lines = source.splitlines()
    found = []
    for number, line in enumerate(lines):
        match = re.match(r"^(#{2,3}) (.*)$", line)
        if not match:
            continue
        following = [text for text in lines[number + 1 :] if text.strip()]
        marker = MARKER.match(following[0].strip()) if following else None
        found.append((len(match.group(1)), match.group(2).strip(), marker))
    return found


def sections(path):
    """Every ``##`` and ``###`` section of the notebook, in order, with the cells it holds.

    A cell belongs to the innermost section open after its own headings are read.
    """
    notebook = nbformat.read(path, as_version=4)
    found, top, sub = [], None, None
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "markdown":
            for level, title, marker in headings(cell.source):
                kind = marker["kind"] if marker else None
                minutes = int(marker["minutes"]) if marker else 0
                section = Section(level, title, kind, minutes, marker["rest"] if marker else "")
                found.append(section)
                if level == 2:
                    top, sub = section, None
                else:
                    sub = section
        owner = sub if sub is not None and sub.kind else top
        if owner is not None:
            owner.cells.append(index)
    return found


def deep_cells(path):
    """Indices of the cells that belong to a deep dive (a deep ``##`` or deep ``###``)."""
    deep, top = set(), None
    for section in sections(path):
        if section.level == 2:
            top = section
        if section.deep or (top is not None and top.deep):
            deep.update(section.cells)
    return deep


def minutes(path):
    """``(core, deep)`` minutes of the notebook, summed over its markers."""
    core = deep = 0
    for section in sections(path):
        if section.deep:
            deep += section.minutes
        elif section.kind:
            core += section.minutes
    return core, deep


def stated_time(path):
    """``(core, deep)`` as the notebook's opening states them, or None."""
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells[:4]:
        match = TIME.search(cell.source) if cell.cell_type == "markdown" else None
        if match:
            return int(match["core"]), int(match["deep"])
    return None


def core_notebook(path):
    """The notebook with every deep-dive cell removed: what a core-path learner runs."""
    notebook = nbformat.read(path, as_version=4)
    deep = deep_cells(path)
    notebook.cells = [cell for index, cell in enumerate(notebook.cells) if index not in deep]
    return notebook
