"""Run a notebook's cells in a real Jupyter kernel, the way JupyterLab does.

nbval sends one cell, waits for it, then sends the next. JupyterLab's "Run All"
sends every cell at once and lets the kernel queue them; a kernel or library that
mishandles that queue (nest_asyncio 1.6 with ipykernel 7 did) drops cells silently.
These helpers let the tests do both.
"""

import contextlib
import queue
from pathlib import Path

import nbformat
from jupyter_client.manager import start_new_kernel

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))
REPLY_TIMEOUT = 120  # seconds for the slowest cell of any notebook


def code_cells(path):
    """(source, expects_error) for each non-empty code cell of the notebook at ``path``."""
    notebook = nbformat.read(path, as_version=4)
    return [
        (cell.source, "raises-exception" in cell.metadata.get("tags", []))
        for cell in notebook.cells
        if cell.cell_type == "code" and cell.source.strip()
    ]


@contextlib.contextmanager
def kernel(cwd):
    """A fresh kernel started in ``cwd``; shut down (as closing a notebook does) afterwards."""
    manager, client = start_new_kernel(kernel_name="python3", cwd=str(cwd))
    try:
        yield client
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=False)


def send(client, cells):
    """Send every cell without waiting, as Run All does; return the message ids."""
    return [
        client.execute(source, stop_on_error=not expects_error, store_history=True)
        for source, expects_error in cells
    ]


def replies(client, msg_ids):
    """Collect the shell reply of each message id, in order of ``msg_ids``."""
    found = {}
    while len(found) < len(msg_ids):
        try:
            reply = client.get_shell_msg(timeout=REPLY_TIMEOUT)
        except queue.Empty:
            break
        found[reply["parent_header"].get("msg_id")] = reply["content"]
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
