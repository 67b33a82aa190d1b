"""The client side of the queue hub, driven from a notebook: catch up, keep once, acknowledge.

Notebook 05 §2 builds this client by hand (``HandClient``, in cells) and §5 swaps in
this one, the same rules hardened; notebook 05 §1 uses it as a plain reader, and
notebook 06 moves it between hubs (``move_to``).

The rules the hub's contract asks of a client (``queue_hub.py``) are in its base,
``base_queue_client.BaseQueueClient``, shared with notebook 07's ``CapsClient``: catch
up with ``getAll`` on every (re)connect, keep each message id once (delivery is *at
least once*), and acknowledge every message with ``received``. What this twin adds is
being driven from plain, synchronous notebook code: it runs python-socketio's
``AsyncClient`` on an event loop of its own (``background.py``), which calls the
handlers one at a time in the order the messages arrived, so the log's order is the
order on the wire; and it waits (``caught_up``, ``sync``) until it is current.
"""

import asyncio
import threading

import socketio

from labsupport.base_queue_client import BaseQueueClient
from labsupport.lab import registry
from labsupport.lab.background import BackgroundLoop


class QueueClient(BaseQueueClient):
    """A named client of a queue hub; ``log`` is what it got, once each, in order."""

    def __init__(self, name, events, acknowledge=True):
        self.acknowledge = acknowledge  # False plays a client that "forgets" to ack
        self.log = []  # (event, payload) once per message id, in arrival order
        self.caught_up = threading.Event()  # set once the catch-up after a connect is done
        self.acks_in_flight = 0  # handlers that have not yet sent their "received"
        self.background = BackgroundLoop(f"client:{name}")
        super().__init__(name, events)
        self.sio.on("disconnect", lambda *reason: self.caught_up.clear())

    @property
    def name(self):
        return self.client_id

    def _arrival(self, event):
        async def on_message(message):
            self.acks_in_flight += 1
            try:
                await self._take(event, message)
            finally:
                self.acks_in_flight -= 1

        return on_message

    async def _ask(self, event, data):
        return await self.sio.call(event, data, timeout=60)

    async def _handle(self, event, message):
        self.log.append((event, message["payload"]))

    def _caught_up(self):
        self.caught_up.set()

    def connect(self, url):
        """Connect as ``clientId=name`` (replacing an older client of that name)."""
        registry.register(self)
        self.url = url
        self.rejoin()
        return self

    def rejoin(self, timeout=5):
        """Connect (again, after ``drop()``) with the same client id, and catch up."""
        auth = {"clientId": self.name}
        self.caught_up.clear()
        self.background.run(self.sio.connect(self.url, auth=auth, wait_timeout=5))
        if not self.caught_up.wait(timeout):  # what was missed has arrived: we are current
            raise TimeoutError(f"{self.name}: the catch-up after connecting did not finish")

    def sync(self, timeout=5):
        """Wait until everything the hub sent before now is handled, and acknowledged.

        First the catch-up of the latest (re)connection must be done. Then a ``getAll``
        that asks for nothing: the hub answers it after everything it sent earlier on
        this connection, and the handlers run in order, so when the answer is here they
        have all run. Once their ``received`` are sent too, one more round trip makes
        sure the hub has processed them (it handles a client's events in order).
        """
        if not self.caught_up.wait(timeout):
            raise TimeoutError(f"{self.name}: the catch-up after connecting did not finish")
        return self.background.run(self._settle(timeout), timeout + 1)

    async def _settle(self, timeout):
        query = {"clientId": self.name, "event": self.events[0], "after": 1 << 62}
        await self.sio.call("getAll", query, timeout=timeout)
        while self.acks_in_flight:
            await self.sio.sleep(0.001)
        return await self.sio.call("getAll", query, timeout=timeout)

    def call(self, event, data, timeout=5):
        return self.background.run(self.sio.call(event, data, timeout=timeout))

    def drop(self):
        """Disconnect, as a phone going into a tunnel would (but politely)."""
        self.caught_up.clear()
        self.background.run(self.sio.disconnect())

    def move_to(self, url, timeout=5):
        """Give up on this server (dead, say) and connect to the one at ``url``, then catch up.

        Giving up means python-socketio's ``shutdown``, which also stops its attempts
        to reconnect to the old URL. Behind a load balancer this happens without the
        client knowing (notebook 06).
        """
        self.caught_up.clear()
        self.background.run(self._give_up_on_server())
        self.url = url
        self.rejoin(timeout)

    async def _give_up_on_server(self):
        # python-socketio's shutdown() can only stop a reconnection task that has
        # started running (the task sets up its stop signal when it starts): if the
        # client noticed the server's death a moment ago, let that task start first.
        starting = self.sio._reconnect_task is not None
        while starting and self.sio not in socketio.base_client.reconnecting_clients:
            await asyncio.sleep(0)
            starting = self.sio._reconnect_task is not None
        await self.sio.shutdown()

    @property
    def connected(self):
        return self.sio.connected

    def stop(self):
        registry.forget(self.name, self)
        if self.background.thread.is_alive():
            try:
                self.background.run(self.sio.disconnect())
            finally:
                self.background.close()
