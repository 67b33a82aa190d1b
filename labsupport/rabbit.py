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
"""

import asyncio
import json
import re
import sys
import time

import aio_pika
from aio_pika.exceptions import DeliveryError

from . import processes

DEAD = "dead"  # the dead-letter exchange (fanout) every limited queue here sends to


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
    ``[(triple, redelivered, message)]``. An absent queue gives ``[]``."""
    try:
        queue = await channel.get_queue(queue, ensure=True)
    except aio_pika.exceptions.ChannelClosed:
        return []
    taken = []
    while (message := await queue.get(no_ack=False, fail=False)) is not None:
        taken.append((triple(message), message.redelivered, message))
        if ack:
            await message.ack()
    return taken


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
