"""Every claim a notebook makes holds on other seeds and on a busy machine.

A notebook proves each stated result with a ``claim:`` line computed from its own
measurements (``labsupport.lab.evidence.claim``). nbval checks that the committed run
reproduces; this test checks that the committed run was not luck. It runs every
notebook again with other seeds (``COURSE_SEED``, which every seeded experiment reads
through ``evidence.SEED``), once of them while a busy process competes for the CPU, and
requires each claim to print True again, as many claims as the committed notebook
has. (A notebook with no seeded experiment runs only the busy-machine round: another
seed would change nothing in it.) The other outputs are allowed to differ: numbers move
with the seed (and a claim's statement may quote a measured number, so only the count and
the verdicts are compared).
"""

import contextlib
import re
import subprocess
import sys

import nbformat
import pytest
from kernel_run import NOTEBOOKS
from nbclient import NotebookClient

CLAIM = re.compile(r"^claim: (?P<statement>.*): (?P<verdict>True|False)$", re.MULTILINE)
# (seed, whether a busy process competes for the CPU meanwhile); the committed run uses 1
RUNS = [(2, False), (3, False), (4, True), (5, False), (6, False)]
SOLVED = [path for path in NOTEBOOKS if not path.stem.endswith("_starter")]


def seeded(path):
    """Does the notebook run an experiment that takes its seed from ``evidence``?"""
    code = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    return any("evidence.seed(" in source for source in code)


# A seed changes nothing in a notebook without a seeded experiment: those run once more,
# on the busy machine; a seeded one runs with every seed of RUNS.
CASES = [(path, seed, busy) for path in SOLVED for seed, busy in RUNS if busy or seeded(path)]


def claims(notebook):
    """(statement, verdict) of every claim line in the notebook's text outputs, in order."""
    found = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream":
                found += [(m["statement"], m["verdict"]) for m in CLAIM.finditer(output.text)]
    return found


@contextlib.contextmanager
def busy_cpu(enabled):
    """A process that spins on one core for as long as the block runs."""
    if not enabled:
        yield
        return
    # it also stops by itself after 15 minutes, should this test die before killing it
    spin = "import time\nend = time.monotonic() + 900\nwhile time.monotonic() < end: pass"
    hog = subprocess.Popen([sys.executable, "-c", spin])
    try:
        yield
    finally:
        hog.kill()
        hog.wait()


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_no_committed_claim_is_false(path):
    """A notebook committed with a False claim contradicts its own prose (nbval would not
    notice: it only checks that the False comes back)."""
    false = [s for s, verdict in claims(nbformat.read(path, as_version=4)) if verdict != "True"]
    assert false == []


@pytest.mark.parametrize(
    ("path", "seed", "busy"), CASES, ids=[f"{p.stem}-seed{s}{'-busy' * b}" for p, s, b in CASES]
)
def test_every_claim_holds_on_another_seed(path, seed, busy, monkeypatch):
    committed = claims(nbformat.read(path, as_version=4))
    monkeypatch.setenv("COURSE_SEED", str(seed))
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, timeout=180, kernel_name="python3", resources={"metadata": {"path": path.parent}}
    )
    with busy_cpu(busy):
        client.execute()
    fresh = claims(notebook)
    assert [s for s, _ in fresh] == [s for s, _ in committed], (
        "the claims differ from the committed run"
    )
    failed = [statement for statement, verdict in fresh if verdict != "True"]
    assert failed == [], f"with COURSE_SEED={seed}{' on a busy machine' if busy else ''}"
