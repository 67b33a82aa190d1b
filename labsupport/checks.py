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
"""


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
    hints = ()
    solution = ""
    why = ""

    def verify(self, answer):
        """Return a note on a right answer; raise ``Incorrect``/``NotAttempted`` otherwise."""
        raise NotImplementedError

    def expect_attempted(self, *values):
        """Raise ``NotAttempted`` if any value is still the ``____`` placeholder."""
        if any(value is ____ for value in values):
            raise NotAttempted(UNTOUCHED)


class Choice(Problem):
    """A question answered with one letter: ``answer`` is right, ``reasons`` say why
    each wrong letter is wrong, and ``right`` is the note for the right one."""

    answer = "a"
    reasons = {}
    right = ""

    def verify(self, answer):
        self.expect_attempted(answer)
        answer = str(answer).strip().lower()
        if answer in self.reasons:
            raise Incorrect(f"not {answer!r}: {self.reasons[answer]}")
        if answer != self.answer:
            letters = sorted([*self.reasons, self.answer])
            raise Incorrect(f"answer with one letter: {', '.join(map(repr, letters))}.")
        return self.right


def call_handler(handler, *args):
    """Run an ``async def`` handler the learner wrote, on a loop of its own; return its result.

    Checkers call it before testing a handler over a real connection, so that an
    untouched ``return ____`` is reported as not attempted, and an error in the
    handler shows up with its message instead of as a silent missing reply.
    """
    from .background import BackgroundLoop

    background = BackgroundLoop("checker")
    try:
        return background.run(handler(*args))
    except Exception as error:
        shown = ", ".join(repr(a) for a in args)
        raise Incorrect(f"calling {handler.__name__}({shown}) raised {error!r}") from error
    finally:
        background.close()


def verdict(problem, answer):
    """Ask ``problem`` about ``answer``: ``("correct" | "not attempted" | "incorrect", text)``."""
    try:
        return "correct", problem.verify(answer) or ""
    except NotAttempted as why:
        return "not attempted", str(why)
    except Incorrect as why:
        return "incorrect", str(why)


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
