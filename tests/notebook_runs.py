"""A pytest plugin (``-p notebook_runs`` in pytest.ini): one kernel serves nbval and more.

nbval runs a notebook's cells one by one in a fresh kernel and compares each output with
the committed one. This plugin gives that kernel two more duties, so that the notebook is
not executed again from the start for them:

1. its kernel carries a ``LABSUPPORT_OWNER`` mark of its own, and a ``TMPDIR`` of its own
   (an empty folder: the kernel's ``/tmp``);
2. after nbval's last cell, three more items:
   - ``every cell again on the busy round``: every code cell a second time in the same
     kernel (Run All twice in one kernel works; a cell tagged ``raises-exception`` must
     raise again, any other must not). That run is also the busy-machine round of
     ``test_claims_any_seed.py``: seed 4 (``evidence.SEED``, which every seeded
     experiment reads when it runs), while another process spins on one core. One
     execution serves both, so the notebook is not run a third time from the start;
   - ``every claim holds on the busy round``: each ``claim:`` line that run printed is
     True, and they are the committed run's claims;
   - ``closed, nothing left behind``: shuts the kernel down as closing a notebook does
     (no ``stop_all()``), and requires that no server process, Chromium or Redis with its
     mark still runs, and that its ``TMPDIR`` is empty again: nothing left in ``/tmp``.
   The learner's copy of notebook 07 differs from the solved one only in its four stage
   cells, so it is not run twice: it has the last item only.

nbval itself kills its kernel outright at the end (no exit code runs); the last item closes
it first, so the end is the learner's.

It also orders and groups the whole run for pytest-xdist, and marks what
``./course test --quick`` leaves out (below).
"""

import os
import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest
from kernel_run import (
    BUSY_SEED,
    busy_cpu,
    claim_problems,
    claims,
    claims_in,
    code_cells,
    new_owner,
    problems,
    processes_of,
    replies,
    run_one,
    send,
)
from nbval.plugin import IPyNbFile

from labsupport.lab import scratch
from labsupport.lab.processes import OWNER_VARIABLE

AGAIN = "every cell again on the busy round"
CLAIMS = "every claim holds on the busy round"
CLOSED = "closed, nothing left behind"
# sent before the second run: the seed every seeded experiment reads when it runs
ON_BUSY_SEED = (
    f"import os\nos.environ['COURSE_SEED'] = '{BUSY_SEED}'\n"
    f"from labsupport.lab import evidence\nevidence.SEED = {BUSY_SEED}"
)


class KernelMarks:
    """The owner mark and the private ``TMPDIR`` a notebook's kernel starts with."""

    def __init__(self):
        self.owner = new_owner()
        # beside this process's own folder, not in it: Unix socket paths must stay short
        self.tmp = Path(tempfile.mkdtemp(prefix="kernel-tmp-", dir=scratch.PARENT))

    def environment(self):
        return {OWNER_VARIABLE: self.owner, "TMPDIR": str(self.tmp)}

    def left_behind(self):
        return sorted(str(path.relative_to(self.tmp)) for path in self.tmp.rglob("*"))[:20]

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
    if not Path(self.path).stem.endswith("_starter"):
        yield AgainOnTheBusyRound.from_parent(self, name=AGAIN)
        yield ClaimsOfTheBusyRound.from_parent(self, name=CLAIMS)
    yield Closed.from_parent(self, name=CLOSED)


def teardown(self):
    try:
        _teardown(self)  # kills the kernel if Closed did not close it
    finally:
        if getattr(self, "marks", None) is not None:
            self.marks.remove()


class NotebookItem(pytest.Item):
    """An item that works on nbval's kernel for the notebook, after nbval's cells."""

    def kernel(self):
        kernel = self.parent.kernel
        assert kernel is not None and kernel.is_alive(), "nbval's kernel is not running"
        return kernel

    def busy_round(self):
        """The notebook's busy round (``busy_round`` below), run once for both items that
        read it (or by the claims' item, when it was chosen alone with ``-k``)."""
        notebook = self.parent
        if getattr(notebook, "busy_round", None) is None:
            notebook.busy_round = busy_round(self.kernel().kc, self.path)
        return notebook.busy_round

    def reportinfo(self):
        return self.path, 0, f"{self.parent.name}::{self.name}"


class AgainOnTheBusyRound(NotebookItem):
    def runtest(self):
        cells, runs = code_cells(self.path), self.busy_round()
        contents = [content for content, _ in runs]
        assert problems(cells, contents) == [], "the second run in the same kernel"


class ClaimsOfTheBusyRound(NotebookItem):
    def runtest(self):
        committed = claims(nbformat.read(self.path, as_version=4))
        assert claim_problems(committed, busy_claims(self.busy_round()),
                              f"COURSE_SEED={BUSY_SEED} on a busy machine") == []  # fmt: skip


class Closed(NotebookItem):
    def runtest(self):
        notebook, kernel = self.parent, self.kernel()
        process = kernel.km.provisioner.process  # the kernel's Popen
        kernel.kc.stop_channels()
        # as closing the notebook's tab does; on a busy machine, stopping every server
        # may take longer than jupyter_client's 5 s before it sends SIGTERM (a kernel
        # killed so leaves its folder to the next kernel: test_notebooks_in_kernel.py)
        kernel.km.shutdown_wait_time = 60
        kernel.km.shutdown_kernel(now=False)
        exit_code = process.poll()  # negative: killed by that signal, having not exited
        del kernel.km
        marks = notebook.marks
        assert processes_of(marks.owner) == [], "a server process outlived its kernel"
        assert marks.left_behind() == [], (
            f"the kernel left files in its TMPDIR (its /tmp); it exited with {exit_code}"
        )


def busy_round(client, path):
    """Every code cell of the notebook at ``path`` again, in the kernel of ``client``, on
    seed 4 beside a spinning core: each cell's (reply, what it printed)."""
    (seeded,) = replies(client, send(client, [(ON_BUSY_SEED, False)]))
    assert seeded["status"] == "ok", seeded
    with busy_cpu():
        return [run_one(client, cell) for cell in code_cells(path)]


def busy_claims(runs):
    """The claims that ``runs`` (as ``busy_round`` gives them) printed, in order."""
    return claims_in(text for _, printed in runs for text in printed.values())


IPyNbFile.setup, IPyNbFile.collect, IPyNbFile.teardown = setup, collect, teardown


# How `./course test` spreads the run over pytest-xdist workers (`--dist loadscope`), and
# what `./course test --quick` leaves out. Each notebook's nbval cells, and the item that
# runs them again (notebook_runs.py), share its kernel: one group, one worker, in order.
# So do the tests of one module (they share module fixtures: one JupyterLab, one set of
# servers), except those in SPREAD, which each run a whole notebook in a kernel of their
# own and go to whichever worker is free. The longest work is handed out first.
SPREAD = {
    "test_claims_any_seed.py::test_every_claim_holds_on_another_seed",
    "test_core_path.py::test_the_core_cells_alone_run_in_a_fresh_kernel",
}
SLOW = {  # notebooks, JupyterLab, a fresh set-up, a wheel, the mutation run: not in --quick
    *SPREAD,
    "test_jupyterlab.py",
    "test_fresh_setup.py",
    "test_wheel.py",
    "test_mutants.py",  # every checker on its mutants: about 2½ minutes on one worker
    "test_faults_at_scale.py",
    "test_frames_by_hand.py",
    "test_fast_socket.py::test_no_task_is_left_after_500_clients_connect_and_drop",
    "test_reliability.py::test_500_clients_exchange_events_and_memory_does_not_grow_after_they_leave",
    "test_grade.py::test_the_committed_notebook_is_all_not_attempted",
    "test_grade.py::test_the_published_solutions_are_all_correct",
    "test_grade.py::test_nothing_was_left_running_by_the_course_notebooks",
    "test_grade.py::test_without_isolation_the_report_says_so_and_nothing_is_left",
}  # and every test that uses test_grade.py's graded notebooks (course_grades, fault_grades)
# Seconds a group takes on a quiet 2-core machine (measured with a timeline of a full run
# in a fresh clone; the rest take a few seconds): the order in which work is handed out,
# so that the run does not end with one worker on a long group while the others wait.
COST = {
    "test_jupyterlab.py": 390,
    "test_mutants.py": 135,
    "05b_delivery_guarantees": 110,
    "test_grade.py": 95,
    "08_measuring": 95,
    "01_sockets_tcp_udp": 80,
    "06b_leaving_localhost": 80,
    "test_faults_at_scale.py": 70,
    "test_notebook01_built.py": 63,
    "test_spec_engineio.py": 62,
    "test_fresh_setup.py": 58,
    "test_fast_socket.py": 46,
    "06c_rabbitmq": 42,
    "test_rabbitmq.py": 28,
    "test_leaving_localhost.py": 26,
    "02_websockets_and_http": 24,
    "07_capstone_caps": 23,
    "test_frames_by_hand.py": 19,
    "04_rooms_and_namespaces": 17,
    "03_socketio_events": 16,
    "test_reliability.py": 16,
    "test_solutions.py": 15,
    "test_admin_ui.py": 15,
    "test_upstream_patches.py": 14,
    "test_caps.py": 14,
    "test_checks_03_04.py": 13,
}


def _where(item):
    """'module.py::function' of a test in tests/, or the notebook's name for nbval."""
    path = item.path
    if path.suffix == ".ipynb":
        return path.stem
    function = getattr(item, "originalname", item.name)
    return f"{path.name}::{function}"


def pytest_itemcollected(item):
    """Mark what `./course test --quick` leaves out."""
    where = _where(item)
    module = where.split("::")[0]
    if where in SLOW or module in SLOW or _uses(item, "fault_grades", "course_grades"):
        item.add_marker(pytest.mark.slow)


def _group(nodeid):
    """The work unit of a test: its notebook, its module, or (SPREAD) the test alone."""
    path, _, rest = nodeid.partition("::")
    return nodeid if f"{Path(path).name}::{rest.split('[')[0]}" in SPREAD else path


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """pytest-xdist's scope scheduling, with the groups above, in collection order (which
    ``pytest_collection_modifyitems`` made longest first). pytest-xdist's own ``loadgroup``
    reads a node id attribute that pytest 9.2 no longer has."""
    from xdist.scheduler import LoadScopeScheduling

    class Grouped(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            return _group(nodeid)

    config.option.loadscopereorder = False
    return Grouped(config, log)


def pytest_collection_modifyitems(config, items):
    """The longest work first (items of one group keep their order)."""

    def cost(item):
        where = _where(item)
        group = where if where in SPREAD else where.split("::")[0]
        default = 40 if where in SPREAD else 15 if item.path.suffix == ".ipynb" else 5
        return -COST.get(group, default), _group(item.nodeid)

    position = {item: index for index, item in enumerate(items)}
    items.sort(key=lambda item: (*cost(item), position[item]))


def _uses(item, *fixtures):
    return any(name in getattr(item, "fixturenames", ()) for name in fixtures)
