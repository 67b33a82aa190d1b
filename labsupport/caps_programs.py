"""The three CAPS programs of notebook 07: ``python -m labsupport.caps_programs hub|vendor|driver``.

::

    python -m labsupport.caps_programs hub --port 8000 [--db FILE [--stages FILE] | --redis URL]
    python -m labsupport.caps_programs vendor --url http://127.0.0.1:8000 --store acme --orders 5
    python -m labsupport.caps_programs driver --url http://127.0.0.1:8000 --id driver-1

``--stages FILE`` runs the hub with the learner's own stages from notebook 07 (a file
``write_stages`` makes of the cells that define them): stage 3's ``send_to_drivers``
sends every pickup, and stage 4's ``make_storage`` keeps the queue and the ledger. So
the acceptance scenario (a stopped driver, a stopped vendor, a killed hub) tests what
the learner wrote.

The hub prints ``listening on http://127.0.0.1:PORT`` and then one ``EVENT:`` line per
event; a vendor or driver prints ``connected as <id>`` and then one line per order
event, which is what notebook 07 and the tests read. Each runs until SIGTERM or Ctrl-C.
"""

import argparse
import asyncio
import random
import signal

import socketio
from aiohttp import web

from labsupport import caps, caps_stages, caps_storage
from labsupport.base_queue_client import BaseQueueClient
from labsupport.lab import run_server

CUSTOMERS = ("Ada Lovelace", "Grace Hopper", "Alan Turing", "Radia Perlman", "Vint Cerf")


class CapsClient(BaseQueueClient):
    """A vendor or a driver, as the contract asks (see ``caps.py``): an asyncio program.

    Its base (``base_queue_client``, shared with notebook 05's ``QueueClient``) catches
    up with ``getAll`` on every (re)connect and acknowledges each message once handled:
    if it crashes halfway, the hub sends the message again. This twin hands each message
    to ``handle(client, event, order)`` once per (event, store, orderId), one at a time
    in arrival order (a worker takes them from ``inbox``, so a handler may itself wait
    for the hub's answers), and retries every call until the hub answers (``send``).
    """

    namespace = caps.NAMESPACE
    reconnection_delay_max = 1

    def __init__(self, url, client_id, role, events, handle):
        self.url, self.role, self.handle = url, role, handle
        self.inbox = asyncio.Queue()  # arrivals wait here for the one worker
        super().__init__(client_id, events)

    def _arrival(self, event):
        async def arrived(message):
            self.inbox.put_nowait((event, message))

        return arrived

    def _key(self, event, message):
        return (event, caps.order_key(message["payload"]))

    async def _ask(self, event, data):
        return await self.send(event, data)

    async def _handle(self, event, message):
        await self.handle(self, event, message["payload"])

    async def send(self, event, data):
        """Emit with an acknowledgement, trying again until the hub answers.

        The timeout is short because an acknowledgement lost with a dead connection
        never comes. Sending again is safe: the order id makes a repeat harmless.
        """
        while True:
            try:
                return await self.sio.call(event, data, namespace=caps.NAMESPACE, timeout=1)
            except socketio.exceptions.SocketIOError:  # not connected, or no answer
                await asyncio.sleep(0.2)

    async def _work(self):
        while True:
            await self._take(*await self.inbox.get())

    async def run(self, then=None):
        """Connect, run ``then(client)`` (a vendor's orders), and serve until SIGTERM."""
        worker = asyncio.create_task(self._work())
        auth = {"clientId": self.client_id, "role": self.role}
        await self.sio.connect(self.url, namespaces=[caps.NAMESPACE], auth=auth, retry=True)
        say(f"connected as {self.client_id}")
        if then is not None:
            await then(self)
        await until_stopped()
        worker.cancel()
        await self.sio.disconnect()


def say(line):
    print(line, flush=True)


async def until_stopped():
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    await stop.wait()


def make_order(store, number):
    chance = random.Random(f"{store}/{number}")  # the same order every run
    return {"store": store, "orderId": str(number), "customer": chance.choice(CUSTOMERS),
            "address": f"{chance.randint(1, 999)} Pine St"}  # fmt: skip


async def vendor_handles(client, event, order):
    key = caps.order_key(order)
    if event == "delivered":
        say(f"delivered {key}: Thank you for your order {order['customer']}")
    else:
        say(f"{event} {key}")


async def driver_handles(client, event, order):
    key = caps.order_key(order)
    say(f"pickup {key}")
    reply = await client.send("in-transit", order)
    if "error" in reply:
        say(f"not mine {key}: {reply['error']}")
        return
    say(f"in-transit {key}")
    await client.send("delivered", order)
    say(f"delivered {key}")


def vendor(url, store, orders, first):
    async def send_orders(client):
        for number in range(first, first + orders):
            reply = await client.send("pickup", make_order(store, number))
            say(f"sent pickup {store}/{number}: {reply}")

    client = CapsClient(url, store, "vendor", ["in-transit", "delivered"], vendor_handles)
    asyncio.run(client.run(send_orders))


def driver(url, driver_id):
    asyncio.run(CapsClient(url, driver_id, "driver", ["pickup"], driver_handles).run())


def hub_app(db=None, redis_url=None, stages=None):
    """The hub as an aiohttp app: socket.io on ``/caps``, ``POST /pickup``, ``POST /publish``."""
    if stages:
        hub = caps_stages.StagesHub(caps_stages.load_stages(stages), db, log=say)
    else:
        queue, ledger, manager = caps_storage.storage(db, redis_url)
        hub = caps.CapsHub(queue, ledger, log=say, client_manager=manager)
    app = hub.add_routes(web.Application())
    hub.sio.attach(app)
    return app


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m labsupport.caps_programs", description=__doc__)
    parts = parser.add_subparsers(dest="part", required=True)
    hub = parts.add_parser("hub")
    hub.add_argument("--port", type=int, default=0)
    hub.add_argument("--db", help="keep the queue in this SQLite file (survives kill -9)")
    hub.add_argument("--redis", help="keep the queue on this Redis (several hubs can share it)")
    hub.add_argument("--stages", help="run notebook 07's stages 3 and 4 from this file (with --db)")
    seller = parts.add_parser("vendor")
    seller.add_argument("--url", required=True)
    seller.add_argument("--store", required=True)
    seller.add_argument("--orders", type=int, default=0, help="how many pickups to send")
    seller.add_argument("--first", type=int, default=1, help="the first order number")
    carrier = parts.add_parser("driver")
    carrier.add_argument("--url", required=True)
    carrier.add_argument("--id", required=True)
    args = parser.parse_args(argv)
    if args.part == "hub":
        if args.stages and not args.db:
            parser.error("--stages needs --db: stage 4 keeps the hub's data in that file")
        asyncio.run(run_server.serve(hub_app(args.db, args.redis, args.stages), args.port))
    elif args.part == "vendor":
        vendor(args.url, args.store, args.orders, args.first)
    else:
        driver(args.url, args.id)


if __name__ == "__main__":
    main()
