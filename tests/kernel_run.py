"""Run a notebook's cells in a real Jupyter kernel, the way JupyterLab does.

nbval sends one cell, waits for it, then sends the next. JupyterLab's "Run All"
sends every cell at once and lets the kernel queue them; a kernel or library that
mishandles that queue (nest_asyncio 1.6 with ipykernel 7 did) drops cells silently.
These helpers let the tests do both.
"""

import contextlib
import os
import queue
import re
import secrets
import subprocess
import sys
from pathlib import Path

import nbformat
from jupyter_client.manager import start_new_kernel

from labsupport.lab.processes import OWNER_VARIABLE

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))
REPLY_TIMEOUT = 120  # seconds for the slowest cell of any notebook
COURSE_PROGRAMS = (
    "labsupport.lab.run_server",
    "labsupport-chromium",
    "redis-server",
    "multiprocessing.forkserver",
)  # notebook 05b's processes (forked.py)


def code_cells(path):
    """(source, expects_error) for each non-empty code cell of the notebook at ``path``."""
    notebook = nbformat.read(path, as_version=4)
    return [
        (cell.source, "raises-exception" in cell.metadata.get("tags", []))
        for cell in notebook.cells
        if cell.cell_type == "code" and cell.source.strip()
    ]


@contextlib.contextmanager
def kernel(cwd, owner=None, env=None):
    """A fresh kernel started in ``cwd``; shut down (as closing a notebook does) afterwards.

    ``owner`` becomes the kernel's ``LABSUPPORT_OWNER``: every process it starts carries
    that mark (see ``labsupport.lab.processes``), so ``processes_of(owner)`` finds them.
    ``env`` adds environment variables (``{"TMPDIR": folder}``, ``{"COURSE_SEED": "2"}``).
    """
    env = {**os.environ, **({OWNER_VARIABLE: owner} if owner else {}), **(env or {})}
    manager, client = start_new_kernel(kernel_name="python3", cwd=str(cwd), env=env)
    try:
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=False)


def new_owner():
    """A mark no other kernel, test or learner on this machine uses."""
    return f"test-{os.getpid()}-{secrets.token_hex(4)}"


def processes_of(owner, programs=COURSE_PROGRAMS):
    """Command lines of running processes that carry ``LABSUPPORT_OWNER=owner``
    (and run one of ``programs``): another learner's Chromium or Redis never counts."""
    mark = f"{OWNER_VARIABLE}={owner}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:  # not a process, gone already, or not ours to read
            continue
        if mark in environ and any(p in cmdline for p in programs):
            found.append(cmdline)
    return found


def command_lines(*marks):
    """Command lines (their first 120 characters) of running processes that name any of
    ``marks``: a broker's folder, say, or its epmd's ``-port N``."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # not a process, gone already, or not ours to read
            continue
        if any(mark in line for mark in marks):
            found.append(line[:120])
    return found


def send(client, cells):
    """Send every cell without waiting, as Run All does; return the message ids."""
    return [
        client.execute(source, stop_on_error=not expects_error, store_history=True)
        for source, expects_error in cells
    ]


def replies(client, msg_ids):
    """Collect the shell reply of each message id, in order of ``msg_ids``."""
    found, wanted = {}, set(msg_ids)
    while len(found) < len(wanted):
        try:
            reply = client.get_shell_msg(timeout=REPLY_TIMEOUT)
        except queue.Empty:
            break
        parent = reply["parent_header"].get("msg_id")
        if parent in wanted:  # not a late reply to the start-up's kernel_info requests
            found[parent] = reply["content"]
    return [found.get(msg_id, {"status": "no reply"}) for msg_id in msg_ids]


def problems(cells, contents):
    """Describe each cell whose reply is not what it should be; empty when all is well."""
    found = []
    for number, ((source, expects_error), content) in enumerate(
        zip(cells, contents, strict=True), 1
    ):
        wanted = "error" if expects_error else "ok"
        if content["status"] != wanted:
            detail = content.get("evalue") or content.get("ename") or ""
            first_line = source.splitlines()[0]
            found.append(f"cell {number} ({first_line!r}): {content['status']} {detail}".strip())
    return found


def run_one(client, cell):
    """Run one cell as nbval does; return its reply and what it printed, by stream name
    (``{"stdout": "..."}``), as nbformat would store it."""
    (msg_id,) = send(client, [cell])
    (content,) = replies(client, [msg_id])
    printed = {}
    if content["status"] == "no reply":
        return content, printed
    while True:  # the kernel says "idle" for a cell after its last output
        try:
            message = client.get_iopub_msg(timeout=REPLY_TIMEOUT)
        except queue.Empty:
            break
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        kind, body = message["msg_type"], message["content"]
        if kind == "stream":
            printed[body["name"]] = printed.get(body["name"], "") + body["text"]
        elif kind == "status" and body["execution_state"] == "idle":
            break
    return content, printed


CLAIM = re.compile(r"^claim: (?P<statement>.*): (?P<verdict>True|False)$", re.MULTILINE)


def claims_in(texts):
    """(statement, verdict) of every ``claim:`` line in ``texts`` (printed outputs), in order."""
    return [(m["statement"], m["verdict"]) for text in texts for m in CLAIM.finditer(text)]


def claims(notebook):
    """(statement, verdict) of every claim line in a notebook's text outputs, in order."""
    return claims_in(
        output.text
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "stream"
    )


def claim_problems(committed, fresh, where):
    """What is wrong with the claims of a run, against the committed notebook's: another
    list of statements, or a verdict that is not True. Empty when all is well."""
    found = []
    if [s for s, _ in fresh] != [s for s, _ in committed]:
        found.append(f"{where}: the claims differ from the committed run: {fresh!r}")
    found += [f"{where}: {s}: {v}" for s, v in fresh if v != "True"]
    return found


# Two of the seed rounds of test_claims_any_seed.py are other tests' runs: JupyterLab's
# Run All in a browser (test_jupyterlab.py) runs on seed 2, and the busy-machine round,
# nbval's second run of every cell (notebook_runs.py), on seed 4 beside a spinning core.
JUPYTERLAB_SEED = 2
BUSY_SEED = 4


@contextlib.contextmanager
def busy_cpu():
    """A process that spins on one core for as long as the block runs."""
    # it also stops by itself after 15 minutes, should the test die before killing it
    spin = "import time\nend = time.monotonic() + 900\nwhile time.monotonic() < end: pass"
    hog = subprocess.Popen([sys.executable, "-c", spin])
    try:
        yield
    finally:
        hog.kill()
        hog.wait()


def run_cells(cwd, cells, owner=None, env=None):
    """Execute ``cells`` ((source, expects_error) pairs, as ``code_cells`` gives) one by
    one, as nbval does, in a fresh kernel started in ``cwd``, then close it.

    Returns ``(problems, leftovers)``: what ``problems`` says of the replies (empty when
    every cell did what it should), and the command lines of the processes with the
    kernel's ``owner`` mark still running after it closed (empty when nothing leaked).
    """
    owner = owner or new_owner()
    with kernel(cwd, owner, env) as client:
        contents = [replies(client, send(client, [cell]))[0] for cell in cells]
    return problems(cells, contents), processes_of(owner)
