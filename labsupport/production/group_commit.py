"""Batched commits: one disk sync for all the publishes of a few milliseconds.

Not a lesson. Notebook 05's ``SqliteQueue`` commits every change before it reports it,
which costs one disk sync per message. Under load that sync is the limit, so a
production hub shares it: changes pile up in one open transaction, and one commit a
few milliseconds later makes them all durable at once. ``bench/queue_systems.py``
measures it (notebook 08 and the README quote the figures); ``queue_program`` runs it
with ``QUEUE_BATCH=1``; ``tests/test_queue_hub.py`` and ``tests/test_ackqueue.py`` test it.

The rule that keeps it safe: a publish is not sent or reported before its commit.
"""

import asyncio

from labsupport.queue_hub import QueueHub
from labsupport.sqlite_queue import SqliteQueue


class BatchedSqliteQueue(SqliteQueue):
    """``SqliteQueue`` whose changes become durable only at ``commit()``, all together."""

    def commit(self):
        """Make the changes made since the last commit durable."""
        with self.lock:
            if self.db.in_transaction:
                self.db.execute("COMMIT")

    def close(self):
        self.commit()
        super().close()

    def _join_batch(self):
        """The first change after a commit opens the transaction that ``commit()`` ends."""
        if not self.db.in_transaction:
            self.db.execute("BEGIN")

    def _insert(self, *args):
        self._join_batch()
        return super()._insert(*args)

    def _delete(self, *args):
        self._join_batch()
        return super()._delete(*args)

    def _set_deliveries(self, message):
        self._join_batch()
        super()._set_deliveries(message)

    def _bury(self, message, reason):
        self._join_batch()  # the savepoint nests inside the batch
        super()._bury(message, reason)


class GroupCommit:
    """One ``queue.commit()`` for everything asked for within ``delay`` seconds.

    The first ``soon()`` schedules a commit ``delay`` seconds later; every ``soon()``
    until then gets the same future, resolved when that commit is done. The price is up
    to ``delay`` more latency for each message.
    """

    def __init__(self, queue, delay=0.002):
        self.queue = queue
        self.delay = delay
        self.next = None  # the future the next commit resolves, once one is scheduled

    def soon(self):
        """Schedule a commit (unless one is scheduled); return the future it resolves."""
        if self.next is None:
            loop = asyncio.get_running_loop()
            self.next = loop.create_future()
            loop.call_later(self.delay, self._commit)
        return self.next

    def _commit(self):
        done, self.next = self.next, None
        try:
            self.queue.commit()
        except Exception as error:  # no publish waiting on it is reported as stored
            done.set_exception(error)
        else:
            done.set_result(None)


class GroupCommitHub(QueueHub):
    """``QueueHub`` on a ``BatchedSqliteQueue``: no publish is sent before its commit."""

    def __init__(self, queue, delay=0.002, **server_options):
        super().__init__(queue, **server_options)
        self.group_commit = GroupCommit(queue, delay)

    async def publish(self, client_id, event, payload):
        message = self.queue.enqueue(client_id, event, payload)
        await self.group_commit.soon()  # durable before anyone hears of it
        await self.sio.emit(event, message.to_wire(), to=client_id, namespace=self.namespace)
        return message

    async def received(self, sid, data=None):
        reply = await super().received(sid, data)
        self.group_commit.soon()  # not waited for: a lost ack only means a duplicate
        return reply

    async def get_all(self, sid, data=None):
        reply = await super().get_all(sid, data)
        self.group_commit.soon()  # the delivery counts
        return reply
