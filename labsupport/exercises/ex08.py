"""Exercises of notebook 08 (measuring): ``from labsupport.exercises.ex08 import q1``."""

from labsupport.exercises.checks import Choice, Exercise, Incorrect, Problem, expect_value


class Ratio(Problem):
    title = "q1, a ratio against the baseline"
    hints = (
        "Section 3 divides the course's CPU per message by Node's, from the same round.",
        "`figures[system][key] / figures['Node socket.io'][key]`",
    )
    solution = """
def ratio(figures, system, key):
    return figures[system][key] / figures["Node socket.io"][key]


q1.check(ratio)
"""
    why = """
A ratio against a baseline measured in the same run cancels out what the machine and
the moment add to both: a busier machine slows both, and the ratio stays put.
"""
    cases = [
        ({"A": {"latency_us": 400.0}, "Node socket.io": {"latency_us": 200.0}}, "A",
         "latency_us", 2.0),
        ({"B": {"cpu": 30.0}, "Node socket.io": {"cpu": 40.0}}, "B", "cpu", 0.75),
    ]  # fmt: skip

    def verify(self, ratio):
        self.expect_attempted(ratio)
        for figures, system, key, expected in self.cases:
            try:
                got = ratio(figures, system, key)
            except Exception as error:
                raise Incorrect(f"ratio(..., {system!r}, {key!r}) raised {error!r}") from error
            self.expect_attempted(got)
            expect_value(f"ratio(..., {system!r}, {key!r})", got)
            if isinstance(got, bool) or not isinstance(got, (int, float)):
                raise Incorrect(f"for {figures} we expected the number {expected}, got {got!r} "
                                f"(a {type(got).__name__}): return the quotient itself, not "
                                "text made from it.")  # fmt: skip
            if abs(got - expected) > 1e-9:
                slip = " (upside down?)" if got and abs(got * expected - 1) < 1e-9 else ""
                raise Incorrect(f"for {figures} we expected {expected}, got {got!r}{slip}.")
        return "system over baseline, both from the same run."


class Bottleneck(Choice):
    title = "q2, is the load client the bottleneck?"
    hints = ("Section 3: what does a busy share near 100% of one core mean for the client?",)
    solution = """
q2.check("b")
"""
    why = """
A client that is busy all the time cannot send faster, so the throughput it reports is
its own limit, not the server's. CPU per message, measured on the server, stays honest.
"""
    reasons = {
        "a": "a client busy all the time is the limit on throughput: the server may be idle.",
        "c": "the client's own CPU time is exactly the evidence: it was measured.",
    }

    answer = "b"
    right = "throughput then measures the client; CPU per message still measures the server."


q1 = Exercise(Ratio())
q2 = Exercise(Bottleneck())
