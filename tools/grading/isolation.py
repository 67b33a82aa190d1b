"""Each notebook is graded in namespaces of its own, and nothing it started survives.

Not a lesson: teacher tooling for ``./course grade`` (tools/grade.py).

On Linux, ``unshare`` gives the grading run
- a **network namespace** with only the loopback interface, brought up here: servers on
  127.0.0.1 work as in the course, and nothing beyond it is reachable;
- a **PID namespace** whose first process is the grading run: when it exits, Linux kills
  every process left in the namespace, however it was started (even ``setsid``).
Where ``unshare`` is refused (macOS, a container that forbids it), grading runs without
them and the report says so; then processes are found by a marker in their environment,
which every process the notebook starts inherits (unless it clears its environment).
"""

import fcntl
import os
import shutil
import signal
import socket
import struct
import subprocess
import time
from pathlib import Path

MARKER = "COURSE_GRADE_RUN"  # environment variable: which grading run a process belongs to
ISOLATED = "COURSE_GRADE_ISOLATED"  # "1" inside the namespaces


def namespace_prefix():
    """``(argv prefix, description)`` that runs a program in fresh namespaces, or
    ``(None, why not)``. Tried once with ``true``, so a refusal is known up front."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return None, "not isolated: no unshare command on this system"
    prefix = [unshare, "--net", "--pid", "--fork", "--kill-child", "--mount-proc"]
    if os.geteuid() != 0:
        prefix.insert(1, "--map-root-user")  # a user namespace lets a non-root user do it
    try:
        probe = subprocess.run([*prefix, "true"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as error:
        return None, f"not isolated: unshare failed ({error})"
    if probe.returncode != 0:
        return None, f"not isolated: unshare refused ({probe.stderr.strip()})"
    return prefix, "isolated: own network namespace (loopback only) and PID namespace"


def loopback_up():
    """Bring ``lo`` up, as ``ip link set lo up`` does: a new network namespace starts with
    it down, and then not even 127.0.0.1 answers."""
    get_flags, set_flags, up = 0x8913, 0x8914, 0x1  # SIOCGIFFLAGS, SIOCSIFFLAGS, IFF_UP
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH22x", b"lo", 0)  # struct ifreq: name, flags, padding
        flags = struct.unpack("16sH22x", fcntl.ioctl(sock, get_flags, request))[1]
        fcntl.ioctl(sock, set_flags, struct.pack("16sH22x", b"lo", flags | up))


def _alive(pid):
    """True unless ``pid`` is gone or a zombie (exited, waiting to be reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def processes(token, everyone=False):
    """``{pid: command line}`` of live processes of grading run ``token``, except me.

    ``everyone``: inside the PID namespace, every other process is the notebook's.
    """
    tag = f"{MARKER}={token}".encode()
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if not everyone and tag not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except OSError:
            continue
        if _alive(int(entry.name)):
            found[int(entry.name)] = command
    return found


def _reap():
    """Collect exited children (in a PID namespace, orphans become mine)."""
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass


def sweep(token, everyone=False, grace=3.0):
    """Wait up to ``grace`` s for the run's processes to end by themselves, kill the rest
    with SIGKILL, and return the command lines of those that had to be killed."""
    deadline = time.monotonic() + grace
    while (left := processes(token, everyone)) and time.monotonic() < deadline:
        _reap()
        time.sleep(0.1)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    while processes(token, everyone) and time.monotonic() < deadline + 5:
        _reap()
        time.sleep(0.05)
    return sorted(left.values())
