"""A newcomer's set-up, proven: a fresh clone, ``./course setup`` with the system's Python.

The development machine may put a newer Python first on ``PATH`` (pyenv, Homebrew),
which hides pins that do not install on the Python a class really has: Debian 12's
``/usr/bin/python3`` is 3.11.2. So this test clones the repository as committed (HEAD),
runs ``./course setup`` in a clean environment, ``env -i HOME=... PATH=/usr/sbin:/usr/bin:
/sbin:/bin``, where ``python3`` is the operating system's own, then imports labsupport
and starts one Jupyter kernel from the new ``.venv``.

Only downloads are kept between runs, under ``~/.cache/course-fresh-setup``: npm's
cache, and a folder of the wheels pip chose for this ``requirements.txt`` (pip's own
HTTP cache is not enough: a proxy may forbid storing, and pip prefers the index over a
local copy anyway). Once that folder is complete for the current ``requirements.txt``,
the set-up installs from it alone (``PIP_NO_INDEX``): still every package installed into
a new ``.venv`` from nothing, in a few minutes instead of tens of minutes.
"""

import hashlib
import os
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SYSTEM_PYTHON = Path("/usr/bin/python3")
CLEAN_PATH = "/usr/sbin:/usr/bin:/sbin:/bin"
CACHE = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "course-fresh-setup"
KERNEL_CHECK = """
from jupyter_client.manager import start_new_kernel
manager, client = start_new_kernel(kernel_name="python3")
reply = client.execute_interactive(
    "import sys, labsupport; print(sys.executable, '%d.%d.%d' % sys.version_info[:3])",
    timeout=60, output_hook=lambda msg: print(msg["content"].get("text", ""), end=""))
client.stop_channels()
manager.shutdown_kernel()
print("kernel reply:", reply["content"]["status"])
"""


def wheelhouse():
    """The wheels for this requirements.txt (a folder), and whether it is complete."""
    key = hashlib.sha256((ROOT / "requirements.txt").read_bytes()).hexdigest()[:16]
    folder = CACHE / f"wheels-{key}"
    return folder, (folder / "complete").exists()


def fill_wheelhouse(clone, home):
    """Download (once) every wheel the fresh .venv installed, plus pip and setuptools."""
    folder, complete = wheelhouse()
    if complete:
        return
    pip = [str(clone / ".venv" / "bin" / "python"), "-m", "pip", "download", "-q", "-d"]
    argv = [*pip, str(folder), "-r", "requirements.txt", "pip", "setuptools>=68"]
    result = clean_run(argv, home, clone, timeout=1800)
    assert result.returncode == 0, result.stderr[-3000:]
    (folder / "complete").touch()


def clean_run(argv, home, cwd, timeout):
    """Run ``argv`` as a newcomer's shell would: nothing from this environment but caches."""
    env = {"HOME": str(home), "PATH": CLEAN_PATH, "npm_config_cache": str(CACHE / "npm")}
    folder, complete = wheelhouse()
    if complete:
        env |= {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(folder)}
    return subprocess.run(["env", "-i", *(f"{k}={v}" for k, v in env.items()), *argv], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)  # fmt: skip


def system_python_version():
    argv = [str(SYSTEM_PYTHON), "-c", "import sys; print(*sys.version_info[:3], sep='.')"]
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture(scope="module")
def fresh_clone(tmp_path_factory):
    """A clone of this repository at HEAD (its committed state), with an empty HOME."""
    if not SYSTEM_PYTHON.exists():
        pytest.skip("no /usr/bin/python3 on this machine")
    base = tmp_path_factory.mktemp("fresh")
    clone, home = base / "course", base / "home"
    home.mkdir()
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()  # fmt: skip
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "checkout", "-q", "--detach", head], check=True)
    return clone, home


def test_a_fresh_clone_sets_up_with_the_systems_own_python(fresh_clone):
    clone, home = fresh_clone
    started = time.monotonic()
    setup = clean_run(["./course", "setup"], home, clone, timeout=1800)
    took = time.monotonic() - started
    log = setup.stdout + setup.stderr
    version = system_python_version()
    if tuple(map(int, version.split("."))) < (3, 11):  # e.g. Ubuntu 22.04: a plain refusal
        assert setup.returncode == 1 and "needs Python 3.11 or newer" in log, log
        return
    assert setup.returncode == 0, log[-3000:]
    assert f"Python {version} ({SYSTEM_PYTHON})" in log
    print(f"fresh set-up took {took:.0f} s")  # shown with pytest -s

    venv_python = clone / ".venv" / "bin" / "python"
    config = (clone / ".venv" / "pyvenv.cfg").read_text()
    assert f"home = {SYSTEM_PYTHON.parent}" in config, config
    kernel = clean_run([str(venv_python), "-c", KERNEL_CHECK], home, clone, timeout=120)
    assert kernel.returncode == 0, kernel.stderr[-3000:]
    assert f"{venv_python} {version}" in kernel.stdout, kernel.stdout
    assert "kernel reply: ok" in kernel.stdout
    assert (clone / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js").exists()
    fill_wheelhouse(clone, home)  # for the next run: downloads only what is new
