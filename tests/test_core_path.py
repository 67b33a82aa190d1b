"""The core path: marked sections, honest minutes, every source question on it, and it runs
on its own.

A learner with three and a half hours follows the core path; a teacher picks deep dives
from ``docs/teaching.md``'s plans. These tests read the markers (``core_path.py``) and
hold the course to what the plans promise.
"""

import re

import nbformat
import pytest
from core_path import LINK, NOTEBOOKS, ROOT, core_notebook, minutes, sections, stated_time
from nbclient import NotebookClient
from test_claims_any_seed import claims
from test_links import lab_anchor

CORE_BUDGET = 210  # minutes: about three and a half hours, exercises included
COURSE = [path for path in NOTEBOOKS if not path.stem.endswith("_starter")]
TEACHING = ROOT / "docs" / "teaching.md"

# What the source notes ask for; docs/teaching.md's map names the core section for each.
SOURCE_NOTES = [
    "What does it mean that WebSockets are bidirectional? Why is this useful?",
    "Does socket.io use HTTP? Why?",
    "What happens when a client emits an event?",
    "What happens when a server emits an event?",
    "What happens if a client “misses” an event?",
    "How can we mitigate this?",
    "socket",
    "WebSocket",
    "socket.io",
    "client",
    "server",
    "OSI model",
    "TCP/IP model",
    "TCP",
    "UDP",
    "packets",
    "rooms: join, leave, broadcast to a room",
    "namespaces",
    "rooms are a server-only concept",
    "room events: create-room, delete-room, join-room, leave-room",
    "several servers: the Redis adapter",
]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_every_section_is_marked_core_or_deep_dive(path):
    top = [s for s in sections(path) if s.level == 2 and s.title != "Summary"]
    unmarked = [s.title for s in top if s.kind is None]
    assert unmarked == [], f"{path.name}: no '*Core path · N min*' or '*Deep dive · N min*' line"
    no_way_back = [s.title for s in sections(path) if s.deep and not LINK.search(s.rest)]
    assert no_way_back == [], f"{path.name}: a deep dive must link to where the core goes on"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_opening_states_the_minutes_its_sections_add_up_to(path):
    assert stated_time(path) == minutes(path), (
        f"{path.name}: the '**Time:** about N min on the core path, and M min of deep dives.'"
        f" line says {stated_time(path)}, the markers add up to {minutes(path)}"
    )


def test_the_core_path_fits_three_and_a_half_hours():
    per_notebook = {path.stem: minutes(path)[0] for path in COURSE}
    assert sum(per_notebook.values()) <= CORE_BUDGET, per_notebook


def test_the_learners_copy_of_the_capstone_has_the_same_path():
    solved, starter = (ROOT / "notebooks" / f"07_capstone_caps{s}.ipynb" for s in ("", "_starter"))

    def marks(path):  # fmt: skip
        return [(s.level, s.title, s.kind, s.minutes) for s in sections(path)]

    assert marks(starter) == marks(solved)


def readme_times():
    """``{notebook stem: (core, deep)}`` from the README's course table."""
    found = {}
    for line in (ROOT / "README.md").read_text().splitlines():
        match = re.match(r"^\| \[\d\w* · .*?\]\(notebooks/(?P<stem>[^)]+)\.ipynb\).*?\|"
                         r" (?P<core>\d+) min \| (?P<deep>\d+) min \|", line)  # fmt: skip
        if match:
            found[match["stem"]] = (int(match["core"]), int(match["deep"]))
    return found


def test_the_readme_table_gives_each_notebooks_core_and_deep_dive_time():
    assert readme_times() == {path.stem: minutes(path) for path in COURSE}


def source_map():
    """``{question or term: [links]}`` from the map in docs/teaching.md."""
    text = TEACHING.read_text().split("## Where the core path answers the source notes", 1)[1]
    found = {}
    for line in text.split("\n## ", 1)[0].splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 2 and "](" in cells[1]:
            found[cells[0].strip("*")] = re.findall(r"\]\(([^)\s]+)\)", cells[1])
    return found


def kind_of(notebook, anchor):
    """ "Core path" or "Deep dive" for the section of ``notebook`` whose anchor is given."""
    top = None
    for section in sections(notebook):
        top = section if section.level == 2 else top
        if lab_anchor(section.title) == anchor:
            deep = section.deep or (top is not None and top.deep)
            return "Deep dive" if deep else "Core path"
    return None


def test_every_source_question_and_term_is_answered_on_the_core_path():
    answered = source_map()
    assert sorted(answered) == sorted(SOURCE_NOTES), "the map in docs/teaching.md"
    off_path = []
    for item, targets in answered.items():
        for target in targets:
            page, _, anchor = target.partition("#")
            if kind_of((TEACHING.parent / page).resolve(), anchor) != "Core path":
                off_path.append(f"{item}: {target}")
    assert off_path == []


@pytest.mark.parametrize("path", COURSE, ids=lambda p: p.stem)
def test_the_core_cells_alone_run_in_a_fresh_kernel(path):
    """Skipping every deep dive breaks nothing: no core cell needs a name a deep dive made."""
    notebook = core_notebook(path)
    kept = sum(cell.cell_type == "code" for cell in notebook.cells)
    total = sum(c.cell_type == "code" for c in nbformat.read(path, as_version=4).cells)
    client = NotebookClient(
        notebook, timeout=180, kernel_name="python3", resources={"metadata": {"path": path.parent}}
    )
    client.execute()  # raises CellExecutionError on a cell that fails without being tagged to
    false = [statement for statement, verdict in claims(notebook) if verdict != "True"]
    assert false == [], f"{path.name}, core cells only ({kept} of {total} code cells)"
