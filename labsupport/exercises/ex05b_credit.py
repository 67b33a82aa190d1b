"""Exercise q3 of notebook 05b (choose the credit N for a target memory), checked over
real processes. A file of its own because it runs a credit hub, not the crash harness
of q1 and q2; the notebook imports it with them: ``from labsupport.exercises.ex05b
import q1, q2, q3``."""

import tempfile
from pathlib import Path

import requests

from labsupport.credit import DiskWindowQueue
from labsupport.exercises._support import whole_number
from labsupport.exercises.checks import Exercise, Incorrect, Problem
from labsupport.lab import processes
from labsupport.lab.clients import SimpleClient

PROGRAM = "labsupport.production.flow_program:from_environment"


def fill_to(size):
    """A job payload whose JSON is exactly ``size`` bytes (a string: its two quotes count)."""
    return "x" * (size - 2)


def drain(url, client_id, credit, count):
    """A consumer with ``credit`` takes ``count`` jobs, acknowledging each; the hub's window."""
    with SimpleClient() as app:
        app.connect(url, auth={"clientId": client_id, "credit": credit})
        app.call("getAll", {"clientId": client_id, "event": "job"})
        for _ in range(count):
            _, message = app.receive(timeout=10)
            app.call("received", {k: message[k] for k in ("clientId", "event", "messageId")})
    return requests.get(f"{url}/memory", timeout=5).json()["window"][client_id]


class ChooseCredit(Problem):
    title = "q3, credit for a memory budget"
    cases = [(500_000, 20_000), (300_000, 40_000)]  # (target bytes, bytes per job)
    hints = (
        "Section 4, 'Acknowledgements as credit': the hub keeps every message in flight "
        "in memory, until its acknowledgement; the window holds at most N of them.",
        "So the hub holds at most N × job_bytes for this consumer. You want the largest "
        "whole N with N × job_bytes <= target_bytes.",
        "That is integer division: `target_bytes // job_bytes`.",
    )
    solution = """
def choose_credit(target_bytes, job_bytes):
    return target_bytes // job_bytes


q3.check(choose_credit)
"""
    why = """
Each message in flight stays in the hub's memory until its acknowledgement arrives, so
N messages of job_bytes each cost N × job_bytes. The largest N that fits is the floor
of the division; any larger and the budget is broken, any smaller and throughput is
given away (section 4's plot: more in flight hides more of each round trip).
"""

    def verify(self, choose_credit):
        self.expect_attempted(choose_credit, in_source=True)
        answers = [self._answer(choose_credit, *case) for case in self.cases]
        with tempfile.TemporaryDirectory(prefix="q3-") as folder:
            hub = self._start_hub(Path(folder) / "jobs.db")
            try:
                return self._judge_all(hub.url, answers, Path(folder) / "jobs.db")
            finally:
                hub.stop()

    def _answer(self, choose_credit, target, job):
        return whole_number(choose_credit, (target, job), "the credit",
                            "with a credit below 1 the hub would never send a single "
                            "job.")  # fmt: skip

    def _start_hub(self, path):
        """A real credit hub on 127.0.0.1, its backlog on disk: a little more than fits."""
        store = DiskWindowQueue(str(path), "NORMAL")
        for case, (target, job) in enumerate(self.cases):
            for _ in range(target // job + 2):
                store.enqueue(f"consumer-{case}", "job", fill_to(job))
        store.close()
        return processes.start_python_server("q3-credit-hub", PROGRAM, env={"FLOW_DB": str(path)})

    def _judge_all(self, url, answers, path):
        notes = []
        for case, ((target, job), n) in enumerate(zip(self.cases, answers, strict=True)):
            count = target // job + 2
            most, held = drain(url, f"consumer-{case}", n, count)
            notes.append(self._judge(target, job, n, most, held))
        return "; ".join(notes) + "."

    def _judge(self, target, job, n, most, held):
        measured = (f"with N = {n} the hub held at most {most} jobs, {held:,} bytes, "
                    "in flight")  # fmt: skip
        if held > target:
            slip = ""
            if n == -(-target // job):
                slip = " Round down, not up: part of a message cannot be in flight."
            elif n >= target:
                slip = " That N is a number of bytes: the credit counts messages."
            raise Incorrect(f"For a target of {target:,} bytes and jobs of {job:,} bytes, "
                            f"{measured}: over the target.{slip}")  # fmt: skip
        if (n + 1) * job <= target:
            raise Incorrect(f"For a target of {target:,} bytes and jobs of {job:,} bytes, "
                            f"{measured}: within it, but N = {n + 1} would fit too, and a "
                            "larger window is more throughput: take the largest N that "
                            "fits.")  # fmt: skip
        return f"{target:,} bytes of {job:,}-byte jobs: N = {n}, measured {held:,} bytes"


q3 = Exercise(ChooseCredit())
