"""The course's benchmark: python-socketio (as it comes, and as the course runs it)
against the reference Node socket.io server and a bare WebSocket, plus the queue's
backends and the notebooks' run times. ``./course bench`` runs it all; ``--quick`` is
the short version notebook 08 uses.

How it measures, so the numbers mean something:

- Every server is a separate process; the load client is the official socket.io
  client under Node (``load.mjs``), the same for every server, and it reports its own
  CPU time so you can see it was not the bottleneck.
- Server CPU comes from ``/proc/<pid>/stat`` (user + system time) read just before
  and just after the measured part, divided by the messages (or deliveries).
- The systems are measured in rounds, in alternating order (A B C D, then D C B A ...),
  and each figure is the median of the rounds; ratios are against Node in the same run.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from labsupport import processes, redis_server, registry  # noqa: E402

LOAD = BENCH / "load.mjs"
TICK = os.sysconf("SC_CLK_TCK")
PYTHON_SERVE = [sys.executable, "-m", "labsupport.serve"]
SYSTEMS = {  # name: the command that serves it
    "python-socketio, default": [*PYTHON_SERVE, "systems:plain", "--port", "0"],
    "python-socketio, course": [sys.executable, str(BENCH / "serve_uvloop.py"),
                                "systems:tuned", "--port", "0"],
    "Node socket.io": ["node", str(BENCH / "node_server.mjs")],
    "raw WebSocket (aiohttp)": [*PYTHON_SERVE, "systems:raw_ws", "--port", "0"],
}  # fmt: skip
SIZES = {
    "full": {"latency": 2000, "inflight": 20000, "window": 100, "clients": 100, "count": 200,
             "idle": 200, "fanout": (10, 100, 500), "deliveries": 20000, "queue": 3000,
             "pumped": 5000},
    "quick": {"latency": 200, "inflight": 2000, "window": 100, "clients": 50, "count": 100,
              "idle": 0, "fanout": (10, 50, 100), "deliveries": 6000, "queue": 300,
              "pumped": 1000},
}  # fmt: skip


def cpu_seconds(pid):
    """User + system CPU time of process ``pid`` so far, in seconds.

    Linux counts it in clock ticks (``TICK`` a second, usually 100), so a measurement
    must use many ticks of CPU time to be precise: ``SIZES`` are chosen for that.
    """
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def rss_kb(pid):
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise ValueError("no VmRSS")


def start(name):
    env = {"PYTHONPATH": str(BENCH)}
    return processes.start_process(f"bench:{name}", SYSTEMS[name], env=env)


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
    """Every figure for one system, from one fresh server process."""
    server = start(name)
    try:
        with LoadClient(server) as client:
            raw = name.startswith("raw")  # a bare WebSocket: no events, no rooms
            latency = client.run("wslatency" if raw else "latency", size["latency"])
            figures = {"latency_us": latency["p50_us"]}
            busy = client.run("wsinflight" if raw else "inflight", size["inflight"], size["window"])
            figures["cpu_per_message_us"] = busy["server_cpu_s"] / busy["messages"] * 1e6
            figures["client_cpu_share"] = busy["client_cpu_s"] / (busy["messages"] / busy["per_s"])
            if raw:
                return figures
            fan = client.run("broadcast", size["clients"], size["count"])
            figures["cpu_per_delivery_us"] = fan["server_cpu_s"] / fan["deliveries"] * 1e6
            if not size["idle"]:  # the quick version leaves memory out
                return figures
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


def fan_out(names, size):
    """CPU per delivery by the number of clients in the room (same deliveries each time)."""
    table = {}
    for name in names:
        server = start(name)
        try:
            with LoadClient(server) as client:
                client.run("broadcast", 10, 100)  # warm-up (Node compiles its hot code)
                for clients in size["fanout"]:
                    count = max(1, size["deliveries"] // clients)
                    fan = client.run("broadcast", clients, count)
                    table[(name, clients)] = fan["server_cpu_s"] / fan["deliveries"] * 1e6
        finally:
            server.stop()
    return table


def queue_rates(count):
    """Messages per second through each queue backend: enqueue, deliver, acknowledge."""
    from labsupport.ackqueue import MemoryQueue
    from labsupport.sqlite_queue import SqliteQueue
    from labsupport.streams_queue import StreamsQueue

    folder = Path(tempfile.mkdtemp())
    synced = redis_server.start("bench:redis")  # appendfsync always: survives kill -9
    unsynced = redis_server.start("bench:redis-memory", durable=False)
    backends = {
        "memory": MemoryQueue(),
        "SQLite, synchronous=NORMAL": SqliteQueue(folder / "normal.db", "NORMAL"),
        "SQLite, synchronous=FULL": SqliteQueue(folder / "full.db", "FULL"),
        "Redis Streams, no disk": StreamsQueue(unsynced.url),
        "Redis Streams, fsync always": StreamsQueue(synced.url),
    }
    rates = {}
    for name, queue in backends.items():
        started = time.perf_counter()
        for n in range(count):
            queue.enqueue("client", "event", n)
            for message in queue.deliver("client", "event"):
                queue.ack("client", "event", message.message_id)
        rates[name] = count / (time.perf_counter() - started)
    synced.stop()
    unsynced.stop()
    return rates


QUEUE_SYSTEMS = {  # name: the factory in queue_systems.py
    "bare emit-with-ack": "bare",
    "queue in memory": "memory",
    "queue on SQLite, FULL": "sqlite",
    "queue on SQLite, FULL, batched": "sqlite_batched",
    "queue on Redis Streams, fsync always": "redis",
}


def queue_end_to_end(count, window=100, rounds_=3):
    """Messages per second from publish to acknowledgement, over socket.io, against a
    bare emit-with-ack (``queue_systems.py``); medians of rounds in alternating order."""
    synced = redis_server.start("bench:redis-queue")
    env = {"PYTHONPATH": str(BENCH), "QUEUE_REDIS": synced.url}
    seen = {name: [] for name in QUEUE_SYSTEMS}
    names = list(QUEUE_SYSTEMS)
    try:
        for number in range(rounds_):
            for name in names if number % 2 == 0 else reversed(names):
                argv = [sys.executable, str(BENCH / "serve_uvloop.py"),
                        f"queue_systems:{QUEUE_SYSTEMS[name]}", "--port", "0"]  # fmt: skip
                server = processes.start_process(f"bench:{name}", argv, env=env)
                try:
                    seen[name].append(load(server, "pump", count, window)["per_s"])
                finally:
                    server.stop()
    finally:
        synced.stop()
    return {name: statistics.median(rates) for name, rates in seen.items()}


def notebook_seconds():
    """How long each notebook takes to run top to bottom in a fresh kernel, kernel start
    and shutdown included (with nbclient, as nbval runs them in the tests)."""
    import nbformat
    from nbclient import NotebookClient

    times = {}
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        where = {"metadata": {"path": str(path.parent)}}
        started = time.perf_counter()
        NotebookClient(notebook, timeout=120, kernel_name="python3", resources=where).execute()
        times[path.stem] = time.perf_counter() - started
    return times


def report(figures, fans, rates, pumped, notebooks):
    node = figures["Node socket.io"]
    rows = [("emit-with-ack p50, 1 client", "latency_us", "µs"),
            ("server CPU per message, 100 acks in flight", "cpu_per_message_us", "µs"),
            ("broadcast to a room, CPU per delivery", "cpu_per_delivery_us", "µs"),
            ("memory per idle client", "kb_per_idle_client", "KB")]  # fmt: skip
    print("| figure | " + " | ".join(figures) + " |")
    print("|---" * (len(figures) + 1) + "|")
    for label, key, unit in rows:
        cells = []
        for values in figures.values():
            if key not in values:
                cells.append("–")
            else:
                ratio = values[key] / node[key] if node.get(key) else 0
                cells.append(f"{values[key]:.1f} {unit} ({ratio:.1f}× Node)")
        print(f"| {label} | " + " | ".join(cells) + " |")
    print("\nload client (Node) busy share while 100 acks were in flight: "
          + ", ".join(f"{name}: {v['client_cpu_share']:.0%}" for name, v in figures.items()
                      if "client_cpu_share" in v))  # fmt: skip
    print("\nfan-out, server CPU per delivery by clients in the room (µs):")
    for (name, clients), value in fans.items():
        print(f"  {name:28} {clients:4} clients  {value:7.1f}")
    print("\nqueue, enqueue + deliver + ack, messages per second:")
    baseline = rates["memory"]
    for name, rate in rates.items():
        print(f"  {name:28} {rate:9,.0f}   ({baseline / rate:.1f}× the time of memory)")
    if pumped:
        print("\nqueue end to end over socket.io (publish, send, acknowledge), 100 in flight,"
              " messages per second:")  # fmt: skip
        bare = pumped["bare emit-with-ack"]
        for name, rate in pumped.items():
            print(f"  {name:38} {rate:7,.0f}   ({bare / rate:.2f}× the time of bare)")
    if notebooks:
        print("\nnotebooks, run top to bottom in a fresh kernel (s):")
        for name, seconds in notebooks.items():
            print(f"  {name:28} {seconds:5.1f}")
        print(f"  {'all':28} {sum(notebooks.values()):5.1f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the short version (notebook 08)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-notebooks", action="store_true")
    args = parser.parse_args(argv)
    size = SIZES["quick" if args.quick else "full"]
    started = time.perf_counter()
    try:
        figures = rounds(list(SYSTEMS), size, args.rounds)
        fans = fan_out(["python-socketio, course", "Node socket.io"], size)
        rates = queue_rates(size["queue"])
        pumped = {} if args.quick else queue_end_to_end(size["pumped"], rounds_=args.rounds)
        notebooks = {} if args.no_notebooks or args.quick else notebook_seconds()
    finally:
        registry.stop_all()
    print(
        f"# {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, Python "
        f"{sys.version.split()[0]}, medians of {args.rounds} rounds\n"
    )
    report(figures, fans, rates, pumped, notebooks)
    print(f"\nthe whole benchmark took {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
