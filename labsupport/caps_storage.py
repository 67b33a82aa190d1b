"""Where a CAPS hub keeps what it must not forget: the queue, and the ``Ledger``.

The finished hub of notebook 07 uses it (``caps_programs hub`` without ``--stages``:
in the learner's copy until stage 4 is written, and for §8's two hubs on Redis); the
learner writes stage 4's ``DurableLedger`` in its place. It picks one of three, as
notebooks 05 and 06 did for the queue:

- nothing: all in memory, lost with the process;
- ``--db FILE``: the queue in SQLite (``sqlite_queue.SqliteQueue``), the ledger in
  ``FILE.ledger.json``: both survive ``kill -9`` of the hub;
- ``--redis URL``: the queue on Redis Streams (``streams_queue``), the ledger in Redis,
  and broadcasts shared through Redis, so several hubs can serve one service.
"""

import json
import os
import time
from pathlib import Path

import redis
import socketio

from labsupport.ackqueue import MemoryQueue
from labsupport.caps import Ledger
from labsupport.sqlite_queue import SqliteQueue
from labsupport.streams_queue import StreamsQueue


class FileLedger(Ledger):
    """The ledger in a JSON file, rewritten (atomically) on every change."""

    def __init__(self, path):
        self.path = Path(path)
        saved = json.loads(self.path.read_text()) if self.path.exists() else {}
        self._drivers = set(saved.get("drivers", []))
        self._takers = saved.get("takers", {})

    def add_driver(self, driver):
        if driver not in self._drivers:
            super().add_driver(driver)
            self._save()

    def take(self, key, driver):
        if key not in self._takers:
            super().take(key, driver)
            self._save()
        return self._takers[key]

    def _save(self):
        """Write a new file and rename it over the old: a crash leaves one or the other."""
        new = self.path.with_suffix(".new")
        with open(new, "w") as file:
            json.dump({"drivers": sorted(self._drivers), "takers": self._takers}, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(new, self.path)


class RedisLedger(Ledger):
    """The ledger in Redis: a set of drivers, and a hash of takers (``HSETNX``)."""

    def __init__(self, url):
        self.redis = redis.Redis.from_url(url, decode_responses=True)

    def add_driver(self, driver):
        self.redis.sadd("caps:drivers", driver)

    def drivers(self):
        return sorted(self.redis.smembers("caps:drivers"))

    def take(self, key, driver):
        self.redis.hsetnx("caps:takers", key, driver)  # sets only if nobody has it yet
        return self.redis.hget("caps:takers", key)


def storage(db=None, redis_url=None):
    """``(queue, ledger, client_manager)`` for the hub's command-line options."""
    if redis_url:
        manager = socketio.AsyncRedisManager(redis_url)
        return StreamsQueue(redis_url), RedisLedger(redis_url), manager
    if db:
        return SqliteQueue(db, "NORMAL"), FileLedger(f"{db}.ledger.json"), None
    # in memory: offsets start at "now", so a restarted hub never reuses a message id
    return MemoryQueue(first_offset=time.time_ns() // 1000), Ledger(), None
