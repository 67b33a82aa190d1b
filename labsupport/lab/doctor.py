"""``labsupport.doctor()``: is this machine ready for the course? Says how to fix what is not.

Each check returns a ``Check``: a name, whether it passed, what was found, and the
fix to try when it failed. Notebook 00 runs them all; run them again whenever
something behaves oddly after you changed your set-up.
"""

import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from labsupport.lab.paths import BROWSER_CLIENT

SETUP = "run the set-up command from the README again"
PACKAGES = ("python-socketio", "python-engineio", "aiohttp", "jupyterlab", "matplotlib",
            "nest-asyncio2", "nbval", "jupyter-server-proxy")  # fmt: skip


@dataclass
class Check:
    name: str
    ok: bool
    found: str
    fix: str = ""
    needed_for: str = "the whole course"


def check_python():
    version = ".".join(map(str, sys.version_info[:3]))
    return Check("Python", sys.version_info >= (3, 11), version, "install Python 3.11 or newer")


def check_package(name):
    try:
        return Check(name, True, metadata.version(name))
    except metadata.PackageNotFoundError:
        return Check(name, False, "not installed", f"{SETUP} (it runs pip install)")


def _version(argv):
    """Run ``argv`` (a ``--version`` command) and pick the version number out of what it says."""
    try:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\d+\.\d+(\.\d+)?", result.stdout or result.stderr)
    return match.group(0) if match else None


def find_program(name):
    """``name`` on the PATH, or beside this Python: without root, ``./course`` puts PyPI's
    Node.js in ``.venv/bin``, which a hub's kernel may not have on its PATH."""
    return shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))


def check_program(name, argv, fix, needed_for):
    """Is ``argv[0]`` on the PATH (or beside this Python), and what version does it report?"""
    program = find_program(argv[0])
    version = _version([program, *argv[1:]]) if program else None
    return Check(name, version is not None, version or "not found on PATH", fix, needed_for)


def check_rabbitmq():
    """RabbitMQ for notebook 06c.

    The version comes from where the scripts are installed (``rabbitmq_server-3.10.8``,
    Homebrew's ``Cellar/rabbitmq/3.13.0``): ``rabbitmqctl version`` would start Erlang's
    shared port mapper on port 4369, which outlives it.
    """
    import os

    from labsupport.lab import rabbit_broker

    found = rabbit_broker.program()
    match = re.search(r"(\d+\.\d+\.\d+)", os.path.realpath(found)) if found else None
    version = match.group(1) if match else ("installed" if found else None)
    return Check("rabbitmq-server", version is not None, version or "not installed",
                 rabbit_broker.HINT.split(": ", 1)[1], "notebook 06c")  # fmt: skip


def check_nginx():
    """nginx for notebook 06b §2. Debian puts it in /usr/sbin, on root's PATH only."""
    fix = "Debian/Ubuntu: sudo apt-get install nginx; macOS: brew install nginx"
    program = find_program("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    version = _version([program, "-v"]) if program else None
    return Check("nginx", version is not None, version or "not found", fix, "notebook 06b §2")


def check_browser_client():
    package = BROWSER_CLIENT / "package.json"
    bundle = BROWSER_CLIENT / "dist" / "socket.io.min.js"
    if not bundle.exists():
        return Check("socket.io-client (npm)", False, "not installed",
                     "run 'npm ci' in the course folder", "notebook 03's browser page")  # fmt: skip
    import json

    version = json.loads(package.read_text())["version"]
    return Check("socket.io-client (npm)", True, version, needed_for="notebook 03's browser page")


def check_browser():
    """A headless Chromium that really runs (not Ubuntu's snap stub), for notebook 03."""
    from labsupport.lab import browser

    found = browser.find_chromium()
    if found is None:
        return Check("headless Chromium", False, "none that runs", browser.why_no_browser(),
                     "notebook 03's headless page and the browser tests")  # fmt: skip
    version = _version([found, "--version"]) or "?"
    return Check("headless Chromium", True, version, needed_for="notebook 03's headless page")


def checks():
    """Run every check and return the list of ``Check`` results."""
    redis_fix = "Debian/Ubuntu: sudo apt-get install redis-server; macOS: brew install redis"
    node_fix = "Debian/Ubuntu: sudo apt-get install nodejs npm; macOS: brew install node"
    return [
        check_python(),
        *(check_package(name) for name in PACKAGES),
        check_program("redis-server", ["redis-server", "--version"], redis_fix, "notebook 06"),
        check_nginx(),
        check_rabbitmq(),
        check_program("node", ["node", "--version"], node_fix, "the JavaScript client"),
        check_browser_client(),
        check_browser(),
    ]


def doctor():
    """Print one line per check, with the fix for anything missing. Returns nothing."""
    results = checks()
    for c in results:
        mark = "ok" if c.ok else "MISSING"
        line = f"[{mark:>7}] {c.name}: {c.found}"
        if not c.ok:
            line += f"\n          needed for {c.needed_for}; fix: {c.fix}"
        print(line)
    failed = [c.name for c in results if not c.ok]
    print("All checks passed." if not failed else f"{len(failed)} check(s) failed: {failed}")
