"""labsupport's layers hold: no import climbs from the lab bench to a lesson, or from a
lesson to the exercises or production (the contract: pyproject.toml, [tool.importlinter])."""

import ast
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT = Path(sys.executable).parent / "lint-imports"
LONG = 230  # lines: "about 200"; a longer lesson or lab module says why in its docstring


def lint(folder):
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(folder)}
    return subprocess.run([str(LINT)], cwd=folder, env=env, capture_output=True, text=True,
                          timeout=90)  # fmt: skip


def lessons_layer():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    return {name.strip() for name in config["contracts"][0]["layers"][1].split(":")}


def test_the_contract_is_kept():
    run = lint(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "1 kept, 0 broken" in run.stdout


def test_every_lesson_module_is_in_the_lessons_layer():
    modules = {path.stem for path in (ROOT / "labsupport").glob("*.py")} - {"__init__"}
    assert modules == lessons_layer()


def test_an_import_that_climbs_breaks_the_contract(tmp_path):
    shutil.copytree(ROOT / "labsupport", tmp_path / "labsupport",
                    ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    paths = tmp_path / "labsupport" / "lab" / "paths.py"
    paths.write_text(paths.read_text() + "\nfrom labsupport import framing  # climbs\n")
    run = lint(tmp_path)
    assert run.returncode != 0 and "labsupport.lab.paths -> labsupport.framing" in run.stdout


def test_long_modules_say_why():
    folders = [ROOT / "labsupport", ROOT / "labsupport" / "lab"]
    long = [path for folder in folders for path in folder.glob("*.py")
            if len(path.read_text().splitlines()) > LONG]  # fmt: skip
    docstrings = {path.name: ast.get_docstring(ast.parse(path.read_text())) for path in long}
    unexplained = [name for name, text in docstrings.items() if "for a reason" not in text]
    assert not unexplained, f"over {LONG} lines, with no reason in the docstring: {unexplained}"
