"""Notebook 05's queue on Redis Streams, so that several hub processes can share it.

It keeps ``ackqueue``'s rules and methods (``enqueue``, ``ack``, ``pending``,
``deliver``, ``dead_letters``), so ``QueueHub`` runs on it unchanged. Notebook 06
shows each Redis command by hand first. The mapping:

==============================  ==============================================
ackqueue                        Redis Streams
==============================  ==============================================
one client's messages of one    the stream ``queue:<clientId>:<event>``
event
``enqueue``                     ``XADD``: the entry id ``<ms>-<n>`` is the offset
                                and the message id
``deliver`` (a catch-up)        ``XAUTOCLAIM``: take over what any hub handed out
                                and never saw acknowledged (a crashed hub's too),
                                then ``XREADGROUP ... >``: what nobody read yet
``ack``                         ``XACK`` + ``XDEL`` in one transaction
``pending``                     ``XRANGE`` (acknowledged entries are deleted)
``dead_letters``                the stream ``dead-letters``
==============================  ==============================================

Each consumer also counts, in the hash ``reclaimed``, the entries its ``XAUTOCLAIM``
took over: notebook 06 reads it to show what hub B took from a killed hub A.

Every hub is a *consumer* (named ``hub-<pid>``) of one consumer group, ``hubs``, on
each stream. Redis remembers which consumer holds which delivered, unacknowledged
entry: the *pending entries list*, read with ``XPENDING``. That is what lets a hub
take over the messages of a hub that was killed.
"""

import functools
import json
import os
import re
import time
from dataclasses import replace

import redis

from .ackqueue import Message, QueueFull, QueueUnavailable

GROUP = "hubs"
DEAD = "dead-letters"
RECLAIMED = "reclaimed"  # hash: consumer -> how many entries its XAUTOCLAIM took over
ENTRY_ID = re.compile(r"\d+-\d+")  # what XADD hands out: milliseconds, then a counter


def _reports_outage(method):
    """Turn "Redis is unreachable" into ``QueueUnavailable``, which the hub answers with.

    Redis either ran a command or it did not, so the caller may simply try again later.
    """

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except (redis.ConnectionError, redis.TimeoutError) as error:
            raise QueueUnavailable(f"Redis at {self.url} is unreachable: {error}") from error

    return wrapper


class Entry(Message):
    """A ``Message`` whose offset is a stream entry id, which is also its message id."""

    @property
    def message_id(self):
        return self.offset


class StreamsQueue:
    """The queue's messages in Redis at ``url``; this process reads as ``consumer``."""

    def __init__(self, url, consumer=None, max_length=None, max_deliveries=None):
        self.url = url
        self.redis = redis.Redis.from_url(url, decode_responses=True)
        self.consumer = consumer or f"hub-{os.getpid()}"
        self.max_length = max_length
        self.max_deliveries = max_deliveries
        self.groups = set()  # streams whose consumer group this process has made sure of

    @_reports_outage
    def enqueue(self, client_id, event, payload):
        """``XADD`` the message to the client's stream; return it as an ``Entry``."""
        stream = _stream(client_id, event)
        if self.max_length is not None and (held := self.redis.xlen(stream)) >= self.max_length:
            raise QueueFull(f"{client_id!r} already has {held} {event!r} messages waiting "
                            f"(max_length={self.max_length})")  # fmt: skip
        self._ensure_group(stream)
        created = time.time()
        fields = {"payload": json.dumps(payload), "created": created}
        return Entry(self.redis.xadd(stream, fields), client_id, event, payload, created)

    @_reports_outage
    def ack(self, client_id, event, message_id):
        """Forget ``message_id``: True if it was held, False otherwise (or if malformed)."""
        if not (isinstance(message_id, str) and ENTRY_ID.fullmatch(message_id)):
            return False
        stream = _stream(client_id, event)
        with self.redis.pipeline() as transaction:  # MULTI ... EXEC: both or neither
            transaction.xack(stream, GROUP, message_id)
            transaction.xdel(stream, message_id)
            _, deleted = transaction.execute(raise_on_error=False)
        return deleted == 1

    @_reports_outage
    def pending(self, client_id, event, after=0):
        """What is still held, oldest first, after ``after``: an entry id, or milliseconds."""
        if isinstance(after, str):
            start = f"({after}"  # "(": exclusive, strictly after that entry
        else:
            start = str(after + 1) if after else "-"
        entries = self.redis.xrange(_stream(client_id, event), start, "+")
        return [_entry(client_id, event, *entry) for entry in entries]

    @_reports_outage
    def deliver(self, client_id, event, after=0):
        """A catch-up: every held message, oldest first, now handed out by this consumer.

        With ``after`` it only reads (``pending``): a client resuming from an offset.
        """
        if after:
            return self.pending(client_id, event, after)
        stream = _stream(client_id, event)
        self._ensure_group(stream)
        entries = self._claim_all(stream) + self._read_new(stream)
        counts = self._delivery_counts(stream)
        delivered = []
        for entry_id, fields in entries:
            message = replace(_entry(client_id, event, entry_id, fields),
                              deliveries=counts.get(entry_id, 1))  # fmt: skip
            if self.max_deliveries is not None and message.deliveries > self.max_deliveries:
                self._bury(stream, message, f"not acknowledged after {self.max_deliveries} "
                                            "deliveries")  # fmt: skip
            else:
                delivered.append(message)
        return delivered

    @_reports_outage
    def dead_letters(self):
        """``(message, reason)`` for each message the queue gave up on, oldest first."""
        return [(_entry(f["clientId"], f["event"], entry_id, f), f["reason"])
                for entry_id, f in self.redis.xrange(DEAD)]  # fmt: skip

    @_reports_outage
    def reclaimed(self):
        """``{consumer: entries}``: how many entries each consumer's ``XAUTOCLAIM`` took over."""
        return {name: int(count) for name, count in self.redis.hgetall(RECLAIMED).items()}

    def _ensure_group(self, stream):
        if stream in self.groups:
            return
        try:  # MKSTREAM: create the (empty) stream too; "0": the group starts at the start
            self.redis.xgroup_create(stream, GROUP, id="0", mkstream=True)
        except redis.ResponseError as error:
            if "BUSYGROUP" not in str(error):  # BUSYGROUP: it exists already, fine
                raise
        self.groups.add(stream)

    def _claim_all(self, stream):
        """``XAUTOCLAIM`` with no idle minimum: every delivered, unacknowledged entry."""
        claimed, cursor = [], "0-0"
        while True:
            cursor, entries, *_ = self.redis.xautoclaim(stream, GROUP, self.consumer, 0, cursor)
            claimed += [entry for entry in entries if entry[1] is not None]
            if cursor == "0-0":
                break
        if claimed:  # evidence of a takeover, readable from any process (``reclaimed``)
            self.redis.hincrby(RECLAIMED, self.consumer, len(claimed))
        return claimed

    def _read_new(self, stream):
        """``XREADGROUP ... >``: the entries no consumer of the group has read yet."""
        answer = self.redis.xreadgroup(GROUP, self.consumer, {stream: ">"})
        return answer[0][1] if answer else []

    def _delivery_counts(self, stream):
        """``XPENDING``: how often each entry this consumer holds was handed out."""
        held = self.redis.xpending_range(stream, GROUP, "-", "+", 1 << 31, self.consumer)
        return {info["message_id"]: info["times_delivered"] for info in held}

    def _bury(self, stream, message, reason):
        fields = {"clientId": message.client_id, "event": message.event, "reason": reason,
                  "payload": json.dumps(message.payload), "created": message.created}  # fmt: skip
        with self.redis.pipeline() as transaction:
            transaction.xadd(DEAD, fields)
            transaction.xack(stream, GROUP, message.offset)
            transaction.xdel(stream, message.offset)
            transaction.execute()


def _stream(client_id, event):
    return f"queue:{client_id}:{event}"


def _entry(client_id, event, entry_id, fields):
    return Entry(entry_id, client_id, event, json.loads(fields["payload"]),
                 float(fields["created"]))  # fmt: skip
