"""The capstone runs the learner's code: notebook 07's stages 3 and 4 inside the hub program.

``write_stages`` reads the text of the cells that defined the stages (as the kernel
keeps them in ``linecache``); here each "cell" is registered the same way. The hub
program is then run with ``--stages`` and put through a kill -9.
"""

import linecache
import re
import sys

import requests

from labsupport import caps_stages, processes, registry
from labsupport.caps_programs import make_order
from labsupport.exercises import ex07

CONNECTED = re.compile(r"connected as")


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
    blocks = [stage3, imports, ledger, drivers, "def make_storage" + storage]
    return as_cells("\n# cell\n".join(block.strip() + "\n" for block in blocks))


def test_write_stages_refuses_a_cell_with_a_blank(tmp_path, capsys):
    cells = as_cells("async def send_to_drivers(hub, order):\n    return ____\n")
    assert caps_stages.write_stages(tmp_path / "s.py", cells["send_to_drivers"]) is None
    assert "not written yet" in capsys.readouterr().out


def part(name, *args, ready=CONNECTED):
    argv = [sys.executable, "-m", "labsupport.caps_programs", *args]
    return processes.start_process(name, argv, ready=ready)


def test_the_hub_program_runs_the_learners_stages_through_a_kill_9(tmp_path):
    cells = solved_stages()
    things = [cells["send_to_drivers"], cells["DurableLedger"], cells["drivers"],
              cells["make_storage"]]  # fmt: skip
    stages = caps_stages.write_stages(str(tmp_path / "stages.py"), *things)
    assert "INSERT OR IGNORE" in open(stages).read()
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
