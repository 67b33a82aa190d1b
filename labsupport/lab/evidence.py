"""Claims checked from the data, and the one place every experiment takes its seed.

Every notebook states results in its prose ("about half the interval", "none lost").
After such an experiment a cell computes the result from what was measured and prints
it with ``claim``, so the output beside the prose proves the prose. A claim that holds
for one seed only is luck, not a claim: every seeded experiment takes its seed from
``SEED``, and the tests run every notebook again with other seeds (and once on a busy
machine: ``tests/test_claims_any_seed.py`` says where each round runs) and require every
claim to still print True.

Notebook 00 introduces both; every notebook after it uses them.
"""

import os

# Change it here, or run the notebooks with COURSE_SEED=... set: every seeded experiment
# (a lossy relay, an offline schedule, a fault schedule) follows.
SEED = int(os.environ.get("COURSE_SEED", "1"))


def seed(offset=0):
    """The course's seed, shifted by ``offset`` so two experiments in one notebook differ."""
    return SEED + offset


def claim(statement, holds):
    """Print ``claim: <statement>: True`` (or False).

    ``holds`` must be computed from measured data, never a constant: the line is the
    evidence for the sentence beside it. The multi-seed test reads these lines. Nothing
    is returned, so a cell that ends with a claim shows the line once, not an ``Out``.
    """
    print(f"claim: {statement}: {bool(holds)}")
