"""The grades: a CSV with a row per verdict, and a markdown summary for the teacher.

Not a lesson: teacher tooling for ``./course grade`` (tools/grade.py).

Each notebook gives one row per exercise of its course notebook, then a ``(notebook)``
row (completed, error, timed out, kernel died, could not run) and, if it left processes
running, a ``(processes)`` row naming them (they were killed).
"""

import csv
from collections import Counter

COLUMNS = ["learner", "notebook", "exercise", "verdict", "message", "file"]
NOTEBOOK, PROCESSES = "(notebook)", "(processes)"
DID_NOT_RUN = ("timed out", "not reached", "missing")


def write_csv(rows, path):
    with open(path, "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def cell(text):
    """Text safe inside a markdown table cell."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def table(header, lines):
    out = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return out + ["| " + " | ".join(cell(value) for value in line) + " |" for line in lines]


def counts(verdicts):
    """``solved`` as "k of n", then incorrect, not attempted and did-not-run counts."""
    tally = Counter(verdicts)
    did_not_run = sum(tally[verdict] for verdict in DID_NOT_RUN)
    solved = f"{tally['correct']} of {len(verdicts)}"
    return [solved, tally["incorrect"], tally["not attempted"], did_not_run]


def per_learner(rows):
    keys = sorted({(row["learner"], row["notebook"], row["file"]) for row in rows})
    lines, details = [], []
    for learner, notebook, file in keys:
        mine = [row for row in rows if (row["learner"], row["file"]) == (learner, file)]
        graded = [row for row in mine if not row["exercise"].startswith("(")]
        run = next(row["verdict"] for row in mine if row["exercise"] == NOTEBOOK)
        if any(row["exercise"] == PROCESSES for row in mine):
            run += ", left processes running"
        lines.append([learner, notebook, *counts([row["verdict"] for row in graded]), run])
        details += [f"- **{learner}**, {notebook}, {row['exercise']}: {row['verdict']}"
                    + (f": {row['message']}" if row["message"] else "")
                    for row in mine if row["verdict"] not in ("correct", "completed")]  # fmt: skip
    header = ["learner", "notebook", "solved", "incorrect", "not attempted", "did not run",
              "notebook run"]  # fmt: skip
    return (
        table(header, lines)
        + ["", "What each learner has still to do, and why:", ""]
        + (details or ["- nothing: every exercise is correct."])
    )


def per_exercise(rows):
    graded = [row for row in rows if not row["exercise"].startswith("(")]
    keys = list(dict.fromkeys((row["notebook"], row["exercise"]) for row in graded))
    lines = []
    for key in sorted(keys, key=lambda key: key[0]):
        these = [row for row in graded if (row["notebook"], row["exercise"]) == key]
        wrong = Counter(row["message"] for row in these if row["verdict"] == "incorrect")
        common = ""
        if wrong:
            message, times = wrong.most_common(1)[0]
            common = f"{message} ({times} of {sum(wrong.values())})"
        lines.append([*key, *counts([row["verdict"] for row in these]), common])
    header = ["notebook", "exercise", "solved", "incorrect", "not attempted", "did not run",
              "most common wrong answer"]  # fmt: skip
    return table(header, lines)


def summary(rows, heading):
    """The markdown summary: ``heading`` (how it was graded), per learner, per exercise."""
    learners = {row["learner"] for row in rows}
    files = {(row["learner"], row["file"]) for row in rows}
    return "\n".join([
        "# Grades", "",
        f"{len(files)} notebook(s) from {len(learners)} learner(s). {heading}", "",
        "Verdicts: **correct**; **incorrect** (with the checker's message); **not attempted** "
        "(the `____` is still there); and, when the exercise's check never printed a verdict: "
        "**timed out**, **not reached** (the notebook stopped before it), **missing** (its "
        "cell was deleted). Every row is in the CSV next to this file.", "",
        "## Per learner", "", *per_learner(rows), "",
        "## Per exercise", "", *per_exercise(rows), "",
    ])  # fmt: skip
