"""Mutants of an exercise's published solution: the slips a learner makes, made on purpose.

Why a mutator of our own, on Python's ``ast``, rather than a mutation library: we tried
mutmut (3.8) and cosmic-ray (8.7), the two well-kept ones. Both mutate the *files of a
package* and judge each mutant by the exit status of a *test command* (mutmut through
trampolines in a ``mutants/`` copy of the tree, cosmic-ray through a session database and
one ``exec`` per mutant). Our unit is different: a snippet of a dozen lines (the text of
``qN.solution()``), run as a notebook cell, whose answer goes through its checker; and
what we judge is not pass/fail but the checker's *verdict and its words*. Fitting them
would mean writing each snippet to a package file, a test per exercise that reads the
verdict back, and parsing their reports; and their operators (arithmetic, comparison,
number and keyword replacement) miss most of the slips that matter here: a dropped
``await``, a bound method for its result, a sync class for its async twin, a ``return``
moved into a loop, a parameter replaced by the value it had. So each operator below is a
small ``ast.NodeTransformer`` that applies its change at the n-th place it fits.

``mutants(source, seen)`` lists every mutant of ``source``; ``seen`` maps a function's
parameter (``"order"``, ``"order['store']"``) to the value it had when the checker first
called the solution (``record_calls``), for the "parameter replaced by a literal" slip.
"""

import ast
import copy
import sys
import threading
from contextlib import contextmanager
from typing import NamedTuple

TWINS = {  # a library name and its sync/async (or near-spelled) twin
    "AsyncRedisManager": "RedisManager",
    "AsyncServer": "Server",
    "AsyncClient": "Client",
    "AsyncSimpleClient": "SimpleClient",
    "digest": "hexdigest",
    "hexdigest": "digest",
    "unpack_from": "unpack",
}


class Mutant(NamedTuple):
    operator: str
    change: str  # the mutated line, as source
    source: str


class Operator(ast.NodeTransformer):
    """Applies its change at the ``target``-th place it fits (-1: only count the places)."""

    name = "operator"

    def __init__(self, target=-1, seen=None):
        self.target, self.places, self.seen, self.change = target, 0, seen or {}, None
        self.functions = []  # the enclosing function definitions, innermost last

    def here(self, node):
        """True if ``node`` is the place to change now; counts the place."""
        hit = self.places == self.target
        self.places += 1
        if hit:
            self.change = node
        return hit

    def visit_FunctionDef(self, node):
        self.functions.append(node)
        node = self.generic_visit(node)
        self.functions.pop()
        return self.function(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def function(self, node):
        return node


def _last_is_check(tree):
    last = tree.body[-1]
    return isinstance(last, ast.Expr) and isinstance(last.value, ast.Call)


class DropAwait(Operator):
    name = "drop await"

    def visit_Await(self, node):
        node = self.generic_visit(node)
        return node.value if self.here(node) else node


class OffByOne(Operator):
    name = "off by one"
    SWAP = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt}

    def visit_Compare(self, node):
        node = self.generic_visit(node)
        if len(node.ops) == 1 and type(node.ops[0]) in self.SWAP and self.here(node):
            node.ops = [self.SWAP[type(node.ops[0])]()]
        return node

    def visit_Constant(self, node):
        if type(node.value) is int:
            for delta in (1, -1):
                if self.here(node):
                    return ast.copy_location(ast.Constant(node.value + delta), node)
        return node


class SwapStatements(Operator):
    name = "swap statements"

    def generic_visit(self, node):
        node = super().generic_visit(node)
        if isinstance(node, ast.Module):
            return node
        for field in ("body", "orelse"):
            body = getattr(node, field, None)
            if isinstance(body, list) and body and isinstance(body[0], ast.stmt):
                for i in range(len(body) - 1):
                    if self.here(body[i]):
                        body[i], body[i + 1] = body[i + 1], body[i]
        return node


class SwapOperands(Operator):
    name = "swap operands"

    def visit_BinOp(self, node):
        node = self.generic_visit(node)
        if self.here(node):
            node.left, node.right = node.right, node.left
        return node

    def visit_Compare(self, node):
        node = self.generic_visit(node)
        if len(node.ops) == 1 and self.here(node):
            node.left, node.comparators = node.comparators[0], [node.left]
        return node


def _call(name, *args):
    return ast.Call(ast.Name(name, ast.Load()), list(args), [])


class WrongType(Operator):
    """str for a value, bytes for a str, and (in the check call) a str for a number."""

    name = "wrong type"

    def visit_Return(self, node):
        node = self.generic_visit(node)
        if node.value is None:
            return node
        value = node.value
        if self.here(node):  # str for int (or for anything)
            node.value = _call("str", value)
        elif self.here(node):  # bytes for str
            node.value = ast.Call(ast.Attribute(_call("str", value), "encode", ast.Load()), [], [])
        elif self.here(node):  # a list for a tuple, a tuple for a list, ...
            node.value = _call("repr", value)
        return node

    def visit_Call(self, node):
        node = self.generic_visit(node)
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr == "decode" and self.here(node):
            return func.value  # bytes for str: the .decode() left out
        if isinstance(func, ast.Attribute) and func.attr == "check":  # a constant answer
            for i, arg in enumerate(node.args):
                if isinstance(arg, ast.Constant) and type(arg.value) is int and self.here(node):
                    node.args[i] = ast.Constant(str(arg.value))
                elif isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    for other in ("a", "b", "c", arg.value.upper(), arg.value.encode()):
                        if other != arg.value and self.here(node):
                            node.args[i] = ast.Constant(other)
        return node


class BoundMethod(Operator):
    name = "bound method for its result"

    def visit_Call(self, node):
        node = self.generic_visit(node)
        if (isinstance(node.func, ast.Attribute) and not node.args and not node.keywords
                and self.here(node)):  # fmt: skip
            return node.func
        return node


class RemoveMask(Operator):
    name = "remove a mask"

    def visit_BinOp(self, node):
        node = self.generic_visit(node)
        if isinstance(node.op, ast.BitAnd) and self.here(node):
            return node.right if isinstance(node.left, ast.Constant) else node.left
        return node


def _literal(value):
    """``value`` as a literal expression, or None if it is no plain literal."""
    try:
        text = repr(value)
        if ast.literal_eval(text) != value:
            return None
        return ast.parse(text, mode="eval").body
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None


class ParameterToLiteral(Operator):
    """A parameter (or ``param[key]``) replaced by the value it had in the checker's first call."""

    name = "parameter -> literal"

    def _params(self):
        if not self.functions:
            return set()
        args = self.functions[-1].args
        return {a.arg for a in args.args + args.kwonlyargs} - {"self"}

    def visit_Subscript(self, node):
        if (isinstance(node.ctx, ast.Load) and isinstance(node.value, ast.Name)
                and node.value.id in self._params()):  # fmt: skip
            literal = _literal(self.seen.get(ast.unparse(node), _NOTHING))
            if literal is not None and self.here(node):
                return ast.copy_location(literal, node)
            return node
        return self.generic_visit(node)

    def visit_Name(self, node):
        if isinstance(node.ctx, ast.Load) and node.id in self._params():
            literal = _literal(self.seen.get(node.id, _NOTHING))
            if literal is not None and self.here(node):
                return ast.copy_location(literal, node)
        return node


_NOTHING = object()


class ReturnInLoop(Operator):
    name = "return moved into the loop"

    def generic_visit(self, node):
        node = super().generic_visit(node)
        body = getattr(node, "body", None)
        if isinstance(node, ast.Module) or not isinstance(body, list):
            return node
        for i in range(1, len(body)):
            loop, ret = body[i - 1], body[i]
            if (isinstance(ret, ast.Return) and isinstance(loop, ast.For | ast.While)
                    and self.here(ret)):  # fmt: skip
                loop.body.append(ret)
                del body[i]
                break
        return node


class Twin(Operator):
    name = "sync/async twin"

    def visit_Attribute(self, node):
        node = self.generic_visit(node)
        if node.attr in TWINS and self.here(node):
            node.attr = TWINS[node.attr]
        return node

    def visit_Name(self, node):
        if node.id in TWINS and self.here(node):
            node.id = TWINS[node.id]
        return node

    def function(self, node):
        if isinstance(node, ast.AsyncFunctionDef):
            if not any(isinstance(n, ast.Await) for n in ast.walk(node)) and self.here(node):
                return ast.FunctionDef(**{f: getattr(node, f) for f in node._fields})
        elif self.functions == [] and self.here(node):  # a top-level def made async
            return ast.AsyncFunctionDef(**{f: getattr(node, f) for f in node._fields})
        return node


class WrongValue(Operator):
    """In a constant answer (``q3.check({...})``): an element left out, or a value swapped."""

    name = "wrong value"

    def visit_Call(self, node):
        node = self.generic_visit(node)
        if not (isinstance(node.func, ast.Attribute) and node.func.attr == "check"):
            return node
        for arg in node.args:
            if isinstance(arg, ast.Set | ast.List | ast.Tuple):
                for i in range(len(arg.elts)):
                    if self.here(arg):
                        del arg.elts[i]
                        return node
            if isinstance(arg, ast.Dict):
                texts = [v.value for v in arg.values if isinstance(v, ast.Constant)]
                for i, value in enumerate(arg.values):
                    for other in dict.fromkeys(texts):
                        if isinstance(value, ast.Constant) and other != value.value:
                            if self.here(arg):
                                arg.values[i] = ast.Constant(other)
                                return node
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        if self.here(arg):  # the same word in lower case
                            arg.values[i] = ast.Constant(value.value.lower())
                            return node
        return node


OPERATORS = [DropAwait, OffByOne, SwapStatements, SwapOperands, WrongType, BoundMethod,
             RemoveMask, ParameterToLiteral, ReturnInLoop, Twin, WrongValue]  # fmt: skip


def mutants(source, seen=None):
    """Every mutant of ``source`` (each differing from it), once each, in a fixed order."""
    tree = ast.parse(source)
    original = ast.unparse(tree)
    found, texts = [], {original}
    check = tree.body[-1] if _last_is_check(tree) else None
    for operator in OPERATORS:
        counter = operator(-1, seen)
        counter.visit(copy.deepcopy(tree))
        for target in range(counter.places):
            mutated = copy.deepcopy(tree)
            applied = operator(target, seen)
            mutated = ast.fix_missing_locations(applied.visit(mutated))
            if check is not None and not _same_check_function(mutated, check):
                continue  # the check call itself is not the learner's code
            try:
                text = ast.unparse(mutated)
            except ValueError:  # a change ast cannot write back (a backslash in an f-string)
                continue
            if text in texts:
                continue
            try:
                compile(text, "<mutant>", "exec")
            except SyntaxError:
                continue
            texts.add(text)
            found.append(Mutant(operator.name, _changed_line(original, text), text))
    return found


def _same_check_function(mutated, check):
    last = mutated.body[-1]
    return (isinstance(last, ast.Expr) and isinstance(last.value, ast.Call)
            and ast.unparse(last.value.func) == ast.unparse(check.value.func))  # fmt: skip


def _changed_line(before, after):
    old, new = before.splitlines(), after.splitlines()
    for line in new:
        if line not in old:
            return line.strip()
    for i, (a, b) in enumerate(zip(old, new, strict=False)):
        if a != b:  # the same lines in another order
            return f"{b.strip()} / then {new[i + 1].strip() if i + 1 < len(new) else ''}"
    return "?"


@contextmanager
def record_calls(filename, seen):
    """Note in ``seen`` each parameter's first value in functions compiled from ``filename``."""

    def profile(frame, event, arg):
        if event == "call" and frame.f_code.co_filename == filename:
            code = frame.f_code
            for name in code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]:
                value = frame.f_locals.get(name, _NOTHING)
                if value is _NOTHING or name in seen:
                    continue
                seen[name] = value
                if isinstance(value, dict):
                    for key, item in value.items():
                        seen.setdefault(f"{name}[{key!r}]", item)

    sys.setprofile(profile)
    threading.setprofile(profile)
    try:
        yield seen
    finally:
        sys.setprofile(None)
        threading.setprofile(None)
