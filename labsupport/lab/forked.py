"""Real processes that start in milliseconds: children of a forkserver with socketio loaded.

Notebook 05b kills and restarts a hub, a consumer and a producer two dozen times.
Started with ``python -m ...`` each would pay its imports again (socketio and aiohttp:
half a second or more); 24 kill-and-restart cycles would take most of a minute. So
they are started from multiprocessing's *forkserver*: one Python process, started
once, which imports those modules and then forks a copy of itself for every child.
Each child is still a separate operating-system process, with its own pid, that
``kill -9`` (SIGKILL) ends at once, as it would end any server.

A child talks to the kernel over a pipe: it sends lines ("at point 3", "got p1:1"),
which ``wait_for`` waits on (an event, never a sleep), and reads commands with ``recv``.
Every child is in the registry (``registry.py``), so re-running a cell or closing the
kernel stops it, and it asks Linux to kill it should its parent die. Once the last child
is gone, the forkserver is stopped too (``_stop_servers`` says why).
"""

import builtins
import marshal
import multiprocessing
import os
import re
import select
import signal
import threading
import types
from multiprocessing import forkserver, resource_tracker

from labsupport.lab import processes, registry

PRELOAD = ["socketio", "aiohttp", "sqlite3"]  # the heavy imports, once for every child
# One start or exit at a time: starting a process reads the exit status of every finished
# child, and two threads reading the same status at once get 255 instead of -9.
_lock = threading.Lock()
_alive = set()  # pids of the children not yet stopped; none left: the forkserver stops


def context():
    """The forkserver context, its server preloaded with the heavy imports."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


def _stop_servers():
    """Stop the forkserver and multiprocessing's resource tracker, and wait for both.

    Both are the kernel's own children. Closing a notebook, ipykernel sends SIGTERM to its
    children and waits, in growing steps, until none is listed: the resource tracker
    ignores SIGTERM, and nobody waits for either of them, so both stay listed (killed, as
    defunct processes) through every step. Without this the kernel took half a minute or
    more to close. Stopped (and waited for) as soon as no experiment needs them, they are
    gone long before; the next child starts them again.
    """
    forkserver._forkserver._stop()  # closes its "alive" pipe, then waits for it to exit
    resource_tracker._resource_tracker._stop()


def _child(target, conn, args, kernel):
    processes._die_with_parent()  # the forkserver is our parent: die with it
    threading.Thread(target=_die_with_kernel, args=(kernel,), daemon=True).start()
    target(conn, *args)


def _die_with_kernel(pid):
    """Exit when the kernel does, even if it was killed outright (no atexit ran).

    The forkserver is our parent, not the kernel, and it stays up as long as any of its
    children does: without this, a killed kernel would leave both running for ever.
    """
    try:
        kernel = os.pidfd_open(pid)  # Linux 5.3 and later: readable once ``pid`` has exited
    except (AttributeError, OSError):
        return  # elsewhere: the registry's atexit still stops us when the kernel exits
    select.select([kernel], [], [])
    os._exit(0)


class Forked:
    """A child process running ``target(conn, *args)``; ``name``, ``pid``, ``lines``."""

    def __init__(self, name, target, *args):
        self.name = name
        self.lines = []  # everything the child sent, in order
        self.heard = threading.Condition()
        self.gone = False  # True once the child's end of the pipe is closed: it exited
        self.conn, theirs = context().Pipe()
        args = (target, theirs, args, os.getpid())
        self.proc = context().Process(target=_child, args=args, daemon=True)
        with _lock:
            self.proc.start()
            _alive.add(self.proc.pid)
        theirs.close()
        self.pid = self.proc.pid
        threading.Thread(target=self._listen, name=f"pipe:{name}", daemon=True).start()
        registry.register(self)

    def _listen(self):
        while True:
            try:
                line = self.conn.recv()
            except (EOFError, OSError):  # the child is gone
                line = None
            with self.heard:
                if line is None:
                    self.gone = True
                else:
                    self.lines.append(line)
                self.heard.notify_all()
            if line is None:
                return self.conn.close()

    def wait_for(self, pattern, count=1, timeout=30):
        """Block until ``count`` lines match ``pattern`` (a regex); return the last one."""

        def matching():
            return [line for line in self.lines if re.search(pattern, line)]

        with self.heard:
            done = self.heard.wait_for(lambda: len(matching()) >= count or self.gone, timeout)
            if self.gone and len(matching()) < count:
                raise RuntimeError(f"{self.name} exited; it sent {self.lines[-6:]}")
            if not done:
                raise TimeoutError(f"{self.name}: {len(matching())} of {count} lines "
                                   f"match {pattern!r}; it sent {self.lines[-6:]}")  # fmt: skip
            return matching()[count - 1]

    def send(self, *command):
        self.conn.send(command)

    def kill(self):
        """``kill -9``: the process ends at once, mid-step. Returns its exit code (-9)."""
        registry.forget(self.name, self)
        with _lock:
            if self.proc.exitcode is None:
                os.kill(self.pid, signal.SIGKILL)
            self.proc.join()
            _alive.discard(self.pid)
            if not _alive:  # the last child is gone: nothing needs the servers now
                _stop_servers()
            return self.proc.exitcode

    def stop(self):
        """Stopping a child between experiments: no state worth saving, so it is killed."""
        return self.kill()


def shipped(function):
    """``function``'s compiled code, to send to a child (no source file needed: a function
    defined in a notebook cell travels too). A plain function only: no closure."""
    return marshal.dumps(function.__code__)


def rebuilt(code, names):
    """In the child: the function ``shipped`` sent, seeing only ``names`` and builtins
    (not the notebook's other names: they stayed in the kernel)."""
    return types.FunctionType(marshal.loads(code), {**names, "__builtins__": builtins})
