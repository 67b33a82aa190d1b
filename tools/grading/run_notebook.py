"""Run one learner's notebook in a fresh kernel and read every exercise's verdict from it.

Not a lesson: teacher tooling for ``./course grade`` (tools/grade.py), which starts
``python -m tools.grading.run_notebook JOB.json`` inside the grading namespaces
(``isolation.py``) and reads the result file this writes after every cell.

The verdicts are the lines the course's checkers print (``Exercise.check`` in
labsupport/exercises/checks.py): ``Correct (TITLE). note``, ``Not attempted yet (TITLE). why``,
``Not quite (TITLE). why``. A line counts only in the output of a cell that calls that
exercise's ``qN.check``; when a cell calls it twice, the last verdict wins.

Cells run one at a time, as nbval does. An error or a time-out in an exercise cell
costs that exercise only (a timed-out cell is interrupted, and grading goes on if the
kernel answers again); anywhere else it stops the notebook, and every exercise not
graded yet is "not reached", with the cell and the error that stopped it.
"""

import asyncio
import json
import os
import queue
import sys
import time

import nbformat
from jupyter_core.utils import ensure_async
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

from labsupport.exercises.checks import Exercise

from . import isolation
from .submissions import CHECK_CALL

OUTCOMES = {label: outcome for outcome, label in Exercise.LABELS.items()}  # "Not quite": ...
RECOVERY_TIMEOUT = 15  # s for an interrupted kernel to answer again
PROBLEM_VERDICTS = {"timeout": "timed out", "error": "error", "dead": "kernel died",
                    "start": "could not run"}  # fmt: skip


def where(index, cell):
    """``cell 12 (`while True:`)``: how a teacher finds the cell (1 = the first cell)."""
    first = cell.source.strip().splitlines()[0].strip()
    return f"cell {index + 1} (`{first[:50]}{'…' if len(first) > 50 else ''}`)"


def verdicts_in(cell, titles):
    """``(title, outcome, message)`` for each verdict line in ``cell``'s printed output."""
    printed = "".join(
        out.get("text", "") for out in cell.outputs if out.get("output_type") == "stream"
    )
    for line in printed.splitlines():
        for label, outcome in OUTCOMES.items():
            for title in titles:
                if line.startswith(head := f"{label} ({title})."):
                    yield title, outcome, line[len(head) :].strip()


class Grading:
    """One notebook's grading: the verdicts so far, saved to ``job['result']`` as it goes."""

    def __init__(self, job):
        self.job = job
        self.titles = dict(job["exercises"])  # q1 -> "q1, a handler that acknowledges"
        self.exercises = {}  # q1 -> {"verdict": ..., "message": ...}
        self.notebook = {"verdict": "running", "message": ""}
        self.troubles = []  # (kind, text) of time-outs the notebook survived
        self.leftovers = []

    def save(self):
        result = {"exercises": self.exercises, "notebook": self.notebook,
                  "leftovers": self.leftovers}  # fmt: skip
        temporary = self.job["result"] + ".part"
        with open(temporary, "w") as file:
            json.dump(result, file, indent=1)
        os.replace(temporary, self.job["result"])

    def record(self, names, verdict, message):
        for name in names:
            self.exercises[name] = {"verdict": verdict, "message": message}

    def read_verdicts(self, cell, names):
        """Record the verdicts of the exercises ``names`` that ``cell`` checks."""
        by_title = {self.titles[name]: name for name in names}
        for title, outcome, message in verdicts_in(cell, by_title):
            self.record([by_title[title]], outcome, message)

    async def execute(self, client, index, cell, limit, limited_by_notebook):
        """Run one cell; ``None`` if it went well, else ``(kind, what happened)``."""
        client.timeout = max(1, int(limit))
        try:
            await client.async_execute_cell(cell, index)
        except CellTimeoutError:
            if limited_by_notebook:
                return "timeout", f"{where(index, cell)} was still running when the " \
                    f"notebook's {self.job['notebook_timeout']} s ran out"  # fmt: skip
            return "timeout", f"{where(index, cell)} was still running after {int(limit)} s"
        except DeadKernelError:
            return "dead", f"the kernel died in {where(index, cell)}"
        except CellExecutionError as error:
            return "error", f"{where(index, cell)} raised {error.ename}: {error.evalue}"
        return None

    async def recovered(self, client):
        """Interrupt the kernel (Ctrl-C, as JupyterLab's stop button), then wait until it
        runs code again: right after an error it aborts what it was sent, for a moment."""
        await ensure_async(client.km.interrupt_kernel())
        deadline = time.monotonic() + RECOVERY_TIMEOUT
        while time.monotonic() < deadline:
            if await self.answer(client, deadline) == "ok":
                return True
            await asyncio.sleep(0.2)
        return False

    async def answer(self, client, deadline):
        """Run ``pass``; the status of its reply ("ok", "aborted"...), or None if none came."""
        msg_id = client.kc.execute("pass", store_history=False)
        while (left := deadline - time.monotonic()) > 0:
            try:
                reply = await client.kc.get_shell_msg(timeout=left)
            except queue.Empty:
                return None
            if reply["parent_header"].get("msg_id") == msg_id:
                return reply["content"]["status"]
        return None

    async def run_cells(self, client, notebook):
        """Run the cells in order; return ``None``, or ``(kind, why)`` if the notebook stopped."""
        deadline = time.monotonic() + self.job["notebook_timeout"]
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type != "code" or not cell.source.strip():
                continue
            left = deadline - time.monotonic()
            if left < 1:
                return "timeout", f"the notebook's {self.job['notebook_timeout']} s ran out " \
                    f"before {where(index, cell)}"  # fmt: skip
            limit = min(self.job["cell_timeout"], left)
            by_notebook = left <= self.job["cell_timeout"]  # the notebook limit comes first
            problem = await self.execute(client, index, cell, limit, by_notebook)
            names = [name for name in CHECK_CALL.findall(cell.source) if name in self.titles]
            self.read_verdicts(cell, names)
            self.save()
            if problem is None:
                continue
            stop = await self.after_problem(client, problem, names, by_notebook)
            if stop:
                return stop
        return None

    async def after_problem(self, client, problem, names, notebook_out_of_time):
        """An exercise cell's error or time-out costs that exercise; any other stops us."""
        kind, text = problem
        unanswered = [name for name in names if name not in self.exercises]
        if not names or kind == "dead" or notebook_out_of_time:
            return problem
        if kind == "error":
            self.record(unanswered, "incorrect", f"{text}, before a verdict was printed")
            return None
        self.record(unanswered, "timed out", f"{text}; it was interrupted")
        if await self.recovered(client):
            self.troubles.append((kind, f"{text}; it was interrupted and the rest ran"))
            return None
        return kind, f"{text}, and the kernel did not answer after an interrupt"

    def finish(self, stop, notebook):
        """Give every exercise without a verdict one that says why, and the notebook its own."""
        checked = {name for cell in notebook.cells if cell.cell_type == "code"
                   for name in CHECK_CALL.findall(cell.source)}  # fmt: skip
        for name in self.titles:
            if name in self.exercises:
                continue
            if stop:
                self.record([name], "not reached", f"the notebook stopped first: {stop[1]}")
            elif name not in checked:
                self.record([name], "missing", f"no cell calls {name}.check(...): the "
                            "exercise's cell was deleted or changed")  # fmt: skip
            else:
                self.record([name], "missing", f"{name}.check(...) ran but printed no verdict")
        trouble = stop or (self.troubles[0] if self.troubles else None)
        verdict = PROBLEM_VERDICTS[trouble[0]] if trouble else "completed"
        self.notebook = {"verdict": verdict, "message": trouble[1] if trouble else ""}


def fresh_copy(path):
    """The learner's notebook with every output cleared: only what runs now counts."""
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return notebook


async def grade(job):
    grading = Grading(job)
    stop, started = None, time.monotonic()
    try:
        if os.environ.get(isolation.ISOLATED) == "1":
            isolation.loopback_up()
        notebook = fresh_copy(job["notebook"])
    except Exception as error:  # not a notebook, or no loopback: nothing can run
        grading.finish(("start", f"could not start: {error}"), nbformat.v4.new_notebook())
        grading.save()
        return
    client = NotebookClient(notebook, kernel_name="python3",
                            resources={"metadata": {"path": job["cwd"]}})  # fmt: skip
    try:
        async with client.async_setup_kernel():
            stop = await grading.run_cells(client, notebook)
    except Exception as error:  # the kernel would not start, or not stop
        stop = stop or ("start", f"the kernel could not run it: {error!r}")
    grading.finish(stop, notebook)
    grading.notebook["seconds"] = round(time.monotonic() - started)
    nbformat.write(notebook, job["executed"])
    grading.save()
    everyone = os.environ.get(isolation.ISOLATED) == "1"
    grading.leftovers = isolation.sweep(os.environ.get(isolation.MARKER, ""), everyone)
    grading.save()


if __name__ == "__main__":
    with open(sys.argv[1]) as file:
        asyncio.run(grade(json.load(file)))
