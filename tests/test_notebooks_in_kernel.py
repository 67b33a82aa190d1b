"""A closed kernel leaves nothing running and nothing in /tmp.

Every notebook's own run is checked by nbval, and by the item ``notebook_runs.py`` adds
after nbval's last cell, on the same kernel: every cell again (Run All twice in one kernel
works), then the kernel closed, and nothing of it left running or in its ``TMPDIR``.
``test_jupyterlab.py`` presses Run All in a real JupyterLab.

Leak checks count only the processes their own kernel started (each kernel gets its own
``LABSUPPORT_OWNER`` mark), so other learners on the same machine never count.
"""

import os
import signal

from kernel_run import NOTEBOOKS, kernel, new_owner, problems, processes_of, replies, send

from labsupport import scratch


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found in notebooks/"


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
        folder, *inside = printed(client, "print(labsupport.scratch.FOLDER, made, child.stdout)")
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
        (folder,) = printed(client, "import labsupport; print(labsupport.scratch.FOLDER)")
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
