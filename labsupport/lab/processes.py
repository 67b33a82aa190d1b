"""Servers as separate operating-system processes, which you can kill and restart.

A server in a thread (``servers.py``) dies with the kernel and shares its memory.
Some experiments need more: killing a server with ``kill -9`` in the middle of a
stream (notebook 05), or running two or three servers side by side (notebook 06).
For those, the server is a real process of its own.

``start_process(name, argv)`` runs ``argv`` and waits for the one line every course
server prints when it is ready to accept connections::

    listening on http://127.0.0.1:PORT

so you never connect before the server is listening (and never ``sleep`` and hope).
Processes share the registry of ``servers.py``: starting a second one under the
same name stops the first, and kernel exit stops them all.

Every process started here carries the environment variable ``LABSUPPORT_OWNER``
(inherited by its own children, like Chromium's helpers): the value its kernel was
given, or one made up for this kernel. On a machine shared by several learners, a
check for leftover processes looks for its own mark and never counts anyone else's.
Its ``TMPDIR`` is the kernel's own temporary folder (``scratch``), removed at kernel exit.
"""

import ctypes
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time

from labsupport.lab import registry, scratch

READY = re.compile(r"listening on (\S+)")
_PR_SET_PDEATHSIG = 1  # Linux prctl option: signal me when my parent dies
OWNER_VARIABLE = "LABSUPPORT_OWNER"
OWNER = os.environ.get(OWNER_VARIABLE) or f"kernel-{os.getpid()}-{secrets.token_hex(4)}"


def _die_with_parent():
    """Runs in the child just before it starts: ask Linux to kill it if the kernel dies.

    ``atexit`` covers a kernel that shuts down normally; this covers one that is
    killed outright, so no orphaned server keeps its port.
    """
    try:
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: rely on atexit alone
        pass


class ServerProcess:
    """A server running as a child process: its ``name``, ``url``, ``pid``, its output."""

    def __init__(self, name, argv, timeout, env=None, ready=READY, wait=True):
        self.name = name
        self.ready = ready
        self.timeout = timeout
        self.argv = argv
        self.url = None  # known once it is ready
        self.booted = False  # True once it printed its ready line
        self.output = []  # every line the process printed, for when something goes wrong
        self.printed = threading.Condition()  # notified for each new line of output
        self.folders = []  # temporary folders of this process alone, removed once it exits
        self.proc = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            # TMPDIR: its temporary files go in the kernel's folder (``scratch``), removed
            # when the kernel exits
            env={
                **os.environ,
                OWNER_VARIABLE: OWNER,
                "TMPDIR": str(scratch.FOLDER),
                scratch.INHERITED: str(scratch.FOLDER),  # it shares the folder, no other
                **(env or {}),
                "PYTHONUNBUFFERED": "1",
            },
        )
        self.pid = self.proc.pid
        if wait:
            self.wait_until_ready()

    def wait_until_ready(self):
        """Block until the process prints its ready line; return it (``self``).

        ``start_process(..., wait=False)`` returns before that, so that several
        processes can boot side by side: start them all, then wait for each.
        """
        if not self.booted:
            self.url = self._read_until_ready(self.timeout)
            self.booted = True
            # Keep reading its output, so a chatty server never blocks on a full pipe.
            threading.Thread(target=self._drain, name=f"output:{self.name}", daemon=True).start()
        return self

    def _read_until_ready(self, timeout):
        timer = threading.Timer(timeout, self.proc.kill)  # a hung start must not hang us
        timer.start()
        try:
            for line in self.proc.stdout:
                self.output.append(line.rstrip("\n"))
                if match := self.ready.search(line):
                    return match.group(1) if self.ready.groups else None
        finally:
            timer.cancel()
        self.proc.wait()
        log = "\n".join(self.output[-20:])
        raise RuntimeError(
            f"server process {self.name!r} exited with code {self.proc.returncode} "
            f"before it printed its ready line ({self.ready.pattern!r}). Its last output:\n{log}"
        )

    def _drain(self):
        for line in self.proc.stdout:
            with self.printed:
                self.output.append(line.rstrip("\n"))
                self.printed.notify_all()

    def wait_for_line(self, pattern, count=1, timeout=20):
        """Block until ``count`` lines of output match ``pattern`` (a regex); return them."""

        def matching():
            return [line for line in self.output if re.search(pattern, line)]

        with self.printed:
            if not self.printed.wait_for(lambda: len(matching()) >= count, timeout):
                last = self.output[-5:]
                raise TimeoutError(f"{self.name} printed {len(matching())} of {count} lines "
                                   f"matching {pattern!r}; its last lines: {last}")  # fmt: skip
            return matching()

    @property
    def port(self):
        """The port from the ready line's URL (``http://127.0.0.1:PORT``)."""
        return int(self.url.rsplit(":", 1)[1].split("/")[0])

    @property
    def alive(self):
        return self.proc.poll() is None

    def kill(self):
        """``kill -9``: the process dies at once, with no chance to save anything."""
        registry.forget(self.name, self)
        if self.alive:
            self.proc.kill()
        return self._exited()

    def ask_to_stop(self):
        """Send SIGTERM and return at once (``registry.stop_all`` asks every process first,
        so that they shut down side by side, then waits for each with ``stop()``)."""
        if self.alive:
            self.proc.terminate()

    def stop(self, timeout=10):
        """Ask politely (SIGTERM), then ``kill()`` if it has not exited in ``timeout`` s.

        A busy machine can take seconds to schedule a process that is shutting down, so
        the wait is generous; a healthy server exits in a fraction of a second.
        """
        registry.forget(self.name, self)
        if self.alive:
            self.ask_to_stop()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        return self._exited()

    def _exited(self):
        """Wait for the exit, remove the process's temporary folders, return its exit code."""
        code = self.proc.wait()
        for folder in self.folders:
            _remove_when_unused(folder)
        return code

    def __repr__(self):
        state = "running" if self.alive else f"exited ({self.proc.returncode})"
        return f"<ServerProcess {self.name!r} pid={self.pid} {state} at {self.url}>"


def _remove_when_unused(folder, patience=5):
    """Remove ``folder`` once no process names it (Chromium's helper processes outlive
    the browser by a moment and still write into its profile); give up after ``patience`` s."""
    mention = str(folder).encode()
    deadline = time.monotonic() + patience
    while time.monotonic() < deadline:
        shutil.rmtree(folder, ignore_errors=True)
        if not os.path.exists(folder) and not any(mention in line for line in _command_lines()):
            return
        time.sleep(0.05)


def _command_lines():
    for entry in os.scandir("/proc") if os.path.isdir("/proc") else []:
        try:
            with open(os.path.join(entry.path, "cmdline"), "rb") as cmdline:
                yield cmdline.read()
        except OSError:  # not a process, or gone already
            continue


def start_process(name, argv, timeout=20, env=None, ready=READY, wait=True):
    """Start ``argv`` as the process ``name``, replacing any older one; wait until ready.

    ``env`` adds environment variables for the process (``{"QUEUE_DB": path}``, say).
    ``ready`` is the line that says it is ready; its first group, if any, is the URL
    (a program that is not a course server, like Redis, prints its own line).
    ``wait=False`` returns at once: call ``wait_until_ready()`` on it before using it.
    """
    registry.replace(name)
    return registry.register(ServerProcess(name, list(argv), timeout, env, ready, wait))


def start_python_server(name, target, port=0, *args, timeout=20, env=None, wait=True):
    """Run ``python -m labsupport.lab.run_server TARGET --port PORT`` as a process."""
    argv = [sys.executable, "-m", "labsupport.lab.run_server", target, "--port", str(port), *args]
    return start_process(name, argv, timeout, env, wait=wait)
