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


def queue_rates(count):
    """Messages per second through each queue backend: enqueue, deliver, acknowledge."""
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
    try:
        for name, queue in backends.items():
            started = time.perf_counter()
            for n in range(count):
                queue.enqueue("client", "event", n)
                for message in queue.deliver("client", "event"):
                    queue.ack("client", "event", message.message_id)
            rates[name] = count / (time.perf_counter() - started)
    finally:
        synced.stop()
        unsynced.stop()
    return rates
