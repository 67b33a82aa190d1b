"""Every notebook survives a second run in the same kernel, and a closed kernel leaves
nothing running.

nbval (run by the same pytest command) checks each output against the committed one;
``test_jupyterlab.py`` presses Run All in a real JupyterLab. The learner's copy of
notebook 07 differs from the solved one only in its four stage cells, so it is not run
twice here.

Leak checks count only the processes their own kernel started (each kernel gets its own
``LABSUPPORT_OWNER`` mark), so other learners on the same machine never count.
"""

import pytest
from kernel_run import (
    NOTEBOOKS,
    code_cells,
    kernel,
    new_owner,
    problems,
    processes_of,
    replies,
    send,
)

TWICE = [path for path in NOTEBOOKS if not path.stem.endswith("_starter")]


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found in notebooks/"


@pytest.mark.parametrize("path", TWICE, ids=[path.stem for path in TWICE])
def test_whole_notebook_runs_twice_in_one_kernel(path):
    cells, owner = code_cells(path), new_owner()
    with kernel(path.parent, owner) as client:
        for run in (1, 2):
            contents = [replies(client, send(client, [cell]))[0] for cell in cells]
            assert problems(cells, contents) == [], f"run {run}"
    assert processes_of(owner) == [], "a server process outlived its kernel"


def test_closing_a_kernel_stops_what_it_started_without_stop_all():
    """As a learner closing a tab would: no stop_all(), just a kernel shutdown."""
    cells = [
        ("from labsupport import processes, servers, examples", False),
        ("p = processes.start_python_server('left-running', 'labsupport.examples:echo_server')",
         False),
        ("s = servers.serve_socketio(examples.echo_server(), name='thread-server')", False),
        ("print(p.pid)", False),
    ]  # fmt: skip
    owner = new_owner()
    with kernel(NOTEBOOKS[0].parent, owner) as client:
        contents = replies(client, send(client, cells))
        assert problems(cells, contents) == []
        assert len(processes_of(owner)) == 1  # the process server is running now
    assert processes_of(owner) == []
