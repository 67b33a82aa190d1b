"""The benchmark's fast path (``bench/fast_socket.py``) keeps python-engineio's protocol.

The spec probes run on it too (the ``fastpath`` column of ``spec_probes.EXPECTED``, which
must be Node's); here, what the loop it replaces was responsible for: the ping timeout,
the upgrade from polling, the order of frames sent from two paths, and tasks ended with
their connections.
"""

import asyncio
import gc
import inspect
import json
import subprocess
import time

import engineio.async_server
import pytest

from labsupport.lab import servers
from labsupport.lab.paths import BENCH
from labsupport.production import spec_probes
from labsupport.production.tuned import tuned_server

fast = spec_probes.fast_socket()
WINDOW = 2  # seconds: ping_interval + ping_timeout of the servers below


def serve(system, **options):
    """A spec server (``plain`` python-engineio's loop, or ``fastpath``), guarded, with
    1 s pings unless ``options`` say otherwise; ``reasons`` collects the reason of every
    disconnection."""
    if system == "fastpath":
        options = {"server_class": fast.FastPathServer, "async_handlers": False, **options}
    sio = spec_probes.spec_server(**{"ping_interval": 1, "ping_timeout": 1, **options})
    sio.reasons = []

    @sio.event
    async def disconnect(sid, reason):
        sio.reasons.append(reason)

    return sio, servers.serve_socketio(sio, name=f"fast-socket-{system}")


@pytest.fixture
def stop_servers():
    yield
    servers.stop_all()


def connected_websocket(url):
    ws = spec_probes.raw_websocket(url)
    ws.send("40")
    assert ws.recv().startswith("40")
    return ws


def test_its_sessions_are_fast_sockets_over_websocket_and_polling(stop_servers):
    sio, server = serve("fastpath")
    connected_websocket(server.url)
    spec_probes.Polling(server.url).connect()
    kinds = {type(session).__name__ for session in sio.eio.sockets.values()}
    assert kinds == {"FastAsyncSocket"}


@pytest.mark.parametrize("monitor_clients", [True, False], ids=["service task", "deadline only"])
@pytest.mark.parametrize("system", ["plain", "fastpath"])
def test_a_silent_client_is_closed_after_the_ping_timeout(stop_servers, system, monitor_clients):
    """It never answers a ping. Without the service task, only the connection's own
    deadline (python-engineio: the reader's wait_for) can end it."""
    sio, server = serve(system, monitor_clients=monitor_clients)
    ws = connected_websocket(server.url)
    started = time.monotonic()
    ws.settimeout(WINDOW + 4)
    frames = []
    try:
        while (frame := ws.recv()) not in ("", "1"):
            frames.append(frame)  # pings, unanswered
    except Exception:
        pass
    took = time.monotonic() - started
    assert "2" in frames and WINDOW * 0.9 <= took < WINDOW + 3, (frames, took)
    deadline = time.monotonic() + 5
    while not sio.reasons and time.monotonic() < deadline:
        time.sleep(0.05)  # the server's disconnect handler runs on its own loop
    assert len(sio.reasons) == 1


def test_a_client_that_answers_pings_outlives_many_deadlines(stop_servers):
    """The deadline is moved by every frame heard: a live connection is never cut (2 s
    to answer each ping, so that a busy machine's pause does not cut it either)."""
    sio, server = serve("fastpath", monitor_clients=False, ping_timeout=2)
    ws = connected_websocket(server.url)
    assert not spec_probes.ws_closed_within(ws, 2.5 * (1 + 2))  # it answers each ping
    ws.send('421["tally"]')
    assert ws.recv() == "431[0]" and sio.reasons == []


@pytest.mark.parametrize("system", ["plain", "fastpath"])
def test_an_upgrade_from_polling_carries_the_session_on(stop_servers, system):
    _, server = serve(system)
    session = spec_probes.Polling(server.url)
    session.connect()
    session.post('42["count"]')
    ws = spec_probes.raw_websocket(server.url, session.handshake["sid"])
    ws.send("2probe")
    assert ws.recv() == "3probe"
    ws.send("5")
    ws.send('421["tally"]')
    frames = [ws.recv()]
    while not frames[-1].startswith("431"):  # a NOOP may come first: it ends a poll
        frames.append(ws.recv())
    assert frames[-1] == "431[1]" and set(frames[:-1]) <= {"6", "2"}, frames


def test_frames_from_the_connection_and_from_other_tasks_keep_their_order(stop_servers):
    """Inline answers are written at once, a background task's go through the queue;
    each stream must arrive in the order it was sent, the acknowledgement last."""
    sio = tuned_server(fast.FastPathServer, ping_interval=1, ping_timeout=1)

    async def side(sid, count):
        for n in range(count):
            await sio.emit("side", n, to=sid)
            await asyncio.sleep(0)

    @sio.event
    async def blast(sid, count):
        sio.start_background_task(side, sid, count)
        for n in range(count):
            await sio.emit("news", n, to=sid)
            if n % 7 == 0:
                await asyncio.sleep(0)  # let the side task queue some in between
        return count

    server = servers.serve_socketio(sio, name="fast-socket-order")
    ws = connected_websocket(server.url)
    ws.send('421["blast",300]')
    seen = {"news": [], "side": []}
    while len(seen["side"]) < 300 or "ack" not in seen:
        frame = ws.recv()
        if frame == "2":
            ws.send("3")
        elif frame.startswith("431"):
            seen["ack"] = len(seen["news"])
        elif frame.startswith("42"):
            name, n = json.loads(frame[2:])
            seen[name].append(n)
    assert seen["news"] == list(range(300)) and seen["side"] == list(range(300))
    assert seen["ack"] == 300  # every news frame came before the acknowledgement


def snapshot(sio):
    """Run on the server's loop: its sessions, its tasks' names, its FastAsyncSockets in memory."""

    async def look():
        gc.collect()
        tasks = [t.get_coro().__qualname__ for t in asyncio.all_tasks()
                 if t is not asyncio.current_task()]  # fmt: skip
        alive = sum(isinstance(o, fast.FastAsyncSocket) and o.server is sio.eio
                    for o in gc.get_objects())  # fmt: skip
        return len(sio.eio.sockets), tasks, alive

    return look()


def idle_clients(url, count):
    """``count`` official clients, connected, in one Node process (``bench/load.mjs``)."""
    node = subprocess.Popen(["node", str(BENCH / "load.mjs"), url], cwd=BENCH.parent,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)  # fmt: skip
    node.stdin.write(f"idle {count}\n")
    node.stdin.flush()
    assert node.stdout.readline().strip() == '{"ready":true}'
    return node


def test_no_task_is_left_after_500_clients_connect_and_drop(stop_servers):
    # 5 s pings: one Node process answering 250 clients' 1 s pings misses some on 2 busy cores
    sio, server = serve("fastpath", ping_interval=5, ping_timeout=5)
    closing = idle_clients(server.url, 250)  # these will close their connections
    killed = idle_clients(server.url, 250)  # these will be killed: the kernel drops them
    sessions, tasks, _ = server.run(snapshot(sio), timeout=30)
    writers = tasks.count("FastAsyncSocket._write_queued")
    assert (sessions, writers) == (500, 500)  # the snapshot sees every session's writer
    closing.stdin.write("go\n")
    closing.stdin.close()
    killed.kill()
    assert (closing.wait(30), killed.wait(30)) == (0, -9)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        sessions, tasks, alive = left = server.run(snapshot(sio), timeout=30)
        if sessions == 0 and alive <= 1:
            break
        time.sleep(0.2)
    # python-engineio's service task keeps the last session it checked (its loop
    # variable) while it sleeps, on its own loop as on this one: one may stay in memory.
    assert sessions == 0 and alive <= 1, left
    server_wide = {"AsyncServer._service_task", "Event.wait", "Guard.sweep"}  # Event.wait:
    assert set(tasks) <= server_wide, tasks  # the service task's wait_for, in a task of its own


def test_reach_a_new_session_is_in_sockets_before_upgrades_is_asked():
    """``FastPathEngineIO`` changes a new session's class in ``_upgrades``: python-engineio
    must call it after storing the session and before starting its transport."""
    source = inspect.getsource(engineio.async_server.AsyncServer._handle_connect)
    stored, asked = source.index("self.sockets[sid] = s"), source.index("self._upgrades(sid, ")
    assert stored < asked < source.index("s.handle_get_request(environ)")


# The next step (``decided_once=True``): each handler decided once to be a coroutine
# function or not, and a MESSAGE handed straight to its handler.


def test_the_next_step_gives_nodes_outcome_on_every_row(stop_servers):
    sio, server = serve("fastpath", decided_once=True, ping_interval=5, ping_timeout=5)
    spec_probes.guard.guard(sio, connect_timeout=spec_probes.TIMEOUT,
                            upgrade_timeout=spec_probes.TIMEOUT)  # fmt: skip
    for requirement, (probe, *expected) in spec_probes.EXPECTED.items():
        assert probe(server.url) == expected[-1], requirement


@pytest.mark.parametrize("decided_once", [False, True])
def test_the_next_step_asks_inspect_once_per_handler_not_per_event(stop_servers, monkeypatch,
                                                                   decided_once):  # fmt: skip
    fast.is_coroutine.cache_clear()
    sio, server = serve("fastpath", decided_once=decided_once)
    ws = connected_websocket(server.url)
    asked, ask = [], inspect.iscoroutinefunction
    monkeypatch.setattr(inspect, "iscoroutinefunction", lambda f: asked.append(f) or ask(f))
    for _ in range(100):
        ws.send('42["count"]')
    ws.send('421["tally"]')
    assert ws.recv() == "431[100]"  # every event was handled, the acknowledgement last
    assert len(asked) <= 4 if decided_once else len(asked) >= 200, len(asked)
