"""A real RabbitMQ broker for notebook 06c, started per kernel and stopped with it.

RabbitMQ is an Erlang program (``rabbitmq-server``, installed by ``./course setup`` from
the system's packages, like ``redis-server``). A node needs three ports and a few
folders; each broker here gets its own, so two learners on one machine never meet:

- ``RABBITMQ_NODE_PORT``: where clients speak AMQP 0-9-1 (``amqp://...``);
- ``RABBITMQ_DIST_PORT``: Erlang distribution, how ``rabbitmqctl`` talks to the node;
- ``ERL_EPMD_PORT``: the Erlang port mapper (``epmd``), the name service nodes register
  with. Left alone, Erlang starts one shared epmd on port 4369 that outlives everything;
  here each broker has an epmd of its own, a child process started first and stopped last;
- ``RABBITMQ_MNESIA_BASE`` (the data), ``RABBITMQ_LOG_BASE``, the config files and
  ``HOME`` (Erlang's cookie) in a folder under the kernel's temporary folder (``scratch``).

Both processes are ``processes.ServerProcess``-es: named in the registry, stopped when
the kernel exits, killed by Linux if the kernel is killed. ``kill()`` is a real SIGKILL of
the Erlang VM (``RABBITMQ_ALLOW_INPUT`` makes the start script ``exec`` it, so the pid we
hold is the VM's, not a shell's); ``restart()`` brings it back on its ports, with its data.
"""

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from labsupport.lab import ports, processes, registry
from labsupport.lab.servers import HOST

READY = re.compile(r"Server startup complete")
EPMD_READY = re.compile(r"epmd running")
# what epmd or the VM prints when a port we chose was taken before it could bind it
PORT_TAKEN = re.compile(r"dist_port_already_used|eaddrinuse|address already in use", re.I)
SCRIPTS = Path("/usr/lib/rabbitmq/bin")  # Debian's; Homebrew puts them on the PATH
HINT = (
    "rabbitmq-server is not installed: run ./course setup (it installs it as root), or ask "
    "for the Debian/Ubuntu package rabbitmq-server (macOS: brew install rabbitmq)"
)


def program(name="rabbitmq-server"):
    """The path of one of RabbitMQ's scripts, or None when RabbitMQ is not installed."""
    found = SCRIPTS / name
    return str(found) if found.exists() else shutil.which(name)


class Broker:
    """One RabbitMQ node and its own epmd: ``url``, ``kill()``, ``restart()``, ``stop()``."""

    def __init__(self, name, timeout=120):
        if program() is None:
            raise RuntimeError(HINT)
        self.name, self.timeout = name, timeout
        self.folder = Path(tempfile.mkdtemp(prefix=f"rabbitmq-{name}-"))
        self.vm = self.epmd = None
        for tries_left in reversed(range(3)):
            try:
                self.start_seconds = self._start_on_new_ports().start_seconds
                break
            except RuntimeError as error:
                if self.epmd is not None:
                    self.epmd.stop()
                # a port chosen free was taken before the VM bound it: choose again
                if not tries_left or not PORT_TAKEN.search(str(error)):
                    shutil.rmtree(self.folder, ignore_errors=True)
                    raise
        registry.register(self)  # after its epmd: stop_all stops the broker (newer) first

    def _start_on_new_ports(self):
        """Choose three free ports, start this broker's epmd on one, then the VM."""
        self.port, self.dist_port, self.epmd_port = (ports.free_port(HOST) for _ in range(3))
        self.node = f"{self.name}-{self.port}@localhost"
        self.url = f"amqp://guest:guest@{HOST}:{self.port}/"
        self._write_config()
        self.epmd = processes.start_process(
            f"{self.name}:epmd",
            ["epmd", "-port", str(self.epmd_port), "-d"],  # -d: stay in front, say when up
            env={"ERL_EPMD_ADDRESS": HOST},  # not every address of the machine
            ready=EPMD_READY,
        )
        _wait_for_port(self.epmd_port, self.timeout)
        return self.restart()

    def _write_config(self):
        (self.folder / "rabbitmq.conf").write_text(
            f"listeners.tcp.1 = {HOST}:{self.port}\n"  # 127.0.0.1 only, not every address
            "log.console = true\nlog.file = false\n"
        )
        (self.folder / "enabled_plugins").write_text("[].\n")
        (self.folder / "inetrc").write_text("{lookup, [file]}.\n")  # no DNS helper process
        (self.folder / "rabbitmq-env.conf").write_text("")  # not /etc/rabbitmq's

    def environment(self):
        """What the start script and ``rabbitmqctl`` need to find this node and no other."""
        f = self.folder
        return {
            "HOME": str(f),  # Erlang keeps its cookie in $HOME/.erlang.cookie
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": HOST,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "ERL_EPMD_PORT": str(self.epmd_port),
            "RABBITMQ_MNESIA_BASE": str(f / "mnesia"),
            "RABBITMQ_LOG_BASE": str(f / "log"),
            "RABBITMQ_CONFIG_FILE": str(f / "rabbitmq"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(f / "advanced.config"),
            "RABBITMQ_CONF_ENV_FILE": str(f / "rabbitmq-env.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(f / "enabled_plugins"),
            "RABBITMQ_PLUGINS_EXPAND_DIR": str(f / "plugins"),
            "RABBITMQ_LOGS": "-",
            "ERL_INETRC": str(f / "inetrc"),
            "ERL_CRASH_DUMP": str(f / "erl_crash.dump"),  # not in the notebook's folder
            "RABBITMQ_ALLOW_INPUT": "1",  # the script execs the VM: our pid is the broker's
            # ...so say -noinput ourselves; -start_epmd false: never start a shared epmd
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-noinput -start_epmd false",
        }

    def restart(self):
        """Start the Erlang VM (again, after ``kill()``): same node, ports and data."""
        started = time.perf_counter()
        self.vm = processes.start_process(
            f"{self.name}:vm", [program()], self.timeout, self.environment(), ready=READY
        )
        registry.forget(self.vm.name, self.vm)  # the broker stops it, before its epmd
        self.start_seconds = time.perf_counter() - started
        return self

    def kill(self):
        """SIGKILL the broker (the Erlang VM): no chance to write anything more."""
        return self.vm.kill()

    @property
    def alive(self):
        return self.vm is not None and self.vm.alive

    def ctl(self, *args, timeout=60):
        """Run ``rabbitmqctl ARGS`` against this node; return its output's lines."""
        argv = [program("rabbitmqctl"), "--quiet", *args]
        # -start_epmd false: the CLI is an Erlang node too; never a shared epmd on 4369
        env = {**os.environ, **self.environment(), "ERL_FLAGS": "-start_epmd false"}
        done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)
        if done.returncode:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)}: {done.stderr or done.stdout}")
        return done.stdout.splitlines()

    def sync_definitions(self):
        """Write the broker's definitions (queues, exchanges, bindings) to disk now.

        Why: a publisher confirm covers a message, not its queue. RabbitMQ keeps its
        definitions in its database (Mnesia), which writes them to its log a moment after
        a declaration, in the background; a durable queue declared just before a SIGKILL
        was sometimes missing after the restart in this course's runs, with every
        confirmed message in it. In production queues are declared long before a crash.
        """
        return self.ctl("eval", "mnesia:sync_log().")

    def ask_to_stop(self):
        if self.alive:
            self.vm.ask_to_stop()

    def stop(self):
        """Stop the broker, then its epmd, and remove its folder. Returns the VM's exit code."""
        registry.forget(self.name, self)
        code = self.vm.stop(timeout=30) if self.vm is not None else None
        self.epmd.stop()
        shutil.rmtree(self.folder, ignore_errors=True)
        return code

    def __repr__(self):
        state = "running" if self.alive else "stopped"
        return f"<Broker {self.name!r} {state} at {self.url}>"


def wait_for_bindings(broker, exchange, count, timeout=30):
    """Wait until ``count`` queues with a consumer are bound to ``exchange``; return how many.

    python-socketio's ``AsyncAioPikaManager`` binds a queue of its own to the fanout
    exchange ``socketio`` when its server starts listening; a broadcast published before
    a server has bound its queue never reaches that server (as Redis pub/sub, notebook 06).
    A stopped server's queue stays bound for a while (``x-expires``), with no consumer:
    it does not count.
    """
    deadline = time.monotonic() + timeout
    while True:
        consumed = {name for name, consumers in _rows(broker, "list_queues", "name", "consumers")
                    if int(consumers) > 0}  # fmt: skip
        rows = _rows(broker, "list_bindings", "source_name", "destination_name")
        bound = sum(1 for source, queue in rows if source == exchange and queue in consumed)
        if bound >= count:
            return bound
        if time.monotonic() > deadline:
            raise TimeoutError(f"{bound} of {count} queues bound to {exchange!r}")
        time.sleep(0.1)


def _rows(broker, *args):
    return [line.split("\t") for line in broker.ctl(*args, "--no-table-headers") if line]


def _wait_for_port(port, timeout):
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def start(name="rabbitmq", timeout=120):
    """Start a broker named ``name`` (replacing an older one); ``.start_seconds`` says how
    long the Erlang VM took from launch to "Server startup complete"."""
    global _latest
    registry.replace(name)
    _latest = Broker(name, timeout)
    return _latest


_latest = None


def current():
    """The broker this kernel started last, if it still runs (exercise checkers use it)."""
    return _latest if _latest is not None and _latest.alive else None
