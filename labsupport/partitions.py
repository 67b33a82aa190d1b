"""Order per key with competing consumers: one stream per partition, one reader each.

Notebook 05b §5 runs two consumer processes on one Redis Streams consumer group and
watches a parcel's ``delivered`` take effect before its ``pickup``; then it gives each
key to one consumer, the fix this module names:

- ``partition_of(key, partitions)``: a *stable* hash of the key, modulo the number of
  partitions. Every message of one key lands in the same stream ``parcels:<p>``.
- each partition's stream is read by exactly one consumer, one entry at a time, so
  the entries of a key take effect in the order they were sent.

Consumers are programs of their own (``python -m labsupport.partitions``). To make
the bad interleaving happen every time, not by luck, a consumer started with
``--hold EVENT`` pauses on the first message of that event that *any* consumer takes
(a slow disk, a garbage-collector pause), until the notebook calls ``release``.

What the consumers record, in Redis, for the notebook to read:

- ``applied``: one JSON ``[producer, sequence, key, event, consumer]`` per effect, in
  the order applied (``delivery.check`` reads the first three);
- ``ticks``: one item per effect, so ``wait_applied`` can block until N have happened;
- ``holding``: which consumer is pausing, on which message.
"""

import argparse
import json
import re
import sys
import zlib

import redis

from labsupport.lab import processes

GROUP = "couriers"
RECORDS = ("applied", "ticks", "holding", "hold-taken")


def partition_of(key, partitions):
    """Which partition ``key`` belongs to: the same answer in every process.

    Python's ``hash()`` of a string changes from one process to the next (it is salted,
    ``PYTHONHASHSEED``), so a producer and a consumer would disagree. CRC-32 does not.
    """
    return zlib.crc32(key.encode()) % partitions


def stream_of(key, partitions=None):
    """``"parcels"`` for everyone (no partitions), or ``"parcels:<p>"``."""
    return "parcels" if partitions is None else f"parcels:{partition_of(key, partitions)}"


def prepare(db, streams):
    """Empty ``streams`` and the records, and give each stream the group ``couriers``."""
    db.delete(*streams, *RECORDS, *db.keys("release:*"))
    for stream in streams:
        db.xgroup_create(stream, GROUP, id="0", mkstream=True)


def parcel_events(parcels, rng):
    """``(producer, sequence, key, event)`` in the order the shop sends them: parcel 7's
    pickup, then every parcel's pickup and delivery shuffled by ``rng`` (each pickup
    before its delivery), parcel 7's delivery among them."""
    keys = [key for key in parcels for _ in ("pickup", "delivered")]
    rng.shuffle(keys)
    keys.insert(len(keys) // 2, "parcel-7")
    events, seen = [("parcel-7", "pickup")], {"parcel-7"}
    for key in keys:
        events.append((key, "delivered" if key in seen else "pickup"))
        seen.add(key)
    return [("shop", n, key, event) for n, (key, event) in enumerate(events, 1)]


def send(db, message, partitions=None):
    """``XADD`` one ``(producer, sequence, key, event)`` to its key's stream."""
    producer, sequence, key, event = message
    fields = {"producer": producer, "sequence": sequence, "key": key, "event": event}
    return db.xadd(stream_of(key, partitions), fields)


def consume(db, name, streams, hold=None):
    """A consumer's loop: read one entry, apply it, acknowledge it; forever.

    It starts with what it took in an earlier life and never acknowledged (id ``0``:
    its own pending entries), so a consumer restarted after ``kill -9`` keeps the order.
    """
    start = "0"
    while True:
        answer = db.xreadgroup(GROUP, name, {s: start for s in streams}, count=1, block=0)
        if start == "0" and not any(entries for _, entries in answer):
            start = ">"  # nothing left from before: from now on, entries nobody has read
        for stream, entries in answer:
            for entry_id, fields in entries:
                if fields["event"] == hold and db.set("hold-taken", name, nx=True):
                    db.rpush("holding", json.dumps([name, fields]))
                    db.blpop([f"release:{name}"])  # paused, until the notebook says go
                apply(db, name, fields)
                db.xack(stream, GROUP, entry_id)


def apply(db, name, fields):
    """The effect: one record in ``applied`` (a real consumer would update the parcel)."""
    record = [fields["producer"], int(fields["sequence"]), fields["key"], fields["event"], name]
    with db.pipeline() as transaction:  # MULTI ... EXEC: the record and its tick together
        transaction.rpush("applied", json.dumps(record)).rpush("ticks", 1).execute()


def start_consumer(url, name, streams, hold="pickup"):
    """Run a consumer as a process (named in the registry); return once it reads."""
    argv = [sys.executable, "-m", "labsupport.partitions", url, name, *streams, "--hold", hold]
    return processes.start_process(name, argv, ready=re.compile("consuming"), wait=False)


def held(db, timeout=10):
    """Wait until a consumer pauses on the held message; return ``(consumer, fields)``."""
    found = db.blpop(["holding"], timeout)
    if found is None:
        raise TimeoutError(f"no consumer took a message to hold within {timeout} s")
    return tuple(json.loads(found[1]))


def release(db, consumer):
    """Let a pausing consumer go on."""
    db.rpush(f"release:{consumer}", 1)


def wait_applied(db, count, timeout=10):
    """Block until ``count`` more effects have been applied (one ``tick`` each)."""
    for done in range(count):
        if db.blpop(["ticks"], timeout) is None:
            raise TimeoutError(f"{done} of {count} effects applied within {timeout} s")


def connect(url):
    """A Redis client that may wait as long as a command asks.

    redis-py gives up on a reply after 5 seconds by default; a consumer blocked in
    ``XREADGROUP ... BLOCK 0`` (wait for the next entry, however long) would then die of
    a TimeoutError while it waits for a learner who is still reading the prose.
    """
    return redis.Redis.from_url(url, decode_responses=True, socket_timeout=None)


def applied(db):
    """Every effect so far, in order: ``(producer, sequence, key, event, consumer)``."""
    return [tuple(json.loads(record)) for record in db.lrange("applied", 0, -1)]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="redis://127.0.0.1:PORT")
    parser.add_argument("name", help="this consumer's name in the group")
    parser.add_argument("streams", nargs="+", help="the streams it reads")
    parser.add_argument("--hold", help="pause on the first message of this event")
    args = parser.parse_args(argv)
    db = connect(args.url)
    print(f"consuming {args.streams} as {args.name}", flush=True)
    consume(db, args.name, args.streams, args.hold)


if __name__ == "__main__":
    main()
