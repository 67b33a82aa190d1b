"""Notebook 05's queue on Redis Streams, so that several hub processes can share it.

``StreamsQueue`` is an ``ackqueue.BaseQueue``: the rules and the limits (``max_length``,
``ttl``, ``max_deliveries``) are notebook 05's code, and ``QueueHub`` runs on it
unchanged. It writes only the storage, in Redis commands that notebook 06 shows by
hand first. The mapping:

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
                                (with ``after``: only ``XRANGE``, counting nothing)
``ack``                         ``XACK`` + ``XDEL`` in one transaction
``pending``                     ``XRANGE`` (acknowledged entries are deleted)
``max_length``                  ``XLEN`` of the client's stream
``ttl``                         the entry's field ``created`` (the queue's clock)
``max_deliveries``              ``XPENDING``: each entry's ``times_delivered``
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

import redis

from labsupport.ackqueue import BaseQueue, Message, QueueUnavailable

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


class StreamsQueue(BaseQueue):
    """The queue's messages in Redis at ``url``; this process reads as ``consumer``."""

    def __init__(self, url, consumer=None, **limits):
        super().__init__(**limits)  # max_length, ttl, max_deliveries, clock
        self.url = url
        self.redis = redis.Redis.from_url(url, decode_responses=True)
        self.consumer = consumer or f"hub-{os.getpid()}"
        self.groups = set()  # streams whose consumer group this process has made sure of

    def offset_of(self, message_id):
        """An entry id (``"1700000000000-0"``) is its own offset; None for anything else."""
        if isinstance(message_id, str) and ENTRY_ID.fullmatch(message_id):
            return message_id
        return None

    @_reports_outage
    def reclaimed(self):
        """``{consumer: entries}``: how many entries each consumer's ``XAUTOCLAIM`` took over."""
        return {name: int(count) for name, count in self.redis.hgetall(RECLAIMED).items()}

    @_reports_outage
    def _insert(self, client_id, event, payload, created):
        """``XADD``: Redis gives the entry id, which is the offset and the message id."""
        stream = _stream(client_id, event)
        self._ensure_group(stream)
        fields = {"payload": json.dumps(payload), "created": created}
        return Entry(self.redis.xadd(stream, fields), client_id, event, payload, created)

    @_reports_outage
    def _count(self, client_id, event):
        return self.redis.xlen(_stream(client_id, event))  # acknowledged entries are deleted

    @_reports_outage
    def _select(self, client_id, event, after):
        """``XRANGE`` after ``after``: an entry id, or milliseconds (0: from the start)."""
        if isinstance(after, str):
            start = f"({after}"  # "(": exclusive, strictly after that entry
        else:
            start = str(after + 1) if after else "-"
        entries = self.redis.xrange(_stream(client_id, event), start, "+")
        return [_entry(client_id, event, *entry) for entry in entries]

    @_reports_outage
    def _hand_out(self, client_id, event, after):
        """A catch-up through the consumer group: ``XAUTOCLAIM`` what any hub handed out and
        never saw acknowledged (a killed hub's too), then ``XREADGROUP >``: what nobody read.

        Redis counts each hand-out itself (``XPENDING``'s ``times_delivered``); the rules
        want the deliveries *before* this one, hence the ``- 1``. With ``after`` (a client
        resuming from an offset) it only reads, with ``XRANGE``, and Redis counts nothing.
        """
        if after:
            return self._select(client_id, event, after)
        stream = _stream(client_id, event)
        self._ensure_group(stream)
        entries = self._claim_all(stream) + self._read_new(stream)
        counts = self._delivery_counts(stream)
        return [_entry(client_id, event, entry_id, fields, counts.get(entry_id, 1) - 1)
                for entry_id, fields in entries]  # fmt: skip

    def _set_deliveries(self, message):
        """Nothing to write: ``XAUTOCLAIM`` and ``XREADGROUP`` counted the delivery."""

    @_reports_outage
    def _delete(self, client_id, event, offset):
        """``XACK`` + ``XDEL`` in one transaction: the entry leaves the pending list and
        the stream together, so no other hub can reclaim an acknowledged message."""
        stream = _stream(client_id, event)
        with self.redis.pipeline() as transaction:  # MULTI ... EXEC: both or neither
            transaction.xack(stream, GROUP, offset)
            transaction.xdel(stream, offset)
            _, deleted = transaction.execute(raise_on_error=False)  # NOGROUP: never queued
        return deleted == 1

    @_reports_outage
    def _bury(self, message, reason):
        """Move ``message`` to the stream ``dead-letters``, in one transaction."""
        stream = _stream(message.client_id, message.event)
        fields = {"entryId": message.offset, "clientId": message.client_id,
                  "event": message.event, "payload": json.dumps(message.payload),
                  "created": message.created, "deliveries": message.deliveries,
                  "reason": reason}  # fmt: skip
        with self.redis.pipeline() as transaction:
            transaction.xadd(DEAD, fields)
            transaction.xack(stream, GROUP, message.offset)
            transaction.xdel(stream, message.offset)
            transaction.execute()

    @_reports_outage
    def _dead(self):
        return [(_entry(f["clientId"], f["event"], f["entryId"], f, int(f["deliveries"])),
                 f["reason"]) for _, f in self.redis.xrange(DEAD)]  # fmt: skip

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


def _stream(client_id, event):
    return f"queue:{client_id}:{event}"


def _entry(client_id, event, entry_id, fields, deliveries=0):
    return Entry(entry_id, client_id, event, json.loads(fields["payload"]),
                 float(fields["created"]), deliveries)  # fmt: skip
