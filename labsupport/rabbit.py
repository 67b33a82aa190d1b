"""Notebook 06c's experiments on RabbitMQ, written so that 05b's delivery checker judges them.

Every message a producer publishes here is the JSON ``{"producer", "sequence", "key"}``:
the triple ``delivery.check(sent, applied)`` compares (notebook 05b §1). Each helper is
a coroutine on an ``aio_pika`` channel; the notebook runs them on a background loop.

What maps to what (notebook 05's hub on the left):

- ``hub.publish`` answering the producer   -> a **publisher confirm** (``basic.ack``)
- ``received`` (the client's ack)          -> ``basic.ack`` from the consumer
- ``deliveries`` counted on each message   -> the ``redelivered`` flag; a quorum
  queue's ``x-delivery-count``
- the credit window (05b §4)               -> ``prefetch_count`` (``basic.qos``)
- ``max_length`` / ``QueueFull`` (429)     -> ``x-max-length`` + ``reject-publish``
  (a ``basic.nack`` to the producer)
- ``ttl``, ``max_deliveries``, dead letters -> ``x-message-ttl``, a quorum queue's
  ``x-delivery-limit``, a dead-letter exchange

It is over 230 lines for a reason: each helper is one short coroutine for one row above,
and keeping the rows together keeps the map in one place (the notebook opens it).
"""

import asyncio
import json
import logging
import re
import sys
import time

import aio_pika
from aio_pika.exceptions import DeliveryError

from labsupport.lab import processes, registry
from labsupport.lab.background import BackgroundLoop

# The notebook kills the broker on purpose, with connections open: the client library's
# "connection reset" tracebacks would land in whatever cell runs. The cell that kills says so.
for _library in ("aiormq", "aio_pika"):
    logging.getLogger(_library).addHandler(logging.NullHandler())

DEAD = "dead"  # the dead-letter exchange (fanout) every limited queue here sends to


class Session:
    """One AMQP connection and channel on a loop of their own, for a notebook's cells.

    ``run(coro)`` runs a coroutine of this module on that loop and returns its result;
    ``reopen()`` connects again (after the broker was killed and restarted). Registered
    under ``name``: a cell run twice closes the older session, and so does the kernel's exit.
    """

    def __init__(self, url, name="amqp"):
        self.name, self.url = name, url
        registry.replace(name)
        self.loop = BackgroundLoop(name)
        self.connection, self.channel = self.run(open_channel(url))
        registry.register(self)

    def run(self, coro, timeout=60):
        return self.loop.run(coro, timeout)

    def close(self):
        """Close the connection (the loop stays): before a broker is killed on purpose, so
        that only the broker's side breaks and no client logs the reset."""
        self.run(self.connection.close(), timeout=10)

    def reopen(self):
        """A fresh connection and channel (the old ones died with the broker)."""
        self.connection, self.channel = self.run(open_channel(self.url))
        return self

    def stop(self):
        registry.forget(self.name, self)
        try:
            if not self.connection.is_closed:
                self.run(self.connection.close(), timeout=5)
        finally:
            self.loop.close()

    def __repr__(self):
        state = "closed" if self.connection.is_closed else "open"
        return f"<Session {self.name!r} {state}, publisher confirms on, to {self.url}>"


async def open_channel(url):
    """A connection and one channel on it, with publisher confirms (aio-pika's default)."""
    connection = await aio_pika.connect(url)
    return connection, await connection.channel()


def start_consumer(name, *args):
    """Run ``labsupport.rabbit_consumer ARGS`` as a process; return it once it holds its
    messages, none acknowledged (``.kill()`` it then: a SIGKILL before any ack)."""
    argv = [sys.executable, "-m", "labsupport.rabbit_consumer", *map(str, args)]
    return processes.start_process(name, argv, ready=re.compile(r"holding \d+ unacknowledged"))


def body(producer, sequence, key="k"):
    return json.dumps({"producer": producer, "sequence": sequence, "key": key}).encode()


def triple(message):
    """``(producer, sequence, key)`` of a received message: what the checker compares."""
    data = json.loads(message.body)
    return data["producer"], data["sequence"], data["key"]


async def fresh_queue(channel, name, durable=True, **arguments):
    """Delete ``name`` if it exists, then declare it: a cell run twice starts afresh."""
    await channel.queue_delete(name)
    return await channel.declare_queue(name, durable=durable, arguments=arguments or None)


async def dead_letters(channel, name="dead-letters"):
    """A fanout exchange ``dead`` and one queue that keeps whatever it is sent, emptied."""
    exchange = await channel.declare_exchange(DEAD, aio_pika.ExchangeType.FANOUT, durable=True)
    queue = await fresh_queue(channel, name)
    await queue.bind(exchange)
    return queue


async def publish(channel, queue, count, producer="p", persistent=True, key="k"):
    """Publish ``count`` messages; return ``(confirmed, refused)`` lists of triples.

    The channel has publisher confirms on (aio-pika's default), so each ``publish`` waits
    for the broker's ``basic.ack``: the message is stored (on disk, for a persistent
    message on a durable queue). A ``basic.nack`` raises ``DeliveryError``: refused.
    """
    mode = aio_pika.DeliveryMode.PERSISTENT if persistent else aio_pika.DeliveryMode.NOT_PERSISTENT
    confirmed, refused = [], []
    for sequence in range(1, count + 1):
        message = aio_pika.Message(body(producer, sequence, key), delivery_mode=mode)
        try:
            await channel.default_exchange.publish(message, routing_key=queue)
            confirmed.append((producer, sequence, key))
        except DeliveryError:
            refused.append((producer, sequence, key))
    return confirmed, refused


async def drain(channel, queue, ack=True):
    """Take every message now in ``queue`` (``basic.get``), acknowledging each; return
    ``[(triple, redelivered, message)]``."""
    source = await channel.get_queue(queue)
    taken = []
    while (message := await source.get(no_ack=False, fail=False)) is not None:
        taken.append((triple(message), message.redelivered, message))
        if ack:
            await message.ack()
    return taken


async def exists(connection, queue):
    """Does the broker have ``queue``? Asked on a channel of its own: a "no" (404) closes
    the channel that asked."""
    probe = await connection.channel()
    try:
        await probe.declare_queue(queue, passive=True)
    except aio_pika.exceptions.ChannelNotFoundEntity:
        return False
    await probe.close()
    return True


async def wait_for(channel, queue, count, timeout=10):
    """Wait until ``queue`` holds ``count`` ready messages (passive declare); return it."""
    deadline = time.monotonic() + timeout
    while (held := (await channel.declare_queue(queue, passive=True)).declaration_result
           .message_count) < count:  # fmt: skip
        if time.monotonic() > deadline:
            raise TimeoutError(f"{queue} holds {held} of {count} messages")
        await asyncio.sleep(0.01)
    return held


async def consume_with_prefetch(channel, queue, count, prefetch, work=0.002):
    """Consume ``count`` messages with ``prefetch_count=prefetch``; each takes ``work`` s.

    Returns ``(most_unacked, seconds)``: the most messages this consumer held at once
    without having acknowledged them (counted as they arrive, before any work), and the
    time for all of them.
    """
    await channel.set_qos(prefetch_count=prefetch)
    source = await channel.get_queue(queue)
    held, most, done, finished = 0, 0, 0, asyncio.Event()

    async def on_message(message):
        nonlocal held, most, done
        held += 1
        most = max(most, held)
        await asyncio.sleep(work)  # the job
        held -= 1  # counted down before the ack leaves: never more than the broker allows
        await message.ack()
        done += 1
        if done == count:
            finished.set()

    started = time.perf_counter()
    tag = await source.consume(on_message)
    await asyncio.wait_for(finished.wait(), 60)
    seconds = time.perf_counter() - started
    await source.cancel(tag)
    return most, seconds


async def poison_loop(channel, queue, dead, limit_seconds=20):
    """A consumer that crashes on every message: ``nack(requeue=True)``, again and again,
    until the message reaches the dead-letter queue ``dead``.

    Returns the ``x-delivery-count`` header of each delivery it saw (a quorum queue
    counts them; none on the first delivery).
    """
    source = await channel.get_queue(queue)
    counts, deadline = [], time.monotonic() + limit_seconds
    while time.monotonic() < deadline:
        message = await source.get(no_ack=False, fail=False)
        if message is not None:
            counts.append(message.headers.get("x-delivery-count", 0))
            await message.nack(requeue=True)  # "I crashed": back to the queue
        elif (await channel.declare_queue(dead, passive=True)).declaration_result.message_count:
            return counts  # the broker gave up on it: dead-lettered
        else:
            await asyncio.sleep(0.01)
    raise TimeoutError(f"the poison message was still coming after {len(counts)} deliveries")


def death(message):
    """Why a dead letter died: its first ``x-death`` record's ``reason`` and queue."""
    record = message.headers["x-death"][0]
    return record["reason"], record["queue"]


async def rate(channel, queue, count):
    """Messages per second through ``queue``, one at a time: publish (and wait for the
    confirm), take it (``basic.get``), acknowledge it. Returns ``(rate, taken triples)``."""
    source = await channel.get_queue(queue)
    taken, started = [], time.perf_counter()
    for sequence in range(1, count + 1):
        message = aio_pika.Message(body("rate", sequence), delivery_mode=2)
        await channel.default_exchange.publish(message, routing_key=queue)
        got = await source.get(no_ack=False)
        taken.append(triple(got))
        await got.ack()
    return count / (time.perf_counter() - started), taken


def store_rate(queue, count):
    """The same for the hub's own queue (notebook 05): ``enqueue``, ``deliver``, ``ack``."""
    taken, started = [], time.perf_counter()
    for sequence in range(1, count + 1):
        queue.enqueue("consumer", "job", json.loads(body("rate", sequence)))
        (message,) = queue.deliver("consumer", "job")
        taken.append(tuple(message.payload.values()))
        queue.ack("consumer", "job", message.message_id)
    return count / (time.perf_counter() - started), taken


def sent(producer, count, key="k"):
    """What ``publish(..., count, producer)`` sends, as the checker's triples."""
    return [(producer, sequence, key) for sequence in range(1, count + 1)]


async def watch(channel, exchange):
    """A queue of the notebook's own, bound to ``exchange``: a copy of all it routes."""
    queue = await channel.declare_queue(exclusive=True)
    await queue.bind(exchange)
    return queue


async def next_message(queue, timeout=10):
    """The next message in ``queue`` (acknowledged), waiting up to ``timeout`` s for it."""
    deadline = time.monotonic() + timeout
    while (message := await queue.get(no_ack=True, fail=False)) is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"nothing arrived in {queue.name} within {timeout} s")
        await asyncio.sleep(0.01)
    return message


async def publish_through_a_kill(channel, queue, count, kill, after):
    """Publish ``count`` messages at once, each waiting for its own confirm; as soon as
    ``after`` confirms have come back, call ``kill()`` (a SIGKILL of the broker).

    Returns ``(confirmed, unconfirmed)`` triples: the producer must publish the second
    list again, without knowing which of them the broker had stored before it died.
    Each message has a key of its own (``order-N``): only loss and duplicates matter here.
    """
    confirmed = []

    async def one(sequence):
        data = body("retry", sequence, f"order-{sequence}")
        message = aio_pika.Message(data, delivery_mode=aio_pika.DeliveryMode.PERSISTENT)
        await channel.default_exchange.publish(message, routing_key=queue)
        confirmed.append(("retry", sequence, f"order-{sequence}"))
        if len(confirmed) == after:
            kill()

    await asyncio.gather(*(one(n) for n in range(1, count + 1)), return_exceptions=True)
    done = set(confirmed)
    everything = [("retry", n, f"order-{n}") for n in range(1, count + 1)]
    return confirmed, [message for message in everything if message not in done]


async def publish_again(channel, queue, messages):
    """The producer's retry: publish each triple again, waiting for its confirm."""
    for producer, sequence, key in messages:
        message = aio_pika.Message(body(producer, sequence, key), delivery_mode=2)
        await channel.default_exchange.publish(message, routing_key=queue)
    return len(messages)
