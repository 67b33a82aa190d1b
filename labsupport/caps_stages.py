"""Notebook 07's stages, run as the CAPS hub program: the capstone runs the learner's code.

The learner writes stage 3 (``send_to_drivers``: a pickup queued for every driver) and
stage 4 (``make_storage``: a queue and a ledger that survive ``kill -9``) in cells.
``write_stages`` writes the definitions in those cells to a file (the kernel keeps the
text of every cell it ran, and a function knows the cell it came from; a check or a
print in the same cell is left out), and
``python -m labsupport.caps_programs hub --db FILE --stages THAT_FILE`` runs
``StagesHub``: the finished ``CapsHub`` with those two stages in place of its own. So
notebook 07's acceptance scenario (a stopped driver, a stopped vendor, a killed hub)
tests what the learner wrote. ``write_checked`` takes only a stage that passes its
checker (a stage the checker says is wrong would only fail later, far from its cause),
and ``naming_the_stage`` adds to a timeout the stage most likely at fault. Stages 1
and 2 are plain socket.io routing, without a queue: the hub's own routing (each
message to its recipient's room, through the queue) replaces them.
"""

import ast
import builtins
import contextlib
import importlib.util
import inspect
import linecache
import sys

from labsupport.ackqueue import QueueUnavailable
from labsupport.caps import CapsHub
from labsupport.caps_storage import storage


class StagesHub(CapsHub):
    """``CapsHub`` with the learner's stage 3 (a pickup to every driver) and stage 4 (storage).

    A stage missing from ``stages`` (it did not pass its check) is the finished hub's own.
    """

    def __init__(self, stages, db, **options):
        make_storage = getattr(stages, "make_storage", None)
        queue, ledger = make_storage(db) if make_storage else storage(db, None)[:2]
        super().__init__(queue, ledger, **options)
        self.send_to_drivers = getattr(stages, "send_to_drivers", None)

    async def _send(self, event, order, recipients):
        if event != "pickup" or self.send_to_drivers is None:
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
DEFINITIONS = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
KNOWN = set(dir(builtins)) | {"json", "sqlite3", "Ledger", "SqliteQueue"}  # the header's


def cell_text(thing):
    """The text of the notebook cell that defined a function, or a class (by its methods)."""
    functions = [thing] if inspect.isfunction(thing) else [
        f for f in vars(thing).values() if inspect.isfunction(f)]  # fmt: skip
    return "".join(linecache.getlines(functions[0].__code__.co_filename)) if functions else ""


def _names(node, context=ast.Load):
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, context)}


def _bound(node):
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in node.names}
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        return _names(node, ast.Store)
    return {node.name}


def _plain(node, known):
    """An assignment of names already defined (``Class.method = function``), no call in it."""
    value = node.value
    if value is None or any(isinstance(n, (ast.Call, ast.Await, ast.NamedExpr, ast.Yield))
                            for n in ast.walk(value)):  # fmt: skip
        return False
    targets = node.targets if isinstance(node, ast.Assign) else [node.target]
    return _names(value) | set().union(*(_names(t) for t in targets)) <= known


def definitions(cell, known):
    """The statements of ``cell`` the hub needs: imports, ``def``s, classes, plain assignments.

    A cell also runs things: ``q3.check(send_to_drivers)``, a print, a dict of the
    notebook's processes. Copied into the stages file they would fail there (``q3`` is
    not defined in the hub) or run again, so they are left out. ``known`` (the names
    defined so far) grows with what is kept.
    """
    flags = ast.PyCF_ONLY_AST | ast.PyCF_ALLOW_TOP_LEVEL_AWAIT  # a cell may ``await``
    kept = []
    for node in compile(cell, "<cell>", "exec", flags).body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            node.names = [alias for alias in node.names if alias.name != "____"]
        keep = isinstance(node, DEFINITIONS) or (
            isinstance(node, (ast.Assign, ast.AnnAssign)) and _plain(node, known)
        )
        if keep and getattr(node, "names", True):
            kept.append(node)
            known |= _bound(node)
    return kept


def _imports_for(nodes, known, things):
    """Imports for the names the stages use that another cell imported (``import os``)."""
    namespace = {}
    for thing in things:
        module = sys.modules.get(getattr(thing, "__module__", None))
        namespace |= getattr(thing, "__globals__", None) or vars(module or inspect)
    lines = []
    for name in sorted(set().union(set(), *(_names(node) for node in nodes)) - known):
        value = namespace.get(name)
        if inspect.ismodule(value):
            lines.append(f"import {value.__name__} as {name}")
        elif inspect.isclass(value) or inspect.isroutine(value):
            home = sys.modules.get(getattr(value, "__module__", None) or "__main__")
            if home and home.__name__ != "__main__" and getattr(home, value.__name__, 0) is value:
                lines.append(f"from {home.__name__} import {value.__name__} as {name}")
    return lines


def write_stages(path, *things):
    """Write the definitions of ``things`` (from their cells) to ``path``, for ``--stages``.

    Returns ``path``, or None (and says why) while a stage still has a ``____`` blank,
    or when the file would not load on its own: the programs then run the finished
    hub, so the rest of the notebook works meanwhile.
    """
    cells = list(dict.fromkeys(cell_text(thing) for thing in things))
    known = set(KNOWN)
    nodes = [node for cell in cells if cell for node in definitions(cell, known)]
    code = _imports_for(nodes, known, things) + [ast.unparse(node) for node in nodes]
    if not all(cells) or any("____" in line for line in code):
        print("a stage is not written yet: the programs run the finished hub instead")
        return None
    with open(path, "w") as file:
        file.write("\n\n".join([STAGES_HEADER, *code]) + "\n")
    try:
        module = load_stages(path)
        missing = [t.__name__ for t in things if not hasattr(module, t.__name__)]
    except Exception as error:  # noqa: BLE001 (any error of the learner's code)
        missing = [f"{type(error).__name__}: {error}"]
    if missing:
        print(f"your stages do not load on their own ({', '.join(missing)}): "
              "the programs run the finished hub instead")  # fmt: skip
        return None
    return path


STAGES = {3: "send_to_drivers", 4: "make_storage"}


def suspect(stages, lines):
    """The stage most likely at fault when a program waited in vain; "" if none is the learner's."""
    module = load_stages(stages)
    mine = [number for number, name in STAGES.items() if hasattr(module, name)]
    if 4 in mine and any("'to': []" in line for line in lines):
        return ("likely stage 4 (yours): the hub sent a pickup to 'to': [], no driver, so "
                "your ledger's drivers() lists none (what key does add_driver write?)")  # fmt: skip
    if 3 in mine:
        return ("likely stage 3 (yours): the hub sent the pickups with your send_to_drivers, "
                "and they did not all arrive (does it publish to every driver?)")  # fmt: skip
    if mine:
        return "likely stage 4 (yours): the hub keeps its queue and ledger with your make_storage"
    return ""


@contextlib.contextmanager
def naming_the_stage(stages, program):
    """Re-raise a ``TimeoutError`` of ``program`` with the learner's stage most likely at fault."""
    try:
        yield
    except TimeoutError as error:
        note = suspect(stages, program.output) if stages else ""
        if not note:
            raise
        raise TimeoutError(f"{error}\n{note}") from error


def load_stages(path):
    spec = importlib.util.spec_from_file_location("learner_stages", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
