"""Exercises of notebook 06c (RabbitMQ): ``from labsupport.exercises.ex06c import q1, q2, q3``.

q1 runs the learner's prefetch on a real broker: the notebook's own (section 1) when it
runs, else one started for the check. q2 and q3 are questions on what sections 3 and 5
measured.
"""

import json

from labsupport.exercises._support import whole_number
from labsupport.exercises.checks import (
    Choice,
    Exercise,
    Incorrect,
    Problem,
)
from labsupport.lab import rabbit_broker
from labsupport.lab.background import BackgroundLoop

QUEUE = "q1-prefetch"
MOST_PREFETCH = 65_535  # AMQP 0-9-1 carries prefetch_count in 16 bits


async def _held_bytes(url, prefetch, message_bytes, count):
    """Publish ``count`` messages of ``message_bytes``; consume them with ``prefetch``;
    return the most messages the consumer held unacknowledged at once."""
    import aio_pika

    from labsupport import rabbit

    connection, channel = await rabbit.open_channel(url)
    try:
        await rabbit.fresh_queue(channel, QUEUE, durable=False)
        filler = "x" * (message_bytes - len(json.dumps("")))
        for _ in range(count):
            body = json.dumps(filler).encode()
            await channel.default_exchange.publish(aio_pika.Message(body), routing_key=QUEUE)
        most, _ = await rabbit.consume_with_prefetch(channel, QUEUE, count, prefetch, 0.05)
        await channel.queue_delete(QUEUE)
        return most
    finally:
        await connection.close()


class ChoosePrefetch(Problem):
    title = "q1, prefetch for a memory budget"
    cases = [(64_000, 5_000), (30_000, 10_000)]  # (budget bytes, bytes per message)
    when_slow = "the broker may still be starting: run the check again."
    hints = (
        "Section 4: the broker sends a consumer at most prefetch_count messages it has "
        "not acknowledged, and the consumer holds each of them until its ack.",
        "So the consumer holds at most N × message_bytes. You want the largest whole N "
        "with N × message_bytes <= budget_bytes.",
        "That is integer division: `budget_bytes // message_bytes`.",
    )
    solution = """
def choose_prefetch(budget_bytes, message_bytes):
    return budget_bytes // message_bytes


q1.check(choose_prefetch)
"""
    why = """
Each unacknowledged message stays with the consumer until its ack, so prefetch N costs up
to N × message_bytes. The floor of the division is the largest N that fits; a larger one
breaks the budget, a smaller one gives away throughput (section 4: more in flight hides
more of each round trip).
"""

    def verify(self, choose_prefetch):
        self.expect_attempted(choose_prefetch, in_source=True)
        answers = [self._answer(choose_prefetch, *case) for case in self.cases]
        slip = self._slip(answers)
        broker = rabbit_broker.current()
        started = broker is None
        if started:
            broker = rabbit_broker.start("q1-rabbitmq")
        try:
            loop = BackgroundLoop("q1-amqp")
            try:
                notes = []
                for (budget, size), n in zip(self.cases, answers, strict=True):
                    count = budget // size + 3
                    most = loop.run(_held_bytes(broker.url, n, size, count), timeout=15)
                    notes.append(self._judge(budget, size, n, most, slip))
            finally:
                loop.close()
        finally:
            if started:
                broker.stop()
        return "; ".join(notes) + "."

    def _answer(self, choose_prefetch, budget, size):
        n = whole_number(choose_prefetch, (budget, size), "prefetch_count",
                         "RabbitMQ reads prefetch 0 as 'no limit at all', the opposite "
                         "of a budget.")  # fmt: skip
        if n > MOST_PREFETCH:  # no broker takes it: judged here, without a run
            call = f"{choose_prefetch.__name__}({budget:_}, {size:_})"
            over = (
                f" ({n * size:,} bytes, over a budget of {budget:,})" if n * size > budget else ""
            )
            slip = " Did you multiply where you meant to divide?" if n == budget * size else ""
            most = f"{MOST_PREFETCH:,}"
            raise Incorrect(f"{call} returned {n:,}{over}: AMQP carries prefetch_count in 16 "
                            f"bits, so a broker takes at most {most}.{slip}")  # fmt: skip
        return n

    def _slip(self, answers):
        """The likely slip behind answers over the budget, read from all of them at once:
        the first case cannot tell rounding up from adding one, the second can."""
        if answers == [-(-budget // size) for budget, size in self.cases]:
            return " Round down, not up."
        if answers == [budget // size + 1 for budget, size in self.cases]:
            return " That is one message more than fits."
        return ""

    def _judge(self, budget, size, n, most, slip):
        held = most * size
        measured = f"with prefetch {n} the consumer held at most {most} messages, {held:,} bytes"
        if n * size > budget:  # the broker may send n at once, whatever this run's timing
            raise Incorrect(f"For a budget of {budget:,} bytes and messages of {size:,} "
                            f"bytes, {measured}, and the broker may send up to {n} at once, "
                            f"{n * size:,} bytes: over the budget.{slip}")  # fmt: skip
        if (n + 1) * size <= budget:
            raise Incorrect(f"For a budget of {budget:,} bytes and messages of {size:,} "
                            f"bytes, {measured}: within it, but prefetch {n + 1} would fit "
                            "too: take the largest that fits.")  # fmt: skip
        return f"{budget:,} bytes of {size:,}-byte messages: prefetch {n}, measured {held:,} bytes"


class ConfirmClosesPoint(Choice):
    title = "q2, the crash point a publisher confirm closes"
    hints = (
        "Section 3, and 05b section 1's table: where did the queue in memory lose a "
        "message the producer had been told was kept?",
    )
    solution = """
q2.check("b")
"""
    why = """
The broker confirms a persistent message on a durable queue only once it is on disk, so
a confirm means "stored": a broker killed after it loses nothing (section 3, 0 lost).
Before point 3 the producer has no confirm and publishes again: a duplicate, not a loss.
"""
    reasons = {
        "a": "at point 1 the producer has no answer yet: it publishes again, and nothing "
        "is lost that it was told was kept.",
        "c": "point 7 is the consumer's acknowledgement, on the other side of the queue: "
        "section 2's redelivery covers a crash there.",
    }
    answer = "b"
    right = "once confirmed, the message is on disk: a broker killed after it loses nothing."


class DeliveryLimit(Choice):
    title = "q3, a quorum queue's delivery limit"
    hints = (
        "Section 5 printed the x-delivery-count of each delivery of the poison message, "
        "with x-delivery-limit 3. Count them.",
    )
    solution = """
q3.check("b")
"""
    why = """
RabbitMQ's limit counts returns, not deliveries: the first delivery, then one for each of
the 5 returns it allows. Section 5 saw 4 deliveries with a limit of 3; the hub's
max_deliveries counts deliveries, so 5 there means 5.
"""
    reasons = {
        "a": "that is how the hub's max_deliveries counts; section 5 saw RabbitMQ's limit "
        "count returns (x-delivery-count 0, 1, 2, 3 with a limit of 3).",
        "c": "that is a classic queue, which only flags a redelivery; a quorum queue's limit "
        "ends the loop.",
    }
    answer = "b"
    right = "the first delivery and 5 returns: RabbitMQ's limit counts returns."


q1 = Exercise(ChoosePrefetch())
q2 = Exercise(ConfirmClosesPoint())
q3 = Exercise(DeliveryLimit())
