"""Shared fixtures: one real Redis server for the whole test session."""

import pytest
import redis

from labsupport.lab import redis_server, registry


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
