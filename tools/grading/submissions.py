"""Which files are learners' notebooks, whose they are, and which exercises each must have.

Not a lesson: teacher tooling for ``./course grade`` (tools/grade.py).

The learner's name comes from where the notebook is (see ``learner_of``); the exercises a
notebook must have come from the committed course notebook with the same number, so an
exercise cell the learner deleted shows up as "missing" instead of silently vanishing.
"""

import importlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
COURSE = ROOT / "notebooks"
CHECK_CALL = re.compile(r"\b(q\d+)\.check\s*\(")
EXERCISE_IMPORT = re.compile(r"from\s+labsupport\.exercises\.(ex\d\d[a-z]?)\s+import")
NUMBER = re.compile(r"(?:^|[-_ .])(\d\d[a-z]?)(?=$|[-_ .])")  # "05b" in "ada_05b"; not "bob07"
SEPARATORS = "-_ ."
SKIPPED_FOLDERS = {".ipynb_checkpoints", "graded"}  # Jupyter's autosaves, our own output


@dataclass
class Submission:
    path: Path
    learner: str
    course: Path | None  # the committed notebook this is a copy of; None: not a course one
    exercises: list = field(default_factory=list)  # [(name, title)] the course notebook has


def course_notebook(filename):
    """The committed notebook a learner's file is a copy of, by name, else by number."""
    named = [path for path in COURSE.glob("*.ipynb") if path.stem in filename]
    if named:
        return max(named, key=lambda path: len(path.stem))
    number = NUMBER.search(Path(filename).stem)
    if number is None:
        return None
    numbered = sorted(COURSE.glob(f"{number.group(1)}_*.ipynb"))
    starters = [path for path in numbered if path.stem.endswith("_starter")]
    return (starters or numbered or [None])[0]  # notebook 07: learners get the starter


def learner_of(path, given, course):
    """The learner a notebook belongs to.

    ``PATH/ada/00_start_here.ipynb`` (any depth below ``ada``) belongs to ada. A file given
    directly, or lying at the top of the given folder, belongs to what its name has besides
    the course notebook's name or number (``ada_00_start_here.ipynb``, ``00-ada.ipynb``);
    if nothing is left (``ada/00_start_here.ipynb`` given as a file), to its folder.
    """
    if given.is_dir() and len(path.relative_to(given).parts) > 1:
        return path.relative_to(given).parts[0]
    rest = path.stem
    if course is not None:
        if course.stem in rest:
            rest = rest.replace(course.stem, " ", 1)
        else:
            rest = NUMBER.sub(" ", rest, count=1)
    return rest.strip(SEPARATORS) or path.resolve().parent.name


def expected_exercises(course):
    """``[(name, title)]`` of every exercise the committed notebook ``course`` checks."""
    notebook = nbformat.read(course, as_version=4)
    module, names = None, []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        imported = EXERCISE_IMPORT.search(cell.source)
        module = imported.group(1) if imported else module
        names += [name for name in CHECK_CALL.findall(cell.source) if name not in names]
    if module is None:
        return []
    exercises = importlib.import_module(f"labsupport.exercises.{module}")
    return [(name, getattr(exercises, name).problem.title) for name in names]


def notebooks_in(given):
    """Every ``.ipynb`` file at or under ``given`` (a file or a folder), in order."""
    if given.is_file():
        return [given]
    found = given.rglob("*.ipynb")
    return sorted(p for p in found if not SKIPPED_FOLDERS & set(p.relative_to(given).parts))


def find(paths):
    """A ``Submission`` per notebook under ``paths``; raise ``FileNotFoundError`` for a
    path that does not exist, so a typo is not graded as "nothing submitted"."""
    submissions = []
    for given in map(Path, paths):
        if not given.exists():
            raise FileNotFoundError(f"no such file or folder: {given}")
        for path in notebooks_in(given):
            course = course_notebook(path.name)
            exercises = expected_exercises(course) if course else []
            submissions.append(Submission(path, learner_of(path, given, course), course, exercises))
    return submissions
