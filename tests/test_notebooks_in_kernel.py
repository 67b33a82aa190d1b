"""Every notebook survives a second run in the same kernel, and a closed kernel leaves
nothing running.

nbval (run by the same pytest command) checks each output against the committed one;
``test_jupyterlab.py`` presses Run All in a real JupyterLab. The learner's copy of
notebook 07 differs from the solved one only in its four stage cells, so it is not run
twice here.
"""

import os
from pathlib import Path

import pytest
from kernel_run import NOTEBOOKS, code_cells, kernel, problems, replies, send

TWICE = [path for path in NOTEBOOKS if not path.stem.endswith("_starter")]


COURSE_PROGRAMS = ("labsupport.serve", "labsupport-chromium", "redis-server")


def course_processes():
    """Command lines of running course processes: servers, headless Chromium, Redis.

    The test session's own Redis (a child of this pytest process) does not count.
    """
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and entry.name != str(os.getpid()):
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            if any(p in cmdline for p in COURSE_PROGRAMS) and parent != os.getpid():
                found.append(cmdline)
    return found


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found in notebooks/"


@pytest.mark.parametrize("path", TWICE, ids=[path.stem for path in TWICE])
def test_whole_notebook_runs_twice_in_one_kernel(path):
    cells = code_cells(path)
    with kernel(path.parent) as client:
        for run in (1, 2):
            contents = [replies(client, send(client, [cell]))[0] for cell in cells]
            assert problems(cells, contents) == [], f"run {run}"
    assert course_processes() == [], "a server process outlived its kernel"


def test_closing_a_kernel_stops_what_it_started_without_stop_all():
    """As a learner closing a tab would: no stop_all(), just a kernel shutdown."""
    cells = [
        ("from labsupport import processes, servers, examples", False),
        ("p = processes.start_python_server('left-running', 'labsupport.examples:echo_server')",
         False),
        ("s = servers.serve_socketio(examples.echo_server(), name='thread-server')", False),
        ("print(p.pid)", False),
    ]  # fmt: skip
    with kernel(NOTEBOOKS[0].parent) as client:
        contents = replies(client, send(client, cells))
        assert problems(cells, contents) == []
        assert len(course_processes()) == 1  # the process server is running now
    assert course_processes() == []
