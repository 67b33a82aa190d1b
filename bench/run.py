"""The course's benchmark: python-socketio (as it comes, and as the course runs it)
against the reference Node socket.io server and a bare WebSocket, plus the queue's
backends and the notebooks' run times. ``./course bench`` runs it all; ``--quick`` is
the short version notebook 08 uses.

The harness (servers, the Node load client, the CPU clock, warm-up, rounds) is
``labsupport/production/benchmark.py``, shared with notebook 08; this file adds the queue
measured end to end, the notebooks' run times, and the report. How it measures:

- Every server is a separate process; the load client is the official socket.io
  client under Node (``load.mjs``), the same for every server, and it reports its own
  CPU time so you can see whether it, and not the server, was the bottleneck.
- Server CPU is the kernel's CPU clock of the server process (every thread, in
  nanoseconds), read just before and just after the measured part, divided by the
  messages (or deliveries); every server is warmed up first, unmeasured.
- The systems are measured in rounds, in alternating order (A B C D, then D C B A ...),
  and each figure is the median of the rounds; ratios are against Node in the same run.
"""

import argparse
import os
import statistics
import sys
import time

from labsupport.lab import processes, redis_server, registry
from labsupport.production.benchmark import (
    BENCH,
    ROOT,
    SIZES,
    STEPS,
    SYSTEMS,
    fan_out,
    load,
    rounds,
)
from labsupport.production.queue_rates import queue_rates

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
    fast, course = figures.get("course + fast path"), figures.get("python-socketio, course")
    if fast and course:
        print("\ncourse + fast path against the course's server, same run: CPU per message "
              f"{fast['cpu_per_message_us'] / course['cpu_per_message_us']:.2f}×, p50 "
              f"{fast['latency_us'] / course['latency_us']:.2f}×")  # fmt: skip
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


def step_report(size, count):
    """Each proposed step of ``STEPS`` beside the fast path it changes and Node, same run:
    CPU per message, per broadcast delivery and the median round trip, as ratios."""
    base, node = "course + fast path", "Node socket.io"
    figures = rounds([base, *STEPS, node], size, count)
    keys = {"CPU per message": "cpu_per_message_us", "p50 round trip": "latency_us"}
    keys |= {f"CPU per delivery, {n} clients": f"fanout_{n}_us" for n in size["fanout"]}
    for name in [base, *STEPS, node]:
        print(f"\n{name}:")
        for label, key in keys.items():
            value = figures[name][key]
            print(f"  {label:32} {value:8.1f} µs  {value / figures[base][key]:5.2f}× the fast "
                  f"path  {value / figures[node][key]:5.2f}× Node")  # fmt: skip


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the short version (notebook 08)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-notebooks", action="store_true")
    parser.add_argument("--step", action="store_true", help="only the proposed steps (STEPS)")
    args = parser.parse_args(argv)
    size = SIZES["quick" if args.quick else "full"]
    started = time.perf_counter()
    if args.step:
        try:
            step_report(size, args.rounds)
        finally:
            registry.stop_all()
        print(f"\nmedians of {args.rounds} rounds; took {time.perf_counter() - started:.0f} s")
        return
    try:
        figures = rounds(list(SYSTEMS), size, args.rounds)
        fans = fan_out(figures, size)
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
