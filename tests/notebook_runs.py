"""A pytest plugin (``-p notebook_runs`` in pytest.ini): one kernel serves nbval and more.

nbval runs a notebook's cells one by one in a fresh kernel and compares each output with
the committed one. This plugin gives that kernel two more duties, so that the notebook is
not executed again from the start for them:

1. its kernel carries a ``LABSUPPORT_OWNER`` mark of its own, and a ``TMPDIR`` of its own
   (an empty folder: the kernel's ``/tmp``);
2. after nbval's last cell, one more item, ``every cell again, then close``:
   - runs every code cell a second time in the same kernel (Run All twice in one kernel
     works; a cell tagged ``raises-exception`` must raise again, any other must not);
     the learner's copy of notebook 07 differs from the solved one only in its four stage
     cells, so it is not run twice;
   - shuts the kernel down as closing a notebook does (no ``stop_all()``);
   - requires that no server process, Chromium or Redis with its mark still runs, and that
     its ``TMPDIR`` is empty again: nothing left behind in ``/tmp``.

nbval itself kills its kernel outright at the end (no exit code runs); this item closes it
first, so the end is the learner's.

Under pytest-xdist every notebook's items stay on one worker (``conftest.py`` groups them),
in order.
"""

import os
import shutil
import tempfile
from pathlib import Path

import pytest
from kernel_run import code_cells, new_owner, problems, processes_of, replies, send
from nbval.plugin import IPyNbFile

from labsupport.processes import OWNER_VARIABLE

AGAIN = "every cell again, then close"


class KernelMarks:
    """The owner mark and the private ``TMPDIR`` a notebook's kernel starts with."""

    def __init__(self):
        self.owner = new_owner()
        self.tmp = Path(tempfile.mkdtemp(prefix="kernel-tmp-"))

    def environment(self):
        return {OWNER_VARIABLE: self.owner, "TMPDIR": str(self.tmp)}

    def left_behind(self):
        return sorted(path.name for path in self.tmp.iterdir())

    def remove(self):
        shutil.rmtree(self.tmp, ignore_errors=True)


_setup, _collect, _teardown = IPyNbFile.setup, IPyNbFile.collect, IPyNbFile.teardown


def setup(self):
    """nbval's set-up, with the kernel started under this notebook's own marks."""
    self.marks = KernelMarks()
    saved = {name: os.environ.get(name) for name in self.marks.environment()}
    os.environ.update(self.marks.environment())
    try:
        _setup(self)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def collect(self):
    yield from _collect(self)
    yield AgainAndClose.from_parent(self, name=AGAIN)


def teardown(self):
    try:
        _teardown(self)  # kills the kernel if AgainAndClose did not close it
    finally:
        if getattr(self, "marks", None) is not None:
            self.marks.remove()


class AgainAndClose(pytest.Item):
    def runtest(self):
        notebook = self.parent
        kernel, path = notebook.kernel, Path(notebook.path)
        assert kernel is not None and kernel.is_alive(), "nbval's kernel is not running"
        if not path.stem.endswith("_starter"):
            cells = code_cells(path)
            contents = [replies(kernel.kc, send(kernel.kc, [cell]))[0] for cell in cells]
            assert problems(cells, contents) == [], "the second run in the same kernel"
        kernel.kc.stop_channels()
        kernel.km.shutdown_kernel(now=False)  # as closing the notebook's tab does
        del kernel.km
        marks = notebook.marks
        assert processes_of(marks.owner) == [], "a server process outlived its kernel"
        assert marks.left_behind() == [], "the kernel left files in its TMPDIR (its /tmp)"

    def reportinfo(self):
        return self.path, 0, f"{self.parent.name}::{AGAIN}"


IPyNbFile.setup, IPyNbFile.collect, IPyNbFile.teardown = setup, collect, teardown
