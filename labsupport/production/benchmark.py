"""The benchmark's harness: start a server, drive it with the Node load client, read its CPU.

Not a lesson. Notebook 08 runs its quick version; ``bench/run.py`` (``./course bench``)
the full one and its report. The servers it starts are ``bench/systems.py`` (Python,
served by ``labsupport.lab.run_server``) and ``bench/node_server.mjs``; the load client, the same
for every server, is ``bench/load.mjs``.

How it measures, so that the numbers mean something:

- **CPU from the kernel's own clock.** ``cpu_seconds`` reads the server process's CPU
  clock (``clock_getcpuclockid``): every thread, in nanoseconds. ``/proc/<pid>/stat``
  counts in 10 ms ticks, too coarse for a quick run (it made figures like
  155.00000000000003 µs).
- **Warm up first.** Node compiles its hot code after a few thousand messages (its
  CPU per message falls from about 100 µs to 20); every server gets the same
  unmeasured warm-up before anything is measured.
- **Noise only adds.** A busy machine can delay a round trip, never speed it up: the
  fastest tenth (``latency_p10_us``) keeps the order of the servers when the median
  does not. Another program can add CPU time to a server's work too (it evicts the
  server's data from the caches), never take any away: the busy run and each room
  size's fan-out are measured twice, and the run with the smaller CPU figure kept.
- **The client's share.** The load client reports its own CPU time; near 100% of a
  core, it and not the server sets the messages per second.
"""

import ctypes
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from labsupport.lab import processes
from labsupport.lab.paths import BENCH, ROOT

LOAD = BENCH / "load.mjs"
PYTHON_SERVE = [sys.executable, "-m", "labsupport.lab.run_server"]
SYSTEMS = {  # name: the command that serves it
    "python-socketio, default": [*PYTHON_SERVE, "systems:plain", "--port", "0"],
    "python-socketio, course": [sys.executable, str(BENCH / "serve_uvloop.py"),
                                "systems:tuned", "--port", "0"],
    "course + fast path": [sys.executable, str(BENCH / "serve_uvloop.py"),
                           "systems:fast_path", "--port", "0"],
    "Node socket.io": ["node", str(BENCH / "node_server.mjs")],
    "raw WebSocket (aiohttp)": [*PYTHON_SERVE, "systems:raw_ws", "--port", "0"],
}  # fmt: skip
STEPS = {  # a proposed step, measured beside SYSTEMS (``bench/run.py --step``), not in 08
    "fast path, handlers decided once": [sys.executable, str(BENCH / "serve_uvloop.py"),
                                         "systems:fast_path_once", "--port", "0"],
}  # fmt: skip
SIZES = {
    "full": {"warmup": 5000, "latency": 2000, "inflight": 20000, "window": 100,
             "clients": 100, "idle": 200, "fanout": (10, 100, 500),
             "deliveries": 20000, "queue": 3000, "pumped": 5000},
    "quick": {"warmup": 3000, "latency": 500, "inflight": 2000, "window": 100,
              "clients": 100, "idle": 0, "fanout": (10, 100),
              "deliveries": 3000, "queue": 100, "pumped": 1000},
}  # fmt: skip
_libc = ctypes.CDLL(None, use_errno=True)


def cpu_seconds(pid):
    """CPU time of process ``pid`` so far (all its threads, user + system), in seconds.

    The kernel keeps it in nanoseconds; ``clock_getcpuclockid`` names that clock.
    """
    clock = ctypes.c_int()
    if error := _libc.clock_getcpuclockid(pid, ctypes.byref(clock)):
        raise OSError(error, f"no CPU clock for process {pid}: {os.strerror(error)}")
    return time.clock_gettime(clock.value)


def rss_kb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise ValueError("no VmRSS")


def bench_module(name):
    """``bench/NAME.py`` imported as a module, without putting ``bench/`` on ``sys.path``.

    ``bench/`` holds programs, not a package; notebook 08 reads the fast path's source
    this way, so that the kernel's imports stay what they were.
    """
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def start(name):
    argv = {**SYSTEMS, **STEPS}[name]
    return processes.start_process(f"bench:{name}", argv, env={"PYTHONPATH": str(BENCH)})


class LoadClient:
    """One ``load.mjs`` process against ``server``, for as many measurements as needed.

    ``run(mode, *args)`` returns the client's result plus the server's CPU time during
    the measured part and its memory just before it.
    """

    def __init__(self, server):
        self.server = server
        self.node = subprocess.Popen(["node", str(LOAD), server.url], cwd=ROOT, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)  # fmt: skip

    def _tell(self, line):
        self.node.stdin.write(line + "\n")
        self.node.stdin.flush()

    def _hear(self):
        return json.loads(self.node.stdout.readline())

    def run(self, mode, *args):
        self._tell(" ".join([mode, *map(str, args)]))
        ready = self._hear()
        assert ready == {"ready": True}, ready
        cpu, rss = cpu_seconds(self.server.pid), rss_kb(self.server.pid)
        self._tell("go")
        result = self._hear()
        result["server_cpu_s"] = cpu_seconds(self.server.pid) - cpu
        result["server_rss_kb"] = rss
        return result

    def close(self):
        self.node.stdin.close()
        self.node.wait(30)

    def __enter__(self):
        return self

    def __exit__(self, *error):
        self.close()


def load(server, mode, *args):
    """One measurement with a load client of its own (see ``LoadClient.run``)."""
    with LoadClient(server) as client:
        return client.run(mode, *args)


def measure(name, size):
    """Every figure for one system, from one fresh server process, after a warm-up."""
    server = start(name)
    try:
        with LoadClient(server) as client:
            raw = name.startswith("raw")  # a bare WebSocket: no events, no rooms
            busy_mode = "wsinflight" if raw else "inflight"
            client.run(busy_mode, size["warmup"], size["window"])  # not measured
            latency = client.run("wslatency" if raw else "latency", size["latency"])
            figures = {"latency_us": latency["p50_us"], "latency_p10_us": latency["p10_us"]}
            busy = _cheaper_of_two(client, "messages", busy_mode, size["inflight"], size["window"])
            figures["cpu_per_message_us"] = busy["server_cpu_s"] / busy["messages"] * 1e6
            figures["messages_per_s"] = busy["per_s"]
            figures["client_cpu_share"] = busy["client_cpu_s"] / (busy["messages"] / busy["per_s"])
            if not raw:
                figures |= _fan_out(client, size)
            if size["idle"] and not raw:  # the quick version leaves memory out
                before = rss_kb(server.pid)
                idle = client.run("idle", size["idle"])
                figures["kb_per_idle_client"] = (idle["server_rss_kb"] - before) / size["idle"]
            return figures
    finally:
        server.stop()


def rounds(names, size, count):
    """``count`` rounds over ``names`` in alternating order; the median of each figure."""
    seen = {name: [] for name in names}
    for number in range(count):
        for name in names if number % 2 == 0 else reversed(names):
            seen[name].append(measure(name, size))
    return {name: {key: statistics.median(r[key] for r in runs) for key in runs[0]}
            for name, runs in seen.items()}  # fmt: skip


def _cheaper_of_two(client, per, *run):
    """``client.run(*run)`` twice; the run whose server spent less CPU per ``per`` (its
    "messages" or "deliveries"). Noise only adds CPU time, so the smaller is the truer."""
    runs = [client.run(*run) for _ in range(2)]
    return min(runs, key=lambda result: result["server_cpu_s"] / result[per])


def _fan_out(client, size):
    """CPU per delivery by the number of clients in the room (same deliveries each time).

    ``cpu_per_delivery_us`` is the figure for ``size["clients"]``; ``fanout_<n>_us`` for
    each room size ``n`` of ``size["fanout"]``: the smaller of two runs (noise only adds).
    """
    client.run("broadcast", 30, size["warmup"] // 30)  # not measured: Node compiles it
    figures = {}
    for clients in sorted({*size["fanout"], size["clients"]}):
        count = max(1, size["deliveries"] // clients)
        fan = _cheaper_of_two(client, "deliveries", "broadcast", clients, count)
        figures[f"fanout_{clients}_us"] = fan["server_cpu_s"] / fan["deliveries"] * 1e6
    figures["cpu_per_delivery_us"] = figures[f"fanout_{size['clients']}_us"]
    return figures


def fan_out(figures, size):
    """``{(system, clients): CPU per delivery}`` from ``rounds``' figures, for a plot."""
    return {(name, clients): values[f"fanout_{clients}_us"]
            for name, values in figures.items() for clients in size["fanout"]
            if f"fanout_{clients}_us" in values}  # fmt: skip
