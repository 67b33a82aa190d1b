"""A registry of everything the course starts: servers in threads, server processes, Redis.

Notebook 00 shows it at work (section 5, re-running is safe); every notebook relies on it.

Why it exists: in a notebook you re-run cells. If a cell that starts a server is run
twice, the first server is still holding its port and its handlers, and the second
start fails with "address already in use" (or, worse, both run and you see every
event twice). So every server is started under a *name*. Starting a new one under a
name that is already taken stops the old one first.

The registry also stops everything when the Python process (the Jupyter kernel)
exits, so closing a notebook leaves no server, process or port behind.

Anything with a ``name`` attribute and a ``stop()`` method can be registered.
"""

import atexit
import threading

_running = {}  # name -> object with .stop()
_lock = threading.Lock()


def register(thing):
    """Remember ``thing`` under ``thing.name``, stopping whatever had that name before."""
    replace(thing.name)
    with _lock:
        _running[thing.name] = thing
    return thing


def replace(name):
    """Stop and forget the thing called ``name``, if any. Safe to call when there is none."""
    with _lock:
        old = _running.pop(name, None)
    if old is not None:
        old.stop()


def forget(name, thing):
    """Drop ``thing`` from the registry (called by ``stop()``), unless a newer one took its name."""
    with _lock:
        if _running.get(name) is thing:
            del _running[name]


def running():
    """The names of everything still running, oldest first."""
    with _lock:
        return list(_running)


def stop_all():
    """Stop everything the course started in this process. Returns the names stopped."""
    with _lock:
        things = list(_running.values())
        _running.clear()
    for thing in reversed(things):  # processes: all asked at once, then waited for below
        if hasattr(thing, "ask_to_stop"):
            thing.ask_to_stop()
    for thing in reversed(things):  # newest first: clients of a server stop before it
        thing.stop()
    return [thing.name for thing in things]


def _stop_all_when_the_kernel_shuts_down():
    """In a Jupyter kernel, stop everything as soon as the kernel is asked to shut down.

    Why: ipykernel then signals its child processes and waits, in growing steps, until
    none is listed, a defunct one included (only its parent can clear it). Stopped and
    waited for here first, ours are gone before it looks; ``atexit`` alone runs after
    that wait, half a minute later for notebook 05b's forkserver.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python: atexit is enough
        return
    shell = get_ipython()
    if shell is not None and shell.has_trait("exit_now"):  # set by the shutdown request
        shell.observe(lambda change: change["new"] and stop_all(), names="exit_now")


atexit.register(stop_all)
_stop_all_when_the_kernel_shuts_down()
