"""labsupport as a wheel: a normal (not editable) install carries every file it needs.

``./course setup`` installs labsupport in editable mode, where the files are read from
the course folder. A normal install copies only what ``pyproject.toml`` declares, so this
test builds the wheel, installs it (``--no-deps``) into a scratch virtual environment, and
checks from there that every module and every data file (the browser page, the Node.js
programs, the shipped captures) came along, byte for byte, and that the modules that use
them find them. The other packages come from the course's ``.venv`` (a ``.pth`` line),
so nothing is downloaded but the build's own setuptools. Neither the build nor the
editable install may print a warning.
"""

import json
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "labsupport"
CHECK = """
import json, sys
from pathlib import Path
import labsupport
from labsupport.lab import capture, jsclient, webpage
root = Path(labsupport.__file__).parent
print(json.dumps({
    "root": str(root),
    "files": sorted(str(p.relative_to(root)) for p in root.rglob("*")
                    if p.is_file() and "__pycache__" not in p.parts),
    "used": [str(webpage.PAGE), str(jsclient.SCRIPTS), str(capture.SHIPPED)],
}))
"""


def shipped_files():
    """Every file of the package in the repository (sources and data)."""
    return sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
    )


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(site-packages folder of the scratch environment, the build's output)."""
    base = tmp_path_factory.mktemp("wheel")
    build = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(base / "dist"), str(ROOT)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr[-3000:]
    (wheel,) = (base / "dist").glob("labsupport-*.whl")
    venv.create(base / "env", with_pip=False)
    python = base / "env" / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    # the course's other packages, after the environment's own site-packages
    Path(purelib, "course-venv.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    install = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--no-index", str(wheel)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert install.returncode == 0, install.stderr[-3000:]
    return python, Path(purelib), build.stdout + build.stderr


def test_the_build_prints_no_warning(installed):
    _, _, log = installed
    lines = [line for line in log.splitlines() if "warning" in line.lower()]
    assert [line for line in lines if "Location 'file:" not in line] == [], log[-3000:]


def test_the_wheel_carries_every_module_and_data_file(installed):
    python, purelib, _ = installed
    run = subprocess.run([str(python), "-c", CHECK], capture_output=True, text=True,
                         cwd=purelib.parent, timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    found = json.loads(run.stdout)
    root = Path(found["root"])
    assert root == purelib / "labsupport"  # the installed copy, not the course folder
    assert found["files"] == shipped_files()
    for name in shipped_files():
        assert (root / name).read_bytes() == (PACKAGE / name).read_bytes(), name
    page, scripts, captures = map(Path, found["used"])
    assert page.is_file() and page.is_relative_to(root)
    assert sorted(p.name for p in scripts.glob("*.mjs")) == sorted(
        p.name for p in (PACKAGE / "lab" / "js").glob("*.mjs")
    )
    assert sorted(p.name for p in captures.iterdir()) == sorted(
        p.name for p in (PACKAGE / "lab" / "captures").iterdir()
    )
