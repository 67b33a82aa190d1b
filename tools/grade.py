"""``./course grade PATH...``: grade learners' notebooks. Teacher tooling, not a lesson.

Each notebook runs in a fresh kernel, one cell at a time, with a time limit per cell and
per notebook, in its own network namespace (only 127.0.0.1) and PID namespace (nothing
it starts outlives its grading; see tools/grading/isolation.py). The verdicts the
course's checkers print are collected into ``grades.csv`` and ``grades.md``, written
next to the submissions (or to ``--out``), with each executed notebook under ``graded/``.

Whose notebook is it? ``PATH/ada/00_start_here.ipynb`` is ada's; a file given directly,
or at the top of the folder, is named after what its name has besides the course
notebook's (``ada_00_start_here.ipynb``, ``00-ada.ipynb``), else after its folder.

Usage: ``python tools/grade.py [--out DIR] [--cell-timeout S] [--notebook-timeout S]
[--jobs N] [--no-isolation] PATH...`` (``./course grade`` runs it with the course's .venv).
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``tools`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tools.grading import isolation, report, submissions  # noqa: E402

ROOT = submissions.ROOT
SHUTDOWN_MARGIN = 90  # s beyond the notebook's limit for the kernel to start and stop


def arguments(argv):
    parser = argparse.ArgumentParser(prog="./course grade", description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="+", metavar="PATH", help="notebooks or folders")
    add = parser.add_argument
    add("--out", type=Path, metavar="DIR", help="where to write the grades (next to PATH)")
    add("--cell-timeout", type=int, default=120, metavar="S", help="s per cell (120)")
    add("--notebook-timeout", type=int, default=900, metavar="S", help="s per notebook (900)")
    add("--jobs", type=int, default=1, metavar="N", help="notebooks graded at once (1)")
    parser.add_argument("--no-isolation", action="store_true", help="no namespaces")
    return parser.parse_args(argv)


def output_folder(paths):
    """Next to the submissions: the folder given, or the folder holding what was given."""
    paths = [Path(path).resolve() for path in paths]
    folders = [path if path.is_dir() else path.parent for path in paths]
    return Path(os.path.commonpath(folders))


def job_for(submission, options, folder, out):
    executed = out / "graded" / submission.learner / submission.path.name
    executed.parent.mkdir(parents=True, exist_ok=True)
    return {"notebook": str(submission.path.resolve()), "exercises": submission.exercises,
            "cell_timeout": options.cell_timeout, "notebook_timeout": options.notebook_timeout,
            "cwd": str(submissions.COURSE), "executed": str(executed),
            "result": str(folder / "result.json")}  # fmt: skip


def run_job(job, prefix, folder):
    """Run ``run_notebook`` on ``job`` (in the namespaces if ``prefix``); kill what is left."""
    token = uuid.uuid4().hex
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, isolation.MARKER: token, isolation.ISOLATED: "1" if prefix else "",
           "PYTHONPATH": path}  # fmt: skip
    (folder / "job.json").write_text(json.dumps(job))
    argv = [*(prefix or []), sys.executable, "-m", "tools.grading.run_notebook", "job.json"]
    with open(folder / "log.txt", "w") as log:
        process = subprocess.Popen(argv, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)  # fmt: skip
        try:
            process.wait(timeout=job["notebook_timeout"] + SHUTDOWN_MARGIN)
            killed = False
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # with --kill-child: the whole namespace
            process.wait()
            killed = True
    outside = isolation.sweep(token, grace=0 if killed else 2)
    return killed, outside


def read_result(folder, killed):
    """What ``run_notebook`` saved; if it never finished, say so for what it had not."""
    try:
        result = json.loads((folder / "result.json").read_text())
    except (OSError, ValueError):
        result = {"exercises": {}, "notebook": {"verdict": "running"}, "leftovers": []}
    if result["notebook"]["verdict"] == "running":
        log = (folder / "log.txt").read_text(errors="replace").strip().splitlines()
        why = "was killed: it did not finish in time" if killed else "crashed"
        detail = f" (last log line: {log[-1]})" if log and not killed else ""
        result["notebook"] = {"verdict": "timed out" if killed else "could not run",
                              "message": f"grading {why}{detail}"}  # fmt: skip
    return result


def rows_for(submission, result, isolated, outside):
    notebook = submission.course.stem if submission.course else submission.path.stem
    base = {"learner": submission.learner, "file": str(submission.path), "notebook": notebook}
    stopped = f"the notebook stopped first: {result['notebook']['message']}"
    rows = []
    for name, title in submission.exercises:
        verdict = result["exercises"].get(name, {"verdict": "not reached", "message": stopped})
        rows.append({**base, "exercise": title, **verdict})
    shown = None if isolated.startswith("isolated") else isolated  # say so only when not
    seconds = result["notebook"].get("seconds")
    took = f"graded in {seconds} s" if seconds is not None else ""
    note = "; ".join(filter(None, [result["notebook"].get("message", ""), shown, took]))
    rows.append({**base, "exercise": report.NOTEBOOK, "verdict": result["notebook"]["verdict"],
                 "message": note})  # fmt: skip
    left = result["leftovers"] + outside
    if left:
        rows.append({**base, "exercise": report.PROCESSES, "verdict": "left running",
                     "message": "killed after grading: " + "; ".join(left)})  # fmt: skip
    return rows


def grade(submission, options, out, prefix, isolated):
    """Every row for one submission (a course notebook or not)."""
    if submission.course is None:
        base = {"learner": submission.learner, "notebook": submission.path.stem,
                "file": str(submission.path), "exercise": report.NOTEBOOK}  # fmt: skip
        return [{**base, "verdict": "skipped", "message": "not a course notebook: its name "
                 "has no course notebook's name or two-digit number"}]  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="course-grade-") as temporary:
        folder = Path(temporary)
        killed, outside = run_job(job_for(submission, options, folder, out), prefix, folder)
        rows = rows_for(submission, read_result(folder, killed), isolated, outside)
    tally = ", ".join(f"{row['exercise']}: {row['verdict']}" for row in rows)
    print(f"{submission.learner} {submission.path.name}: {tally}", flush=True)
    return rows


def main(argv=None):
    options = arguments(argv)
    try:
        found = submissions.find(options.paths)
    except FileNotFoundError as error:
        sys.exit(f"./course grade: {error}")
    if not found:
        sys.exit("./course grade: no .ipynb files in " + " ".join(options.paths))
    prefix, isolated = (None, "not isolated: --no-isolation")
    if not options.no_isolation:
        prefix, isolated = isolation.namespace_prefix()
    out = (options.out or output_folder(options.paths)).resolve()
    out.mkdir(parents=True, exist_ok=True)
    print(f"grading {len(found)} notebook(s) ({isolated}); results in {out}", flush=True)
    with ThreadPoolExecutor(max_workers=max(1, options.jobs)) as pool:
        graded = pool.map(lambda s: grade(s, options, out, prefix, isolated), found)
        rows = [row for rows in graded for row in rows]
    report.write_csv(rows, out / "grades.csv")
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    heading = (f"Graded {when}, each in a fresh kernel, at most {options.cell_timeout} s a "
               f"cell and {options.notebook_timeout} s a notebook; {isolated}.")  # fmt: skip
    (out / "grades.md").write_text(report.summary(rows, heading))
    print(f"wrote {out / 'grades.csv'} and {out / 'grades.md'}")


if __name__ == "__main__":
    main()
