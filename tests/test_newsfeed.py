"""labsupport.lab.newsfeed: the same items reach a polling client and a pushed-to WebSocket."""

import asyncio

import aiohttp

from labsupport.lab import newsfeed, servers


def test_push_and_poll_both_get_every_item_and_push_needs_no_requests():
    feed = newsfeed.NewsFeed()
    server = servers.serve_app(newsfeed.make_app(feed), name="news-test")

    async def main():
        async with aiohttp.ClientSession() as session:
            async with session.ws_connect(f"{server.url}/news/ws") as ws:
                await ws.send_str("hi")
                assert await ws.receive_str(timeout=5) == "you said: hi"
                await server.arun(feed.publish_every(0.01, 3))
                pushed = [await ws.receive_json(timeout=5) for _ in range(3)]
            async with session.get(f"{server.url}/news", params={"after": 1}) as response:
                polled = await response.json()
        return pushed, polled

    try:
        pushed, polled = asyncio.run(main())
    finally:
        servers.stop_all()
    assert [item["text"] for item in pushed] == ["item 1", "item 2", "item 3"]
    assert [item["id"] for item in polled] == [2, 3]
    assert feed.requests == 1  # the one GET /news
    assert feed.websockets_opened == 1  # the one GET /news/ws, upgraded
