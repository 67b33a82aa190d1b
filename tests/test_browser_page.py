"""The course's browser page, in headless Chromium driven by Playwright, against a real server.

Both directions: the page's emits reach Python, and Python's emits appear on the page.
Chromium comes from the system's packages (the README set-up installs it); Playwright
never downloads a browser here.
"""

import json
import os

import pytest
import socketio
from aiohttp import web
from playwright.sync_api import expect, sync_playwright

from labsupport.lab import browser, servers, webpage
from labsupport.lab.trace import Trace


def test_page_and_python_talk_both_ways():
    trace = Trace()
    sio = socketio.AsyncServer(async_mode="aiohttp")

    @sio.event
    async def chat(sid, text):
        trace.record("server", "chat", text, conn=sid)

    @sio.event
    async def seen(sid, report):
        trace.record("server", "seen", report, conn=sid)

    server = servers.serve_socketio(sio, name="page", app=webpage.add_page(web.Application()))
    try:
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(
                executable_path=browser.find_chromium(), args=browser.FLAGS[1:-1]
            )
            page = chromium.new_page()
            page.goto(f"{server.url}/page?who=playwright")
            expect(page.locator("#state")).to_have_text("connected", timeout=10_000)
            assert trace.wait_for("chat")[0].payload == "hello from playwright"

            server.run(sio.emit("news", {"text": "from Python"}))
            expect(page.locator("#log li").first).to_have_text('news [{"text":"from Python"}]')
            report = trace.wait_for("seen")[0].payload
            assert report == {"event": "news", "args": [{"text": "from Python"}]}

            page.click("#say")
            assert trace.wait_for("chat", count=2)[1].payload == "click in playwright"
            chromium.close()
    finally:
        servers.stop_all()


def test_headless_page_process_connects_and_is_stopped():
    trace = Trace()
    sio = socketio.AsyncServer(async_mode="aiohttp")
    sio.on("chat", lambda sid, text: trace.record("server", "chat", text))
    server = servers.serve_socketio(sio, name="page", app=webpage.add_page(web.Application()))
    try:
        process = browser.open_page(f"{server.url}/page?who=headless")
        assert trace.wait_for("chat", timeout=20)[0].payload == "hello from headless"
    finally:
        servers.stop_all()
    assert not process.alive
    (profile,) = process.folders  # a profile folder of its own, gone with the browser
    assert "labsupport-chromium-browser-" in profile and not os.path.exists(profile)


def test_a_snap_stub_is_not_a_browser(tmp_path, monkeypatch):
    """Ubuntu's chromium package is a script that asks for the snap: it must not count."""
    stub = tmp_path / "chromium"
    stub.write_text("#!/bin/sh\necho \"Command '$0' requires the chromium snap to be installed.\"\n"
                    "exit 1\n")  # fmt: skip
    stub.chmod(0o755)
    assert not browser.runs(str(stub))
    monkeypatch.setattr(browser, "CANDIDATES", [str(stub)])
    monkeypatch.setenv("PATH", str(tmp_path))
    browser.find_chromium.cache_clear()
    try:
        with pytest.raises(browser.NoBrowser, match="stub for the snap"):
            browser.open_page("http://127.0.0.1:9/page")
    finally:
        browser.find_chromium.cache_clear()


def test_the_page_address_goes_through_the_jupyter_server_that_started_the_kernel(
    tmp_path, monkeypatch
):
    """Under a Jupyter server (its runtime file names our launcher's pid): /proxy/PORT/."""
    server = servers.serve_socketio(socketio.AsyncServer(async_mode="aiohttp"), name="page")
    try:
        monkeypatch.delenv("JPY_PARENT_PID", raising=False)
        assert webpage.browser_url(server, "/page?who=you") == f"{server.url}/page?who=you"
        info = {"pid": os.getpid(), "base_url": "/user/ann/", "port": 8888, "url": "x"}
        (tmp_path / f"jpserver-{os.getpid()}.json").write_text(json.dumps(info))
        monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path))
        monkeypatch.setenv("JPY_PARENT_PID", str(os.getpid()))
        expected = f"/user/ann/proxy/{server.port}/page?who=you"
        assert webpage.browser_url(server, "/page?who=you") == expected
    finally:
        servers.stop_all()
