"""Shared fixtures (one real Redis server for the whole test session); every client a
test made ends with it; and no skip in CI."""

import os
import weakref

import pytest
import redis
import socketio

from labsupport.lab import redis_server, registry

IN_CI = os.environ.get("CI", "").lower() in ("true", "1")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Under CI every test runs: a test that skips (a program not installed, say) fails
    there, with its reason, instead of passing off an unrun check as green. CI's set-up
    (``./course test``) installs everything; on a learner's machine a skip stays a skip."""
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome, report.longrepr = "failed", f"skipped under CI: {reason}"


@pytest.fixture(autouse=True)
def clients_end_with_their_test(monkeypatch):
    """Every python-socketio ``Client`` a test made (a ``SimpleClient``'s too) is shut down
    when the test ends. One whose server stopped first goes on reconnecting in a thread of
    its own, and joins whichever later test's server gets the old port."""
    made = weakref.WeakSet()
    init = socketio.Client.__init__

    def recorded(self, *args, **kwargs):
        init(self, *args, **kwargs)
        made.add(self)

    monkeypatch.setattr(socketio.Client, "__init__", recorded)
    yield
    for client in list(made):
        client.shutdown()  # disconnects, or ends the reconnection attempts


@pytest.fixture(scope="session")
def redis_session():
    """A real ``redis-server`` (Debian's, installed by the set-up), for every test that needs one.

    It is taken out of the registry so that tests which call ``stop_all()`` leave it
    running; it is stopped at the end of the session (and dies with pytest anyway).
    """
    server = redis_server.start("test-redis")
    registry.forget(server.name, server)
    yield server
    server.stop()


@pytest.fixture
def redis_url(redis_session):
    """The session's Redis, emptied before the test."""
    client = redis.Redis.from_url(redis_session.url)
    client.flushall()
    client.close()
    return redis_session.url


@pytest.fixture(scope="module")
def spec_servers():
    """The servers the specification probes compare: plain, course, fast path, Node."""
    from labsupport.production import spec_probes

    started = {system: spec_probes.start(system) for system in spec_probes.SYSTEMS}
    yield started
    for server in started.values():
        server.stop()


@pytest.fixture
def chromium():
    """The system's headless Chromium, driven by Playwright (which never downloads one)."""
    from playwright.sync_api import sync_playwright

    from labsupport.lab import browser

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=browser.find_chromium(), args=browser.FLAGS[1:-1]
        )
        yield launched
        launched.close()
