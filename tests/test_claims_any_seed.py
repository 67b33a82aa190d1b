"""Every claim a notebook makes holds on other seeds and on a busy machine.

A notebook proves each stated result with a ``claim:`` line computed from its own
measurements (``labsupport.lab.evidence.claim``). nbval checks that the committed run
reproduces; this test checks that the committed run was not luck. It runs every
notebook with a seeded experiment again with other seeds (``COURSE_SEED``, which every
seeded experiment reads through ``evidence.SEED``) and requires each claim to print
True again, as many claims as the committed notebook has, with the same statements.
The other outputs are allowed to differ: numbers move with the seed.

Two of the rounds are not run here, because another test's execution of the notebook
serves them, with the same check of the claims (``kernel_run.claim_problems``):
- seed 2 is JupyterLab's Run All in a real browser (``test_jupyterlab.py``);
- the busy-machine round, seed 4 while a process spins on one core, is the second run
  of every cell in nbval's own kernel (``notebook_runs.py``), for every notebook, seeded
  or not.
So each notebook is executed twice less from the start, and every seed still runs.
"""

import nbformat
import pytest
from kernel_run import BUSY_SEED, JUPYTERLAB_SEED, NOTEBOOKS, claim_problems, claims
from nbclient import NotebookClient

# the committed run uses seed 1; JupyterLab's Run All seed 2; the busy round seed 4
SEEDS = [3, 5, 6]
SOLVED = [path for path in NOTEBOOKS if not path.stem.endswith("_starter")]


def seeded(path):
    """Does the notebook run an experiment that takes its seed from ``evidence``?"""
    code = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    return any("evidence.seed(" in source for source in code)


# A seed changes nothing in a notebook without a seeded experiment: it has only the busy
# round. A seeded one runs with every seed of SEEDS.
CASES = [(path, seed) for path in SOLVED if seeded(path) for seed in SEEDS]
assert {1, JUPYTERLAB_SEED, BUSY_SEED}.isdisjoint(SEEDS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_no_committed_claim_is_false(path):
    """A notebook committed with a False claim contradicts its own prose (nbval would not
    notice: it only checks that the False comes back)."""
    false = [s for s, verdict in claims(nbformat.read(path, as_version=4)) if verdict != "True"]
    assert false == []


@pytest.mark.parametrize(("path", "seed"), CASES, ids=[f"{p.stem}-seed{s}" for p, s in CASES])
def test_every_claim_holds_on_another_seed(path, seed, monkeypatch):
    committed = claims(nbformat.read(path, as_version=4))
    monkeypatch.setenv("COURSE_SEED", str(seed))
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, timeout=180, kernel_name="python3", resources={"metadata": {"path": path.parent}}
    )
    client.execute()
    assert claim_problems(committed, claims(notebook), f"COURSE_SEED={seed}") == []
