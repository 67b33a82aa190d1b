"""A consumer that takes messages and never acknowledges them, for notebook 06c to SIGKILL.

    python -m labsupport.rabbit_consumer amqp URL QUEUE COUNT
    python -m labsupport.rabbit_consumer sqlite PATH COUNT

It takes ``COUNT`` messages (from RabbitMQ with ``prefetch_count=COUNT``, or from the
hub's SQLite queue with ``deliver``, as notebook 05's hub does), prints
``holding COUNT unacknowledged``, and waits: the notebook kills it there, with its
messages taken and none acknowledged, and watches what the queue does with them.
"""

import asyncio
import sys


async def amqp(url, queue, count):
    import aio_pika

    connection = await aio_pika.connect(url)
    channel = await connection.channel()
    await channel.set_qos(prefetch_count=count)
    held, full = [], asyncio.Event()

    async def on_message(message):  # no ack: it crashes before
        held.append(message)
        if len(held) == count:
            full.set()

    await (await channel.get_queue(queue)).consume(on_message)
    await full.wait()
    print(f"holding {len(held)} unacknowledged", flush=True)
    await asyncio.Event().wait()  # until killed


def sqlite(path, count):
    from labsupport.sqlite_queue import SqliteQueue

    held = SqliteQueue(path).deliver("consumer", "job")[:count]
    print(f"holding {len(held)} unacknowledged", flush=True)
    asyncio.run(asyncio.Event().wait())


if __name__ == "__main__":
    kind, where, *rest = sys.argv[1:]
    if kind == "amqp":
        asyncio.run(amqp(where, rest[0], int(rest[1])))
    else:
        sqlite(where, int(rest[0]))
