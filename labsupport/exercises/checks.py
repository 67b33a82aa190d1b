"""Exercise checkers: ``q1.check(answer)``, ``q1.hint()``, ``q1.solution()``.

Two halves, kept apart on purpose:

- a ``Problem`` *decides*. Its ``verify(answer)`` returns a short note when the answer
  is right, and raises ``NotAttempted`` or ``Incorrect`` (with the reason) when not.
  It prints nothing, so tests can call it directly.
- an ``Exercise`` *speaks*. It wraps a Problem for the notebook, turns the verdict
  into a friendly message, and hands out hints one at a time.

Starter cells use ``____`` (four underscores) for "fill this in"; an answer that is
still ``____`` is reported as not attempted, never as wrong.

Notebook 00 explains ``check``, ``hint`` and ``solution`` before its first exercise; every
notebook's exercises (``labsupport/exercises/exNN.py``) are built on these two halves.

Every check ends in a verdict, within ``TIME_LIMIT`` seconds: ``judge`` runs ``verify`` in
a thread of its own; an answer that never finishes (a loop that never ends, a reply that
never comes) gets a time-limit verdict saying where it was and what it probably returned,
and an error inside the checker is told as a verdict too, never as a traceback.
"""

import ast
import contextlib
import ctypes
import inspect
import json
import logging
import sys
import textwrap
import threading
from pathlib import Path
from typing import NamedTuple

TIME_LIMIT = 20  # seconds: the longest any check may take (the one place it is set)


class _Blank:
    """The ``____`` placeholder in starter code."""

    def __repr__(self):
        return "____"


____ = _Blank()
UNTOUCHED = "Replace the ____ in the starter cell with your answer, then run it"


class NotAttempted(Exception):
    """The answer is still the starter placeholder."""


class Incorrect(Exception):
    """The answer is wrong; the message says what was expected and what came back."""


class Problem:
    """One exercise's facts: subclass it and fill these in.

    ``hints``: from vague to specific (the notebook section, the function, the shape).
    ``solution``: the code, ending with the ``check`` call it passes (the tests run it);
    ``why``: two or three sentences on why it is right.
    """

    title = "exercise"
    when_slow = ""  # a likely cause, added to a time-limit verdict
    hints = ()
    solution = ""
    why = ""

    def verify(self, answer):
        """Return a note on a right answer; raise ``Incorrect``/``NotAttempted`` otherwise."""
        raise NotImplementedError

    def expect_attempted(self, *values, in_source=False):
        """Raise ``NotAttempted`` if any value is ``untouched`` (``in_source``: see there).

        Checkers call it before judging, so a blank answer is told "not attempted yet"
        instead of failing in a way that reads like a wrong answer."""
        if any(untouched(value, in_source) for value in values):
            raise NotAttempted(UNTOUCHED)


def untouched(value, in_source=False):
    """True if ``value`` is still the ``____`` placeholder: the one "not attempted" rule.

    With ``in_source``, a function whose source still holds a ``____`` is untouched too:
    for answers whose blanks are arguments or statements (``client_manager=____``),
    which would otherwise fail with a confusing error. A function whose source cannot be
    read is judged by its behaviour alone.
    """
    if value is ____ or not in_source:
        return value is ____
    try:
        return "____" in inspect.getsource(value)
    except (OSError, TypeError):  # no source to read (built in the shell, say)
        return False


class Choice(Problem):
    """A question answered with one letter: ``answer`` is right, ``reasons`` say why
    each wrong letter is wrong, and ``right`` is the note for the right one."""

    answer = "a"
    reasons = {}
    right = ""

    def verify(self, answer):
        self.expect_attempted(answer)
        if not isinstance(answer, str):
            kind = type(answer).__name__
            article = "an" if kind[0] in "aeiou" else "a"
            raise Incorrect(f"you gave {answer!r}, {article} {kind}: give one letter "
                            "as text, in quotes, like 'a'.")  # fmt: skip
        answer = answer.strip().lower()
        if answer in self.reasons:
            raise Incorrect(f"you said {answer!r}, but {self.reasons[answer]}")
        if answer != self.answer:
            letters = sorted([*self.reasons, self.answer])
            raise Incorrect(f"answer with one letter: {', '.join(map(repr, letters))}.")
        return self.right


def describe(value):
    """The likely slip behind an answer of the wrong kind, in words; "" if none is known.

    >>> describe("hi".upper)
    'a bound method (upper), not its result: did you forget the ()?'
    """
    if inspect.iscoroutine(value):
        value.close()  # told here: no "never awaited" warning later
        return (
            "a coroutine, not its result: did you forget `await`, or write `async def` "
            "where a plain `def` belongs?"
        )
    if inspect.ismethod(value) or (
        inspect.isbuiltin(value) and not inspect.ismodule(getattr(value, "__self__", None))
    ):
        return f"a bound method ({value.__name__}), not its result: did you forget the ()?"
    if inspect.isfunction(value) or inspect.isbuiltin(value):
        return f"the function {value.__name__} itself, not its result: did you forget to call it?"
    return ""


def sendable(value):
    """Raise ``Incorrect`` if ``value`` cannot travel as JSON (an acknowledgement, say)."""
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        slip = describe(value) or f"a {type(value).__name__}, which JSON cannot carry."
        raise Incorrect(f"it returned {value!r:.80}: {slip}") from None


def expect_value(call, value):
    """Raise ``Incorrect`` if ``value`` (what ``call`` returned) is a coroutine, a method or
    a function: the slips behind most answers of the wrong kind."""
    if slip := describe(returned(value)):
        raise Incorrect(f"{call} returned {slip}")
    return value


def _source_tree(function):
    """The syntax tree of ``function``'s source, or None when the source cannot be read."""
    try:
        return ast.parse(textwrap.dedent(inspect.getsource(function)))
    except (OSError, TypeError, SyntaxError):
        return None


def return_in_loop(function):
    """The words for a ``return`` inside a loop of ``function`` ("" if it has none): it ends
    the function after the first round, whatever the loop was for."""
    tree = _source_tree(function)
    loops = (
        [node for node in ast.walk(tree) if isinstance(node, ast.For | ast.While)] if tree else []
    )
    if any(isinstance(node, ast.Return) for loop in loops for node in ast.walk(loop)):
        return ("Its `return` is inside the loop: with nothing to loop over it is never "
                "reached (so the function gives None), and otherwise it ends the function "
                "after the first round. Move the `return` after the loop.")  # fmt: skip
    return ""


def why_none(function):
    """Why ``function`` returned None, read from its source ("" if the source says nothing)."""
    tree = _source_tree(function)
    if tree is None:
        return ""
    if in_loop := return_in_loop(function):
        return in_loop
    if not any(isinstance(node, ast.Return) and node.value for node in ast.walk(tree)):
        return "It has no `return` with a value, so it gives None: return the result."
    return ""


def raised(call, error):
    """``call`` raised ``error``: the words for it, with where in the learner's code."""
    frames = [(tb.tb_frame, tb.tb_lineno) for tb in _tracebacks(error.__traceback__)]
    return f"{call} raised {error!r:.200}.{_where(frames)}"


_last = threading.local()


def returned(value):
    """Note what the learner's code returned last, for a time-limit verdict to name."""
    _last.value = value
    return value


def call_handler(handler, *args):
    """Run a handler the learner wrote, on a loop of its own; return its result.

    The handler may be an ``async def`` or a plain ``def``: socket.io's ``AsyncServer``
    awaits the one and calls the other, and so does this.
    Checkers call it before testing a handler over a real connection, so that an
    untouched ``return ____`` is reported as not attempted, and an error in the
    handler shows up with its message instead of as a silent missing reply.
    """
    from labsupport.lab.background import BackgroundLoop

    async def call():
        result = handler(*args)
        return (await result) if inspect.iscoroutine(result) else result

    background = BackgroundLoop("checker")
    shown = ", ".join(repr(a) for a in args)
    try:
        result = returned(background.run(call(), timeout=TIME_LIMIT / 4))
    except TimeoutError:
        raise Incorrect(f"{handler.__name__}({shown}) did not return within "
                        f"{TIME_LIMIT / 4:g} s: does it wait for something that never "
                        "comes, or loop forever?") from None  # fmt: skip
    except Exception as error:
        raise Incorrect(f"calling {handler.__name__}({shown}) raised {error!r}") from error
    finally:
        background.close()
    if result is not ____:
        try:
            sendable(result)
        except Incorrect as why:
            raise Incorrect(f"{handler.__name__}({shown}): {why} The client gets what the "
                            "handler returns, as JSON.") from None  # fmt: skip
    return result


class Judged(NamedTuple):
    """A verdict, and whether it came from the time limit or an error in the checker."""

    outcome: str  # "correct" | "not attempted" | "incorrect"
    text: str
    trouble: str = ""  # "" | "time limit" | "checker error"


class _TimeLimit(BaseException):
    """Raised inside code still running at the time limit, so that it stops."""


_HERE = str(Path(__file__).resolve().parents[1])  # all of labsupport: the course's code
_LIBRARIES = tuple({sys.prefix, sys.base_prefix, sys.exec_prefix})


def _yours(filename):
    """True for code the learner wrote (a notebook cell), not the course's or a library's."""
    return not (filename.startswith((_HERE, *_LIBRARIES)) or filename.startswith("<frozen"))


def _where(frames):
    """``at line 3 of your code: `while offset < n:`'' for the innermost learner frame."""
    import linecache

    for frame, lineno in reversed(frames):
        code = frame.f_code
        if _yours(code.co_filename):
            line = linecache.getline(code.co_filename, lineno).strip()
            shown = f": `{line}`" if line else ""
            return f" It was in {code.co_name}, at line {lineno} of your code{shown}."
    return ""


def _stack(frame):
    frames = []
    while frame is not None:
        frames.append((frame, frame.f_lineno))
        frame = frame.f_back
    return list(reversed(frames))


def _stop_learner_code(worker):
    """Raise ``_TimeLimit`` in the worker and in every thread running learner code now."""
    where = ""
    for ident, frame in sys._current_frames().items():
        if ident == threading.get_ident():
            continue  # the caller (the notebook's cell) waits for the verdict
        stack = _stack(frame)
        mine = _where(stack)
        if ident == worker.ident or mine:
            where = where or mine
            ctypes.pythonapi.PyThreadState_SetAsyncExc(
                ctypes.c_ulong(ident), ctypes.py_object(_TimeLimit)
            )
    return where


# What the check's servers and clients log: the learner's handler errors, a sync
# RedisManager's "retrying" lines. Held back while a check runs, and told in the verdict.
QUIET = ("engineio.server", "socketio.server", "engineio.client", "socketio.client", "asyncio")


class _Held(logging.Filter):
    def __init__(self):
        super().__init__()
        self.records = []

    def filter(self, record):
        if record.levelno >= logging.WARNING:
            self.records.append(record)
        return False

    def told(self):
        """The first record, as words for the verdict ("" if none)."""
        if not self.records:
            return ""
        record = self.records[0]
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            frames = [(tb.tb_frame, tb.tb_lineno) for tb in _tracebacks(error.__traceback__)]
            return f" Meanwhile, on the server, your code raised {error!r:.150}.{_where(frames)}"
        return f" Meanwhile the server logged: {record.getMessage():.150}"


@contextlib.contextmanager
def _holding_logs():
    held = _Held()
    loggers = [logging.getLogger(name) for name in QUIET]
    for logger in loggers:
        logger.addFilter(held)
    try:
        yield held
    finally:
        for logger in loggers:
            logger.removeFilter(held)


def judge(problem, answer, limit=None):
    """Ask ``problem`` about ``answer``, within ``limit`` (default ``TIME_LIMIT``) seconds."""
    with _holding_logs() as held:
        judged = _judge(problem, answer, TIME_LIMIT if limit is None else limit)
    if judged.outcome == "incorrect" and (told := held.told()) and told not in judged.text:
        judged = judged._replace(text=judged.text + told)
    return judged


def _judge(problem, answer, limit):
    result = []

    def work():
        _last.value = ____
        try:
            note = problem.verify(answer)
            result.append(Judged("correct", note or ""))
        except NotAttempted as why:
            result.append(Judged("not attempted", str(why)))
        except Incorrect as why:
            result.append(Judged("incorrect", str(why)))
        except _TimeLimit:
            pass
        except Exception as error:  # the checker met something it did not foresee
            frames = [(tb.tb_frame, tb.tb_lineno) for tb in _tracebacks(error.__traceback__)]
            slip = describe(_last.value) if _last.value is not ____ else ""
            text = (f"the check could not go on: {error!r:.200}.{_where(frames)}"
                    + (f" Your code returned {slip}" if slip else ""))  # fmt: skip
            result.append(Judged("incorrect", text, "checker error"))
        finally:
            result.append(getattr(_last, "value", ____))

    worker = threading.Thread(target=work, name=f"check:{problem.title}", daemon=True)
    worker.start()
    worker.join(limit)
    if not worker.is_alive():
        return result[0]
    where = _stop_learner_code(worker)
    worker.join(5)  # its finally blocks stop the check's servers
    last = result[-1] if result else ____
    slip = describe(last) if last is not ____ else ""
    hang = " Does your code wait for something that never comes, or loop forever?"
    if problem.when_slow:
        hang = f"{hang} {problem.when_slow}"
    text = f"the check did not finish within {limit:g} s.{where}" + (
        f" Your code returned {slip}" if slip else hang
    )
    return Judged("incorrect", text, "time limit")


def _tracebacks(tb):
    while tb is not None:
        yield tb
        tb = tb.tb_next


def verdict(problem, answer):
    """Ask ``problem`` about ``answer``: ``("correct" | "not attempted" | "incorrect", text)``."""
    judged = judge(problem, answer)
    return judged.outcome, judged.text


class Exercise:
    """What the notebook sees as ``q1``: ``check()``, ``hint()``, ``solution()``."""

    LABELS = {"correct": "Correct", "not attempted": "Not attempted yet", "incorrect": "Not quite"}

    def __init__(self, problem):
        self.problem = problem
        self._hints_shown = 0

    def check(self, answer=____):
        """Print whether ``answer`` is right, and if not, why not."""
        outcome, text = verdict(self.problem, answer)
        print(f"{self.LABELS[outcome]} ({self.problem.title}). {text}".rstrip())
        if outcome == "incorrect" and self._hints_shown < len(self.problem.hints):
            print("Stuck? Call .hint() for a hint.")

    def hint(self):
        """Print the next hint; call again for a more specific one."""
        hints = self.problem.hints
        if not hints:
            print("No hints for this one: try .solution().")
            return
        if self._hints_shown >= len(hints):
            print(f"That was the last of {len(hints)} hints: .solution() shows a worked answer.")
            return
        index = self._hints_shown
        self._hints_shown += 1
        more = " (call .hint() again for more)" if index + 1 < len(hints) else ""
        print(f"Hint {index + 1} of {len(hints)}: {hints[index]}{more}")

    def solution(self):
        """Print the worked solution."""
        problem = self.problem
        print(f"Solution ({problem.title}):\n{problem.solution.strip()}")
        if problem.why.strip():
            print(f"\n{problem.why.strip()}")

    def __repr__(self):
        return f"<exercise: {self.problem.title}; call .check(answer), .hint(), .solution()>"
