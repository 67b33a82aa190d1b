"""A news source that clients can follow two ways: by polling over HTTP, or by WebSocket push.

Notebook 02 §1 runs both side by side to show what "bidirectional" buys: with HTTP only
the client can speak first, so it must keep asking (``GET /news?after=N``); with a
WebSocket (``/news/ws``) the server sends each item the moment it exists. §2 speaks
to ``/news/ws`` over a raw socket, with frames built by hand.

The experiment publishes at random moments (``publish_after``, gaps drawn from the
course seed): news on a fixed clock would phase-lock with a poller on the same clock,
and a poll that happens to land just after each item looks almost as quick as push.

Each item is ``{"id": n, "text": ..., "published": t}`` where ``t`` is
``time.perf_counter()`` in the server. The server runs in a thread of the same process
as the notebook, so a client can subtract it from its own clock to get the delay.
"""

import asyncio
import time

from aiohttp import WSMsgType, web


class NewsFeed:
    """Items published so far, and the WebSockets to push new ones to."""

    def __init__(self):
        self.items = []
        self.sockets = set()
        self.requests = 0  # HTTP polling requests served (GET /news)
        self.websockets_opened = 0  # HTTP GETs on /news/ws that became a WebSocket

    async def publish(self, text):
        item = {"id": len(self.items) + 1, "text": text, "published": time.perf_counter()}
        self.items.append(item)
        for ws in list(self.sockets):  # push: nobody asked
            await ws.send_json(item)
        return item

    async def publish_after(self, gaps):
        """Publish one item after each gap (in seconds): news comes when it happens."""
        for n, gap in enumerate(gaps):
            await asyncio.sleep(gap)
            await self.publish(f"item {n + 1}")

    async def publish_every(self, seconds, count):
        """Publish ``count`` items, one every ``seconds``: news on a clock."""
        await self.publish_after([seconds] * count)

    async def poll(self, request):
        """``GET /news?after=N``: the items newer than N (often none)."""
        self.requests += 1
        after = int(request.query.get("after", 0))
        return web.json_response(self.items[after:])

    async def websocket(self, request):
        """``GET /news/ws``: upgrade to a WebSocket and push every new item to it."""
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.websockets_opened += 1
        self.sockets.add(ws)
        try:
            async for message in ws:  # the client may talk too: it is bidirectional
                if message.type == WSMsgType.TEXT:
                    await ws.send_str(f"you said: {message.data}")
        finally:
            self.sockets.discard(ws)
        return ws


def make_app(feed):
    """An aiohttp app serving ``feed`` at ``/news`` (polling) and ``/news/ws`` (push)."""
    app = web.Application()
    app.router.add_get("/news", feed.poll)
    app.router.add_get("/news/ws", feed.websocket)
    return app
