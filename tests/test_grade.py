"""``./course grade`` (tools/grade.py) on real notebooks: the verdicts it reports are the
ones the checkers print, and a notebook that errors, hangs or leaves a process behind gets
a verdict of its own without stopping the others or outliving its grading.

To stay fast, only notebook 00 runs whole, as committed; the others are graded on their
exercise section (what the lessons defined, the cell that imports the checkers, and the
cells that call ``qN.check``), with the published solutions filled in or broken on purpose.
Every notebook's exercise list is checked without running it.
"""

import csv
import importlib
import os
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import nbformat
import pytest

from labsupport.exercises.checks import UNTOUCHED

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.grading import isolation, report, submissions  # noqa: E402
from tools.grading.run_notebook import verdicts_in  # noqa: E402

COURSE = sorted(submissions.COURSE.glob("*.ipynb"))
NOTEBOOK_00 = submissions.COURSE / "00_start_here.ipynb"
# Solved exercise sections graded for real: 00; 02, which needs what its lessons defined;
# 06, whose checkers start Redis inside the namespace; the capstone's starter ("stage N").
SOLVED = [submissions.COURSE / f"{name}.ipynb" for name in (
    "00_start_here", "02_websockets_and_http", "06_scaling_with_redis",
    "07_capstone_caps_starter")]  # fmt: skip
ISOLATED = isolation.namespace_prefix()[0] is not None
MARK = f"grade-test-{uuid.uuid4().hex}"  # in the command line of the process left running


def grade(folder, *options):
    """Run ``tools/grade.py`` on ``folder``; its CSV rows, keyed by (learner, exercise)."""
    command = [sys.executable, str(ROOT / "tools" / "grade.py"), *options, str(folder)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    with open(folder / "grades.csv", newline="") as file:
        return {(row["learner"], row["notebook"], row["exercise"]): row
                for row in csv.DictReader(file)}  # fmt: skip


def save(notebook, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)


def checkers(course):
    """The ``labsupport.exercises`` module whose exercises ``course`` checks."""
    for cell in nbformat.read(course, as_version=4).cells:
        if found := submissions.EXERCISE_IMPORT.search(cell.source):
            return importlib.import_module(f"labsupport.exercises.{found.group(1)}")
    raise AssertionError(f"{course.name} imports no checkers")


def exercise_cells(notebook):
    """``{qN: cell}`` of the cells that check an exercise."""
    return {name: cell for cell in notebook.cells if cell.cell_type == "code"
            for name in submissions.CHECK_CALL.findall(cell.source)}  # fmt: skip


# What the notebooks have defined by the time their exercises run (as tests/solutions.py).
DEFINED_BEFORE = "import base64, hashlib, struct\n\nimport socketio\n\n" \
    "from labsupport import websocket_frames as wsf"  # fmt: skip


def section(course):
    """The exercise section of ``course``: what the lessons defined, its checkers' import
    cell and its check cells."""
    notebook = nbformat.read(course, as_version=4)
    notebook.cells = [nbformat.v4.new_code_cell(DEFINED_BEFORE)] + [
        cell for cell in notebook.cells if cell.cell_type == "code" and (
            submissions.EXERCISE_IMPORT.search(cell.source)
            or submissions.CHECK_CALL.search(cell.source))]  # fmt: skip
    return notebook


def solve(notebook, course, replace=True):
    """Put each exercise's published solution in its cell (``replace``), or after the
    starter code (where the cell defines something the solution uses, e.g. ``captured``).
    A cell that is only the check call (the capstone's: its stage is written in the cell
    before) is replaced either way: the solution defines the stage, then checks it."""
    module = checkers(course)
    for name, cell in exercise_cells(notebook).items():
        solution = getattr(module, name).problem.solution.strip()
        only_the_check = cell.source.strip().startswith(f"{name}.check(")
        cell.source = solution if replace or only_the_check else f"{cell.source}\n\n{solution}"
    return notebook


def titles(course):
    return [title for _, title in submissions.expected_exercises(course)]


# Unit tests: which notebook, whose, which verdict lines count.


@pytest.mark.parametrize(
    "relative, learner",
    [("ada/00_start_here.ipynb", "ada"), ("ada/week1/00_start_here.ipynb", "ada"),
     ("ada_00_start_here.ipynb", "ada"), ("00-bob.ipynb", "bob"),
     ("07_capstone_caps_starter Cy.ipynb", "Cy")],
)  # fmt: skip
def test_learner_comes_from_the_folder_or_else_the_file_name(tmp_path, relative, learner):
    path = tmp_path / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{}")
    assert submissions.learner_of(path, tmp_path, submissions.course_notebook(path.name)) == learner


def test_a_file_named_like_the_course_notebook_belongs_to_its_folder(tmp_path):
    path = tmp_path / "dee" / "00_start_here.ipynb"
    path.parent.mkdir()
    assert submissions.learner_of(path, path, submissions.course_notebook(path.name)) == "dee"


def test_the_course_notebook_is_found_by_name_then_by_number():
    assert submissions.course_notebook("ada_00_start_here.ipynb") == NOTEBOOK_00
    assert submissions.course_notebook("bob07-00.ipynb") == NOTEBOOK_00  # "07" is in a name
    assert submissions.course_notebook("cy_07.ipynb").stem == "07_capstone_caps_starter"
    assert submissions.course_notebook("07_capstone_caps.ipynb").stem == "07_capstone_caps"
    assert submissions.course_notebook("notes.ipynb") is None


def test_every_course_notebook_has_its_exercises_and_titles():
    for course in COURSE:
        found = submissions.expected_exercises(course)
        module = checkers(course)
        assert found, course.name
        assert [title for _, title in found] == [
            getattr(module, name).problem.title for name, _ in found
        ]
    assert titles(COURSE[-2])[0] == "stage 1, pickup routing"  # the capstone's starter


def test_a_verdict_line_needs_the_exact_title_and_a_checker_label():
    cell = nbformat.v4.new_code_cell("q2.check(3)")
    printed = "Not quite (q2, reading a trace). you said 2; count again.\nStuck? Call .hint()\n" \
        "Correct (q2, reading a trace)\nnot quite (q2, reading a trace). lower case\n" \
        "Correct (q2, reading a trace).\n"  # fmt: skip
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=printed)]
    found = list(verdicts_in(cell, ["q2, reading a trace"]))
    assert found == [("q2, reading a trace", "incorrect", "you said 2; count again."),
                     ("q2, reading a trace", "correct", "")]  # fmt: skip


def test_the_summary_counts_solved_and_the_most_common_wrong_message():
    answers = [("a", "correct", ""), ("b", "incorrect", "two"), ("c", "incorrect", "two"),
               ("d", "incorrect", "four")]  # fmt: skip
    rows = [{"learner": learner, "notebook": "00_start_here", "exercise": "q2", "file": learner,
             "verdict": verdict, "message": message}
            for learner, verdict, message in answers]  # fmt: skip
    rows += [{**row, "exercise": report.NOTEBOOK, "verdict": "completed"} for row in rows]
    text = report.summary(rows, "")
    assert "| 00_start_here | q2 | 1 of 4 | 3 | 0 | 0 | two (2 of 3) |" in text
    assert "| b | 00_start_here | 0 of 1 | 1 | 0 | 0 | completed |" in text


# Real grading runs.


@pytest.fixture(scope="module")
def course_grades(tmp_path_factory):
    """Notebook 00 whole, as committed; the exercise sections of ``SOLVED``, solved."""
    folder = tmp_path_factory.mktemp("submissions")
    save(nbformat.read(NOTEBOOK_00, as_version=4), folder / "untouched" / NOTEBOOK_00.name)
    save(solve(section(NOTEBOOK_00), NOTEBOOK_00), folder / "solved" / NOTEBOOK_00.name)
    for course in SOLVED[1:]:
        save(solve(section(course), course, replace=False), folder / "solved" / course.name)
    return grade(folder, "--jobs", "2", "--cell-timeout", "90")


def test_the_committed_notebook_is_all_not_attempted(course_grades):
    for title in titles(NOTEBOOK_00):
        row = course_grades["untouched", "00_start_here", title]
        assert (row["verdict"], row["message"]) == ("not attempted", UNTOUCHED)
    assert course_grades["untouched", "00_start_here", report.NOTEBOOK]["verdict"] == "completed"


def test_the_published_solutions_are_all_correct(course_grades):
    for course in SOLVED:
        for title in titles(course):
            row = course_grades["solved", course.stem, title]
            assert row["verdict"] == "correct", (
                row["exercise"],
                row["message"],
            )  # last verdict counts


def test_nothing_was_left_running_by_the_course_notebooks(course_grades):
    assert not [key for key in course_grades if key[2] == report.PROCESSES]


@pytest.fixture(scope="module")
def fault_grades(tmp_path_factory):
    """Sections of notebook 00 that go wrong in every way, graded with a 20 s cell limit."""
    folder = tmp_path_factory.mktemp("faults")
    exercises = lambda: exercise_cells(notebook)  # noqa: E731 (the notebook in hand)

    notebook = solve(section(NOTEBOOK_00), NOTEBOOK_00)
    exercises()["q1"].source = exercises()["q1"].source.replace("text.upper()", "text")
    exercises()["q2"].source = "q2.check(2)"
    save(notebook, folder / "wrong" / NOTEBOOK_00.name)

    notebook = solve(section(NOTEBOOK_00), NOTEBOOK_00)
    exercises()["q1"].source = "while True:\n    pass\n\n" + exercises()["q1"].source
    save(notebook, folder / "loop" / NOTEBOOK_00.name)

    notebook = solve(section(NOTEBOOK_00), NOTEBOOK_00)
    notebook.cells.insert(2, nbformat.v4.new_code_cell("rate = 1 / 0"))
    save(notebook, folder / "crash" / NOTEBOOK_00.name)

    notebook = leaves_a_server_running()  # and has q2's cell deleted, q1's solved
    exercises()["q1"].source = checkers(NOTEBOOK_00).q1.problem.solution
    notebook.cells.remove(exercises()["q2"])
    notebook.cells.append(nbformat.v4.new_code_cell('print("Correct (q2, reading a trace).")'))
    save(notebook, folder / "leaves" / NOTEBOOK_00.name)

    notebook = solve(section(NOTEBOOK_00), NOTEBOOK_00)  # a hang Ctrl-C cannot stop
    hang = "import signal, time\n\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n" \
        "while True:\n    time.sleep(1)\n\n"  # fmt: skip
    exercises()["q1"].source = hang + exercises()["q1"].source
    save(notebook, folder / "stuck" / NOTEBOOK_00.name)

    notebook = solve(section(NOTEBOOK_00), NOTEBOOK_00)
    exercises()["q1"].source = "import os\n\nos._exit(1)\n\n" + exercises()["q1"].source
    save(notebook, folder / "dies" / NOTEBOOK_00.name)

    save(nbformat.v4.new_notebook(), folder / "notes.ipynb")
    return grade(folder, "--jobs", "3", "--cell-timeout", "20", "--notebook-timeout", "120")


LISTENER = socket.create_server(("127.0.0.1", 0))  # the test's own loopback: not the notebook's


def leaves_a_server_running():
    """A notebook that starts a server in a session of its own and never stops it, and
    looks at the network it was given."""
    start = (f"import subprocess, sys\nserver = subprocess.Popen([sys.executable, '-c', "
             f"'import time; time.sleep(300)', {MARK!r}], start_new_session=True)")  # fmt: skip
    look = (f"import os, socket\nprint(sorted(name for _, name in socket.if_nameindex()))\n"
            f"print(os.readlink('/proc/self/ns/net'))\ntry:\n"
            f"    socket.create_connection(('127.0.0.1', {LISTENER.getsockname()[1]}), 2)\n"
            f"    print('reached the grader')\nexcept OSError as error:\n"
            f"    print(type(error).__name__)")  # fmt: skip
    notebook = section(NOTEBOOK_00)
    notebook.cells[2:2] = [nbformat.v4.new_code_cell(start), nbformat.v4.new_code_cell(look)]
    return notebook


def test_wrong_answers_are_incorrect_with_the_checkers_message(fault_grades):
    q1, q2 = titles(NOTEBOOK_00)
    assert fault_grades["wrong", "00_start_here", q1]["verdict"] == "incorrect"
    assert fault_grades["wrong", "00_start_here", q1]["message"] == (
        "we emitted 'shout' with 'ready? go!', expected the ack 'READY? GO!' and got "
        "'ready? go!'. Did you return the text unchanged?"
    )
    assert fault_grades["wrong", "00_start_here", q2]["message"] == (
        "you said 2; count the rows with actor 'server' again."
    )


def test_an_infinite_loop_times_out_and_the_rest_is_graded(fault_grades):
    q1, q2 = titles(NOTEBOOK_00)
    assert fault_grades["loop", "00_start_here", q1]["verdict"] == "timed out"
    assert "still running after 20 s" in fault_grades["loop", "00_start_here", q1]["message"]
    assert fault_grades["loop", "00_start_here", q2]["verdict"] == "correct"
    assert fault_grades["loop", "00_start_here", report.NOTEBOOK]["verdict"] == "timed out"
    assert fault_grades["wrong", "00_start_here", report.NOTEBOOK]["verdict"] == "completed"


def test_a_hang_that_ignores_interrupts_stops_the_notebook(fault_grades):
    q1, q2 = titles(NOTEBOOK_00)
    assert fault_grades["stuck", "00_start_here", q1]["verdict"] == "timed out"
    assert fault_grades["stuck", "00_start_here", q2]["verdict"] == "not reached"
    assert (
        "did not answer after an interrupt" in fault_grades["stuck", "00_start_here", q2]["message"]
    )
    assert fault_grades["stuck", "00_start_here", report.NOTEBOOK]["verdict"] == "timed out"


def test_a_kernel_that_dies_leaves_the_rest_not_reached(fault_grades):
    for title in titles(NOTEBOOK_00):
        row = fault_grades["dies", "00_start_here", title]
        assert (row["verdict"], row["message"]) == (
            "not reached",
            "the notebook stopped first: the kernel died in cell 3 (`import os`)",
        )
    assert fault_grades["dies", "00_start_here", report.NOTEBOOK]["verdict"] == "kernel died"


def test_an_error_before_the_exercises_leaves_them_not_reached(fault_grades):
    for title in titles(NOTEBOOK_00):
        row = fault_grades["crash", "00_start_here", title]
        assert row["verdict"] == "not reached"
        assert "cell 3 (`rate = 1 / 0`) raised ZeroDivisionError" in row["message"]
    assert fault_grades["crash", "00_start_here", report.NOTEBOOK]["verdict"] == "error"


def test_a_deleted_exercise_is_missing_and_a_printed_verdict_does_not_count(fault_grades):
    q1, q2 = titles(NOTEBOOK_00)
    assert fault_grades["leaves", "00_start_here", q1]["verdict"] == "correct"
    assert fault_grades["leaves", "00_start_here", q2]["verdict"] == "missing"
    assert "no cell calls q2.check" in fault_grades["leaves", "00_start_here", q2]["message"]


def test_a_server_left_running_is_reported_and_gone(fault_grades):
    row = fault_grades["leaves", "00_start_here", report.PROCESSES]
    assert row["verdict"] == "left running" and MARK in row["message"]
    assert not running(MARK)


def test_a_file_that_is_no_course_notebook_is_skipped(fault_grades):
    assert fault_grades["notes", "notes", report.NOTEBOOK]["verdict"] == "skipped"


@pytest.mark.skipif(not ISOLATED, reason="unshare is refused here: grading is not isolated")
def test_the_notebook_sees_only_its_own_loopback(fault_grades, tmp_path):
    graded = next(Path(fault_grades["leaves", "00_start_here", report.NOTEBOOK]["file"])
                  .parent.parent.glob("graded/leaves/*.ipynb"))  # fmt: skip
    printed = "".join(out.get("text", "") for cell in nbformat.read(graded, 4).cells
                      for out in cell.get("outputs", []))  # fmt: skip
    interfaces, namespace, attempt = printed.splitlines()[:3]
    assert interfaces == "['lo']"
    assert namespace != os.readlink("/proc/self/ns/net")
    assert attempt == "ConnectionRefusedError"  # our 127.0.0.1 is not the notebook's


def test_without_isolation_the_report_says_so_and_nothing_is_left(tmp_path):
    save(leaves_a_server_running(), tmp_path / "leaves" / NOTEBOOK_00.name)
    grades = grade(tmp_path, "--no-isolation", "--cell-timeout", "30")
    assert "not isolated" in grades["leaves", "00_start_here", report.NOTEBOOK]["message"]
    assert MARK in grades["leaves", "00_start_here", report.PROCESSES]["message"]
    assert not running(MARK)


def running(mark):
    """Command lines of live processes whose command line has ``mark``."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            command = (entry / "cmdline").read_bytes()
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if mark.encode() in command and state != "Z" and entry.name != str(os.getpid()):
            found.append(command)
    return found
