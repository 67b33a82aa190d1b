"""A closed kernel leaves nothing running and nothing in /tmp.

Every notebook's own run is checked by nbval, and by the item ``notebook_runs.py`` adds
after nbval's last cell, on the same kernel: every cell again (Run All twice in one kernel
works; that run is also the busy-machine round of every claim, on seed 4), then the kernel
closed, and nothing of it left running or in its ``TMPDIR``.
``test_jupyterlab.py`` presses Run All in a real JupyterLab.

Leak checks count only the processes their own kernel started (each kernel gets its own
``LABSUPPORT_OWNER`` mark), so other learners on the same machine never count.
"""

import os
import signal
import time
from pathlib import Path

import nbformat
from jupyter_client.manager import start_new_kernel
from kernel_run import (
    NOTEBOOKS,
    claim_problems,
    kernel,
    new_owner,
    problems,
    processes_of,
    replies,
    send,
)
from notebook_runs import busy_claims, busy_round

from labsupport.lab import scratch
from labsupport.lab.processes import OWNER_VARIABLE


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found in notebooks/"


def test_closing_a_kernel_stops_what_it_started_without_stop_all():
    """As a learner closing a tab would: no stop_all(), just a kernel shutdown."""
    cells = [
        ("from labsupport.lab import processes, servers, examples", False),
        ("p = processes.start_python_server('left-running', 'labsupport.lab.examples:echo_server')",
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


def test_a_kernel_keeps_its_temporary_files_in_one_folder_and_removes_it(tmp_path):
    """tempfile, and every program the kernel starts, write under the kernel's folder."""
    cells = [
        ("import tempfile, subprocess, sys, labsupport", False),
        ("made = tempfile.mkdtemp(prefix='capture-')", False),
        ("child = subprocess.run([sys.executable, '-c', 'import tempfile; "
         "print(tempfile.mkdtemp(prefix=\"credit-\"))'], capture_output=True, text=True)",
         False),
    ]  # fmt: skip
    with kernel(NOTEBOOKS[0].parent, new_owner(), {"TMPDIR": str(tmp_path)}) as client:
        assert problems(cells, replies(client, send(client, cells))) == []
        folder, *inside = printed(
            client, "print(labsupport.lab.scratch.FOLDER, made, child.stdout)"
        )
        assert os.path.dirname(folder) == str(tmp_path)
        assert len(inside) == 2 and all(path.startswith(folder + os.sep) for path in inside)
        assert [entry.name for entry in tmp_path.iterdir()] == [os.path.basename(folder)]
    assert list(tmp_path.iterdir()) == []  # removed when the kernel shut down


def test_a_killed_kernels_folder_is_removed_by_the_next_kernel(tmp_path):
    """A kernel killed outright runs no exit code: the next one to start cleans up."""
    with kernel(NOTEBOOKS[0].parent, new_owner(), {"TMPDIR": str(tmp_path)}) as client:
        (pid,) = printed(client, "import os, labsupport; print(os.getpid())")
        os.kill(int(pid), signal.SIGKILL)
    (orphan,) = tmp_path.iterdir()  # nothing removed it: its kernel died at once
    assert orphan.name.startswith(f"{scratch.PREFIX}{pid}-")
    with kernel(NOTEBOOKS[0].parent, new_owner(), {"TMPDIR": str(tmp_path)}) as client:
        (folder,) = printed(client, "import labsupport; print(labsupport.lab.scratch.FOLDER)")
        assert [entry.name for entry in tmp_path.iterdir()] == [os.path.basename(folder)]
    assert list(tmp_path.iterdir()) == []


def printed(client, code):
    """Run ``code`` in the kernel; return the words it printed."""
    shown = []
    reply = client.execute_interactive(
        code, timeout=60, output_hook=lambda msg: shown.append(msg["content"].get("text", ""))
    )
    assert reply["content"]["status"] == "ok", reply["content"]
    return "".join(shown).split()


def test_the_second_run_is_the_busy_round_and_a_claim_true_on_one_seed_fails(tmp_path):
    """nbval's kernel runs every cell again on seed 4 (``notebook_runs.py``): a claim that
    holds only on the committed seed is False there, and one that holds on both is True."""

    def notebook(holds):
        cell = nbformat.v4.new_code_cell(
            f"from labsupport.lab import evidence\nevidence.claim('the seed', {holds})"
        )
        path = tmp_path / f"{len(list(tmp_path.iterdir()))}.ipynb"
        nbformat.write(nbformat.v4.new_notebook(cells=[cell]), path)
        return path

    with kernel(tmp_path) as client:
        on_both = busy_round(client, notebook("evidence.seed() in (1, 4)"))
        on_one = busy_round(client, notebook("evidence.seed() == 1"))
    assert busy_claims(on_both) == [("the seed", "True")]
    assert busy_claims(on_one) == [("the seed", "False")]
    committed = [("the seed", "True")]
    assert claim_problems(committed, busy_claims(on_both), "busy") == []
    assert claim_problems(committed, busy_claims(on_one), "busy") == ["busy: the seed: False"]
