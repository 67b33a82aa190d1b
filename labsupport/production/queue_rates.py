"""The queue's backends, one after the other in one process: messages per second.

Not a lesson. Notebook 08 section 5 runs it (and ``bench/run.py`` for the full
benchmark) on the stores notebooks 05 and 06 built: memory, SQLite with and without a
disk sync per commit, and Redis Streams with and without ``appendfsync always``.
"""

import tempfile
import time
from pathlib import Path

from labsupport.ackqueue import MemoryQueue
from labsupport.lab import redis_server
from labsupport.sqlite_queue import SqliteQueue
from labsupport.streams_queue import StreamsQueue


def queue_rates(count, rounds=3):
    """Messages per second through each queue backend: enqueue, deliver, acknowledge.

    Each backend runs ``rounds`` times, in alternating order, and its fastest round
    counts: another program on the machine can only slow a round down. (With one round
    each, 24 runs of notebook 08 beside other work put Redis without a disk sync
    anywhere from 1.25 to 23 times as fast as with one.)
    """
    scratch = tempfile.TemporaryDirectory(prefix="queue-rates-")
    folder = Path(scratch.name)
    synced = redis_server.start("bench:redis")  # appendfsync always: survives kill -9
    unsynced = redis_server.start("bench:redis-memory", durable=False)
    backends = {
        "memory": MemoryQueue(),
        "SQLite, synchronous=NORMAL": SqliteQueue(folder / "normal.db", "NORMAL"),
        "SQLite, synchronous=FULL": SqliteQueue(folder / "full.db", "FULL"),
        "Redis Streams, no disk": StreamsQueue(unsynced.url),
        "Redis Streams, fsync always": StreamsQueue(synced.url),
    }
    rates = dict.fromkeys(backends, 0.0)
    try:
        for number in range(rounds):
            names = list(backends) if number % 2 == 0 else list(reversed(backends))
            for name in names:
                rates[name] = max(rates[name], _rate(backends[name], count))
    finally:
        synced.stop()
        unsynced.stop()
        for queue in backends.values():
            if isinstance(queue, SqliteQueue):
                queue.close()
        scratch.cleanup()
    return rates


def _rate(queue, count):
    started = time.perf_counter()
    for n in range(count):
        queue.enqueue("client", "event", n)
        for message in queue.deliver("client", "event"):
            queue.ack("client", "event", message.message_id)
    return count / (time.perf_counter() - started)
