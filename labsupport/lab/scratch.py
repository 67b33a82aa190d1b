"""One temporary folder per kernel, removed when the kernel exits: nothing left in /tmp.

Every notebook imports labsupport, and this module runs first (``labsupport/__init__.py``).
It makes one folder, ``labsupport-tmp-PID-XXXXXXXX``, in the system's temporary directory,
and points everything at it:

- Python's ``tempfile`` (``tempfile.tempdir``): notebook 01's packet captures
  (``capture``), notebook 03's browser profiles (``browser``), notebook 05b's credit
  ledger, notebook 08's benchmark files, a notebook's own ``tempfile.mkdtemp()``;
- the ``TMPDIR`` of every program the kernel starts (``processes``: Chromium, Redis,
  Node.js, the course's servers, as in notebooks 03, 05 and 05b), which their own
  temporary files follow.

When the kernel exits normally (a notebook closed, a kernel restarted, ``exit()``), the
folder is removed, after the registry has stopped every server and program that might
still write into it. A kernel killed outright runs no exit code; the next kernel that
imports labsupport removes the folders of kernels that no longer run.

A program the kernel starts shares the kernel's folder (``LABSUPPORT_TMP`` tells it
which). A process started with a ``TMPDIR`` of its own (a kernel a test starts that way)
makes its own folder there.
"""

import atexit
import os
import re
import shutil
import tempfile
from pathlib import Path

PREFIX = "labsupport-tmp-"
INHERITED = "LABSUPPORT_TMP"  # the folder, for the processes this one starts
_MINE = re.compile(rf"^{re.escape(PREFIX)}(\d+)-[0-9a-z_]+$")

# A process started by one that has a folder (a kernel's servers, multiprocessing's
# workers) shares that folder: it inherits LABSUPPORT_TMP equal to its TMPDIR. A process
# given a TMPDIR of its own makes its folder there, never inside another such folder:
# Unix socket paths (multiprocessing's, under the temporary folder) must stay short.
_given = os.environ.get(INHERITED)
OWNED = not (_given and Path(_given) == Path(tempfile.gettempdir()))
PARENT = Path(tempfile.gettempdir())  # where folders are made: TMPDIR, or /tmp
while _MINE.match(PARENT.name):
    PARENT = PARENT.parent
FOLDER = (
    Path(tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=PARENT))
    if OWNED
    else Path(tempfile.gettempdir())
)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive, and not ours anyway
        return True
    return True


def remove_orphans(parent=PARENT):
    """Remove the folders of kernels (of this user) that no longer run; return their names."""
    removed = []
    for entry in os.scandir(parent):
        match = _MINE.match(entry.name)
        try:
            if not match or entry.stat(follow_symlinks=False).st_uid != os.getuid():
                continue
        except OSError:
            continue
        if not _alive(int(match[1])):
            shutil.rmtree(entry.path, ignore_errors=True)
            removed.append(entry.name)
    return removed


def _remove():
    if os.getpid() == _CREATOR:  # not a forked child (multiprocessing) that inherited it
        shutil.rmtree(FOLDER, ignore_errors=True)


_CREATOR = os.getpid()
tempfile.tempdir = str(FOLDER)
os.environ["TMPDIR"] = os.environ[INHERITED] = str(FOLDER)
if OWNED:
    # Registered before any other labsupport module registers its own exit code (the
    # registry's stop_all), so it runs after them: atexit runs the last registered first.
    atexit.register(_remove)
    remove_orphans()
