"""Every notebook survives a second run in the same kernel, and a closed kernel leaves
nothing running.

nbval (run by the same pytest command) checks each output against the committed one;
``test_jupyterlab.py`` presses Run All in a real JupyterLab. The learner's copy of
notebook 07 differs from the solved one only in its four stage cells, so it is not run
twice here.

Leak checks count only the processes their own kernel started (each kernel gets its own
``LABSUPPORT_OWNER`` mark), so other learners on the same machine never count.
"""

import os
import time
from pathlib import Path

import pytest
from jupyter_client.manager import start_new_kernel
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

from labsupport.processes import OWNER_VARIABLE

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


def _descendants(pid):
    """``{pid: state}`` of every process below ``pid`` (``Z``: exited, not yet reaped)."""
    table = {}
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # not a process, or gone already
            continue
        state, parent = stat[stat.rindex(")") + 2 :].split()[:2]
        if entry.name.isdigit():
            table[int(entry.name)] = (state, int(parent))
    found, frontier = {}, {pid}
    while frontier:
        frontier = {child for child, (_, parent) in table.items() if parent in frontier}
        found |= {child: table[child][0] for child in frontier}
    return found


def _still_there(pids):
    """Those of ``pids`` that still exist, running or defunct (a zombie is still listed)."""
    return [pid for pid in pids if Path(f"/proc/{pid}").exists()]


def test_closing_notebook_05b_kernel_is_quick_and_leaves_no_process_not_even_defunct():
    """05b starts real processes from a forkserver: closing its kernel (no stop_all) must
    be as quick as for any notebook, and leave nothing: no child, no orphan, no zombie.

    jupyter_client would kill a kernel that is slow to exit (SIGTERM after half its
    ``shutdown_wait_time``), which hides a slow exit and skips the registry's clean-up:
    here it waits, so the kernel has to exit by itself."""
    cells = [
        ("import pathlib, tempfile\nfrom labsupport import crash_points", False),
        ("run = crash_points.run(6, 'b')  # a hub, a consumer, a producer; one killed", False),
        ("left = crash_points.start_hub('left', pathlib.Path(tempfile.mkdtemp()), 'a', None)",
         False),
    ]  # fmt: skip
    owner = new_owner()
    env = {**os.environ, OWNER_VARIABLE: owner}
    manager, client = start_new_kernel(kernel_name="python3", cwd=str(NOTEBOOKS[0].parent), env=env)
    manager.shutdown_wait_time = 60  # it must exit by itself: no SIGTERM, SIGKILL from here
    try:
        assert problems(cells, replies(client, send(client, cells))) == []
        kernel = manager.provisioner.process.pid
        started = _descendants(kernel)
        assert len(started) >= 2  # the forkserver and the hub left running, at least
    finally:
        client.stop_channels()
        began = time.monotonic()
        manager.shutdown_kernel(now=False)
    while _still_there([kernel, *started]) and time.monotonic() - began < 30:
        time.sleep(0.1)
    took = time.monotonic() - began
    left = {pid: started.get(pid, "kernel") for pid in _still_there([kernel, *started])}
    assert left == {}, f"still there after {took:.1f} s (Z: defunct): {left}"
    assert took < 10, f"the kernel and its processes took {took:.1f} s to go"
