"""The capstone runs the learner's code: notebook 07's stages 3 and 4 inside the hub program.

``write_stages`` reads the text of the cells that defined the stages (as the kernel
keeps them in ``linecache``); here each "cell" is registered the same way. The hub
program is then run with ``--stages`` and put through a kill -9.
"""

import ast
import linecache
import re
import sys
from pathlib import Path

import nbformat
import pytest
import requests

from labsupport import caps_stages
from labsupport.caps_programs import make_order
from labsupport.exercises import ex07
from labsupport.lab import processes, registry

CONNECTED = re.compile(r"connected as")
NOTEBOOKS = Path(__file__).parent.parent / "notebooks"


def as_cells(source):
    """Run each block of ``source`` as a notebook cell would be: in linecache, by name."""
    namespace = {}
    for number, cell in enumerate(source.split("\n# cell\n")):
        name = f"<cell {number} of {id(namespace)}>"
        linecache.cache[name] = (len(cell), None, cell.splitlines(True), name)
        exec(compile(cell, name, "exec"), namespace)
    return namespace


def solved_stages():
    """Stages 3 and 4 from the checkers' published solutions, one cell per definition."""
    stage3 = ex07.q3.problem.solution.split("\n\nq3.check")[0]
    stage4 = ex07.q4.problem.solution.split("\n\nq4.check")[0]
    imports, ledger = stage4.split("\n\n\nclass DurableLedger")
    ledger, drivers = ("class DurableLedger" + ledger).split("\n\n\ndef add_driver")
    drivers, storage = ("def add_driver" + drivers).split("\n\n\ndef make_storage")
    stage3 = f"from labsupport.exercises.ex07 import q3\n\n{stage3}\n\nq3.check(send_to_drivers)"
    blocks = [stage3, imports, ledger, drivers, "def make_storage" + storage]  # checks inside
    return as_cells("\n# cell\n".join(block.strip() + "\n" for block in blocks))


def test_write_stages_refuses_a_cell_with_a_blank(tmp_path, capsys):
    cells = as_cells("async def send_to_drivers(hub, order):\n    return ____\n")
    assert caps_stages.write_stages(tmp_path / "s.py", cells["send_to_drivers"]) is None
    assert "not written yet" in capsys.readouterr().out


def test_write_stages_keeps_the_definitions_and_leaves_out_what_a_cell_runs(tmp_path, capsys):
    cells = as_cells(
        "from labsupport.exercises.checks import ____\n"
        "ROOM = 'drivers'\n"
        "async def send_to_drivers(hub, order):\n"
        "    for driver in hub.ledger.drivers():\n"
        "        await hub.publish(driver, 'pickup', order)\n"
        "print('defined', send_to_drivers.__name__)\n"
        "drivers = {name: len(name) for name in ('driver-1', 'driver-2')}\n"
        "alias = send_to_drivers\n"
    )
    path = caps_stages.write_stages(str(tmp_path / "s.py"), cells["send_to_drivers"])
    text = open(path).read()
    assert "ROOM = 'drivers'" in text and "alias = send_to_drivers" in text
    for left_out in ("print(", "drivers = {", "____"):
        assert left_out not in text
    assert caps_stages.load_stages(path).alias.__name__ == "send_to_drivers"


def test_a_stage_that_needs_a_notebook_object_falls_back_to_the_finished_hub(tmp_path, capsys):
    cells = as_cells(
        "import os\nSUFFIX = os.path.join('a', 'b')\n# cell\n"
        "def make_storage(path, suffix=SUFFIX):\n    return os.path.join(path, suffix)\n"
    )
    assert caps_stages.write_stages(tmp_path / "s.py", cells["make_storage"]) is None
    assert "do not load on their own (NameError" in capsys.readouterr().out


def test_a_module_another_cell_imported_is_imported_in_the_stages_file(tmp_path):
    cells = as_cells("import os.path as where\n# cell\ndef make_storage(path):\n"
                     "    return where.join(path, 'x'), None\n")  # fmt: skip
    path = caps_stages.write_stages(str(tmp_path / "s.py"), cells["make_storage"])
    assert caps_stages.load_stages(path).make_storage("d") == ("d/x", None)


def top_level_names(source, kinds=caps_stages.DEFINITIONS + (ast.Assign, ast.AnnAssign)):
    flags = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    tree = compile(source, "<cell>", "exec", flags)
    return {name for node in tree.body if isinstance(node, kinds)
            for name in caps_stages._bound(node)}  # fmt: skip


@pytest.mark.parametrize("name", ["07_capstone_caps.ipynb", "07_capstone_caps_starter.ipynb"])
def test_no_notebook_variable_shadows_a_stage(name):
    """A cell that rebinds a stage's name (a dict ``drivers``) breaks what runs after it."""
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    defs = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    stage_cells = [c for c in code if "starter" in c.metadata and top_level_names(c.source, defs)]
    stages = set().union(*(top_level_names(c.source, defs) for c in stage_cells))
    others = set().union(*(top_level_names(c.source) for c in code if c not in stage_cells))
    assert {"send_to_drivers", "drivers", "make_storage"} <= stages
    assert not stages & others, f"{name}: a notebook variable shadows a stage"


def part(name, *args, ready=CONNECTED):
    argv = [sys.executable, "-m", "labsupport.caps_programs", *args]
    return processes.start_process(name, argv, ready=ready)


def test_the_hub_program_runs_the_learners_stages_through_a_kill_9(tmp_path):
    cells = solved_stages()
    things = [cells["send_to_drivers"], cells["DurableLedger"], cells["drivers"],
              cells["make_storage"]]  # fmt: skip
    stages = caps_stages.write_stages(str(tmp_path / "stages.py"), *things)
    assert "INSERT OR IGNORE" in open(stages).read()
    assert "q3.check" not in open(stages).read()  # the check in stage 3's cell stays out
    hub_args = ["hub", "--db", str(tmp_path / "caps.db"), "--stages", stages]
    try:
        hub = part("hub", *hub_args, ready=processes.READY)
        driver = part("driver-1", "driver", "--url", hub.url, "--id", "driver-1")
        vendor = part("acme", "vendor", "--url", hub.url, "--store", "acme", "--orders", "1")
        vendor.wait_for_line(r"^delivered acme/1:")
        driver.stop()  # away: the next pickup waits in the learner's queue
        port = hub.port

        requests.post(f"{hub.url}/pickup", json=make_order("acme", 2), timeout=5).raise_for_status()
        assert hub.kill() == -9
        hub = part("hub", *hub_args, "--port", str(port), ready=processes.READY)
        driver = part("driver-1", "driver", "--url", hub.url, "--id", "driver-1")
        vendor.wait_for_line(r"^delivered acme/2:")  # the learner's ledger knew driver-1
        assert sum(line.startswith("delivered acme/") for line in vendor.output) == 2
    finally:
        registry.stop_all()


def test_write_checked_keeps_only_a_stage_that_passes_its_check(tmp_path, capsys):
    """Stage 3 with ``return`` in its loop fails its check: the hub keeps its own stage 3."""
    cells = solved_stages()
    wrong = as_cells("async def send_to_drivers(hub, order):\n"
                     "    for driver in hub.ledger.drivers():\n"
                     "        await hub.publish(driver, 'pickup', order)\n"
                     "        return\n")  # fmt: skip
    path = ex07.write_checked(
        str(tmp_path / "s.py"),
        stage3=(ex07.q3, wrong["send_to_drivers"]),
        stage4=(ex07.q4, cells["make_storage"], cells["DurableLedger"], cells["drivers"]),
    )
    out = capsys.readouterr().out
    assert "stage 3: the finished hub's (your send_to_drivers: Not quite" in out
    assert "stage 4: yours (make_storage passed its check)" in out
    module = caps_stages.load_stages(path)
    assert hasattr(module, "make_storage") and not hasattr(module, "send_to_drivers")


class Program:
    def __init__(self, *output):
        self.output = list(output)


def test_a_timeout_names_the_stage_most_likely_at_fault(tmp_path):
    cells = solved_stages()
    things = [cells["send_to_drivers"], cells["DurableLedger"], cells["drivers"],
              cells["make_storage"]]  # fmt: skip
    stages = caps_stages.write_stages(str(tmp_path / "s.py"), *things)
    no_driver = Program("sent pickup acme/1: {'ok': True, 'to': []}")
    for program, stage in ((no_driver, "stage 4"), (Program("connected as acme"), "stage 3")):
        with pytest.raises(TimeoutError, match=f"acme printed 0(.|\n)*likely {stage} "):
            with caps_stages.naming_the_stage(stages, program):
                raise TimeoutError("acme printed 0 of 3 lines")
    with pytest.raises(TimeoutError, match="^acme printed 0 of 3 lines$"):  # the finished hub
        with caps_stages.naming_the_stage(None, no_driver):
            raise TimeoutError("acme printed 0 of 3 lines")
