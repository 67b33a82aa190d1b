"""The parts of ``./course grade`` (tools/grade.py). Not a lesson: teacher tooling.

- ``submissions``: which files are notebooks, whose they are, which exercises they must have;
- ``isolation``: a network and PID namespace per notebook, and the sweep for leftovers;
- ``run_notebook``: runs one notebook cell by cell in a fresh kernel and reads the verdicts;
- ``report``: the CSV and the markdown summary.
"""
