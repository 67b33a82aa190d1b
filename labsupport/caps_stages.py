"""Notebook 07's stages, run as the CAPS hub program: the capstone runs the learner's code.

The learner writes stage 3 (``send_to_drivers``: a pickup queued for every driver) and
stage 4 (``make_storage``: a queue and a ledger that survive ``kill -9``) in cells.
``write_stages`` writes those cells to a file (the kernel keeps the text of every cell
it ran, and a function knows the cell it came from), and
``python -m labsupport.caps_programs hub --db FILE --stages THAT_FILE`` runs
``StagesHub``: the finished ``CapsHub`` with those two stages in place of its own. So
notebook 07's acceptance scenario (a stopped driver, a stopped vendor, a killed hub)
tests what the learner wrote. Stages 1 and 2 are plain socket.io routing, without a
queue: the hub's own routing (each message to its recipient's room, through the queue)
replaces them.
"""

import importlib.util
import inspect
import linecache

from .ackqueue import QueueUnavailable
from .caps import CapsHub


class StagesHub(CapsHub):
    """``CapsHub`` with the learner's stage 3 (a pickup to every driver) and stage 4 (storage)."""

    def __init__(self, stages, db, **options):
        queue, ledger = stages.make_storage(db)
        super().__init__(queue, ledger, **options)
        self.send_to_drivers = stages.send_to_drivers

    async def _send(self, event, order, recipients):
        if event != "pickup":
            return await super()._send(event, order, recipients)
        try:
            await self.send_to_drivers(self, order)
        except QueueUnavailable as down:
            return {"error": str(down)}
        return {"ok": True, "to": recipients}


STAGES_HEADER = """# The learner's stages, from notebook 07's cells (caps_stages.write_stages).
import json
import sqlite3

from labsupport.caps import Ledger
from labsupport.sqlite_queue import SqliteQueue
"""


def cell_text(thing):
    """The text of the notebook cell that defined a function, or a class (by its methods)."""
    functions = [thing] if inspect.isfunction(thing) else [
        f for f in vars(thing).values() if inspect.isfunction(f)]  # fmt: skip
    return "".join(linecache.getlines(functions[0].__code__.co_filename)) if functions else ""


def write_stages(path, *things):
    """Write the cells that define ``things`` to ``path``, for ``hub --stages path``.

    Returns ``path``, or None (and says why) while a cell still has a ``____`` blank: the
    programs then run the finished hub, so the rest of the notebook works meanwhile.
    """
    cells = list(dict.fromkeys(cell_text(thing) for thing in things))
    if any("____" in cell or not cell for cell in cells):
        print("a stage is not written yet: the programs run the finished hub instead")
        return None
    with open(path, "w") as file:
        file.write("\n\n".join([STAGES_HEADER, *cells]))
    return path


def load_stages(path):
    spec = importlib.util.spec_from_file_location("learner_stages", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
