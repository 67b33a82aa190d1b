"""The patches of ``docs/upstream/`` apply to the pinned releases and do what they say.

Each patch is against the release's source distribution (``src/`` and ``tests/``;
``docs/upstream.md`` gives the library's own test counts before and after). Here, where
that source may not be at hand, the ``src/`` part is applied to a scratch copy of the
installed package (the same pinned version), and the changed behaviour is checked in a
fresh interpreter that imports the patched copy.
"""

import importlib.util
import shutil
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

PATCHES = Path(__file__).resolve().parent.parent / "docs" / "upstream"


def source_part(patch_text):
    """The hunks of ``patch_text`` that change ``src/`` (the tests' are left out)."""
    files = patch_text.split("--- a/")
    return "".join("--- a/" + f for f in files[1:] if f.startswith("src/"))


def patched_copy(package, patch, folder):
    """A copy of the installed ``package`` in ``folder``, with ``patch``'s src part applied."""
    installed = Path(importlib.util.find_spec(package).origin).parent
    shutil.copytree(installed, folder / package, ignore=shutil.ignore_patterns("__pycache__"))
    diff = source_part((PATCHES / patch).read_text())
    done = subprocess.run(["patch", "-p2", "-d", str(folder), "--forward"], input=diff,
                          text=True, capture_output=True)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    return folder


def released_copy(package, folder):
    """A copy of the installed ``package`` in ``folder``, as released (to compare with)."""
    installed = Path(importlib.util.find_spec(package).origin).parent
    shutil.copytree(installed, folder / package, ignore=shutil.ignore_patterns("__pycache__"))
    return folder


def run_with(folder, code):
    """Run ``code`` in a new interpreter that imports the packages of ``folder`` first."""
    program = f"import sys; sys.path.insert(0, {str(folder)!r})\n" + textwrap.dedent(code)
    done = subprocess.run([sys.executable, "-c", program], text=True, capture_output=True)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.skipif(shutil.which("patch") is None, reason="needs the patch program")
def test_the_python_engineio_patch_advertises_exact_ms_answers_ok_and_400(tmp_path):
    folder = patched_copy("engineio", "python-engineio-4.15.1-handshake-and-answers.patch",
                          tmp_path)  # fmt: skip
    out = run_with(
        folder,
        """
        import engineio, json
        assert engineio.__file__.startswith(sys.path[0]), engineio.__file__
        s = engineio.Server(ping_interval=0.3, ping_timeout=0.2)
        answer = []
        start = lambda status, headers: answer.append(status)
        body = s.handle_request({"REQUEST_METHOD": "GET", "QUERY_STRING": "EIO=4"}, start)
        handshake = json.loads(body[0].decode()[1:])
        s.handle_request({"REQUEST_METHOD": "PUT", "QUERY_STRING": "EIO=4"}, start)
        print(handshake["pingInterval"], s._ok()["response"].decode(), answer[-1])
    """,
    )
    assert out == "300 ok 400 BAD REQUEST"


@pytest.mark.skipif(shutil.which("patch") is None, reason="needs the patch program")
def test_the_python_socketio_patch_refuses_an_unknown_namespace_as_node_does(tmp_path):
    folder = patched_copy("socketio", "python-socketio-5.18.1-invalid-namespace.patch",
                          tmp_path)  # fmt: skip
    out = run_with(
        folder,
        """
        import socketio
        assert socketio.__file__.startswith(sys.path[0]), socketio.__file__
        s = socketio.Server()
        sent = []
        s.eio.send = lambda sid, data: sent.append(data)
        s._handle_eio_connect("123", {})
        s._handle_eio_message("123", "0/nope,")
        print(sent[-1])
    """,
    )
    assert out == '4/nope,{"message":"Invalid namespace"}'


# The patches that bring plain python-engineio to Node's answer on a row of the spec table
# (labsupport/production/spec_probes.py). Each is proven by that row's probe: against a
# plain python-socketio server importing the patched copy, the probe gives Node's outcome,
# where the table (held by tests/test_spec_*.py on the installed library) has plain
# python-socketio give another. (patch, spec table row, the suites' pings?)
PROBED = [
    ("python-engineio-4.15.1-ping-timeout-on-request.patch",
     "a GET after the ping timeout, the ping unanswered", True),
    ("python-engineio-4.15.1-close-ends-the-waiting-poll.patch",
     "a CLOSE posted while a GET waits", False),
    ("python-engineio-4.15.1-no-noop-over-websocket.patch",
     "the first frame over the WebSocket after an upgrade", False),
    ("python-engineio-4.15.1-second-websocket-closed.patch",
     "a second WebSocket for an upgraded session", False),
    ("python-engineio-4.15.1-upgrade-ends-with-session.patch",
     "an upgrade left after `3probe`, pings unanswered", True),
]  # fmt: skip
SERVE = """
import sys
import threading

sys.path.insert(0, {folder!r})
import engineio

assert engineio.__file__.startswith(sys.path[0]), engineio.__file__
from labsupport.production import spec_probes

if {suite}:  # the official suites' pings, 300 ms then 200 ms
    server = spec_probes.suite_server("plain", "socket.io", **spec_probes.SILENT)
else:
    server = spec_probes.start("plain", **spec_probes.SILENT)
print("listening on", server.url, flush=True)
threading.Event().wait()  # until stopped
"""


def serve_patched(folder, suite):
    """Plain python-socketio, importing the packages of ``folder``, as a process."""
    from labsupport.lab import processes

    program = SERVE.format(folder=str(folder), suite=suite)
    server = processes.start_process("patched-plain", [sys.executable, "-c", program])
    return server


@pytest.mark.skipif(shutil.which("patch") is None, reason="needs the patch program")
@pytest.mark.parametrize("patch, requirement, suite", PROBED, ids=[p[0][24:-6] for p in PROBED])
def test_an_engineio_patch_gives_nodes_outcome_on_its_probe(tmp_path, patch, requirement, suite):
    from labsupport.production import spec_probes

    table = spec_probes.SUITE_EXPECTED if suite else spec_probes.EXPECTED
    probe, plain, *_, node = table[requirement]
    server = serve_patched(patched_copy("engineio", patch, tmp_path), suite)
    try:
        measured = probe(server.url)
    finally:
        server.stop()
    assert measured == node, (patch, measured)
    assert plain != node  # the installed library's outcome (always, or only sometimes, Node's)


COUNT_INSPECT = """
import asyncio, inspect
import {package}
assert {package}.__file__.startswith(sys.path[0]), {package}.__file__
asked, ask = [], inspect.iscoroutinefunction
inspect.iscoroutinefunction = lambda f: asked.append(f) or ask(f)
server, handled = {package}.AsyncServer(), []

async def handler(*args):
    handled.append(args)

server.on("message", handler)

async def events():
    for _ in range(100):
        await server._trigger_event("message", {args})

asyncio.run(events())
print(len(handled), len(asked))
"""


@pytest.mark.skipif(shutil.which("patch") is None, reason="needs the patch program")
@pytest.mark.parametrize("package, patch, args", [
    ("engineio", "python-engineio-4.15.1-handler-decided-once.patch", "'sid', 'data'"),
    ("socketio", "python-socketio-5.18.1-handler-decided-once.patch", "'/', 'sid', 'data'"),
])  # fmt: skip
def test_the_handler_decided_once_patches_ask_inspect_once_not_per_event(tmp_path, package,
                                                                        patch, args):  # fmt: skip
    program = COUNT_INSPECT.format(package=package, args=args)
    assert run_with(patched_copy(package, patch, tmp_path), program) == "100 1"
    unpatched = released_copy(package, tmp_path / "as-released")
    assert run_with(unpatched, program) == "100 100"  # once per event, as released


# The client's side (docs/upstream.md, 17): a disconnect() made while the write loop is
# still inside a POST. The server answers the POST that carried the event half a second
# late, its acknowledgement already sent over the GET, so the client's call() returns and
# disconnect() runs, once the client's next GET waits, while that POST is on its way: as
# released, the write loop then finds the state changed and leaves with the CLOSE unsent;
# the waiting GET ends only with the server's first PING, and the server ends the session
# at its ping timeout. The official JavaScript client ("node") in the same race, for
# comparison. Each client has a server of its own; they run side by side. Times are the
# wall clock's (time.time), shared with Node.
CLOSE_RACE = """
import asyncio, os, subprocess, threading, time
from concurrent.futures import ThreadPoolExecutor
import engineio, socketio
from aiohttp import web
from labsupport.lab import paths, servers

assert engineio.__file__.startswith(sys.path[0]), engineio.__file__
PING_INTERVAL = 2
NODE_CLIENT = '''
const socket = require("socket.io-client").io(process.argv[1], { transports: ["polling"] });
socket.on("connect", async () => {
  await socket.timeout(5000).emitWithAck("echo", "hi");
  const called = Date.now() / 1000;
  socket.io.engine.on("close", () => console.log(called, Date.now() / 1000));
  socket.disconnect();
});
'''


def race(mode):
    handshake, handled, reasons, took_the_ack, answered = [], [], [], [], []
    gone, polling_again = threading.Event(), threading.Event()
    sio = socketio.AsyncServer(async_mode="aiohttp", async_handlers=False,
                               ping_interval=PING_INTERVAL, ping_timeout=0.5)

    @sio.event
    async def echo(sid, data):
        handled.append(data)
        return data

    @sio.event
    async def disconnect(sid, reason):
        reasons.append(reason)
        gone.set()

    @web.middleware
    async def late_answer_to_the_event(request, handler):
        if not handshake:  # the first request: the first PING is due PING_INTERVAL on
            handshake.append(time.time())
        if request.method == "GET" and took_the_ack:
            polling_again.set()  # the client's next long-poll is waiting
        before = len(handled)
        response = await handler(request)
        if request.method == "GET" and handled:
            took_the_ack.append(request)
        if request.method == "POST" and len(handled) > before:  # it carried the event
            await asyncio.sleep(0.5)
            answered.append(time.time())
        return response

    app = web.Application(middlewares=[late_answer_to_the_event])
    server = servers.serve_socketio(sio, name=f"close-race-{mode}", app=app)
    if mode == "sync":
        client = socketio.Client()
        client.connect(server.url, transports=["polling"])
        client.call("echo", "hi", timeout=5)
        polling_again.wait(5)
        called = time.time()
        client.disconnect()
        ended = time.time()
    elif mode == "async":
        async def call_then_disconnect():
            client = socketio.AsyncClient()
            await client.connect(server.url, transports=["polling"])
            await client.call("echo", "hi", timeout=5)
            await asyncio.to_thread(polling_again.wait, 5)
            called = time.time()
            await client.disconnect()
            return called, time.time()

        called, ended = asyncio.run(call_then_disconnect())
    else:  # the official client: its engine's "close", when it has closed the transport
        node = subprocess.run(["node", "-e", NODE_CLIENT, server.url], capture_output=True,
                              text=True, timeout=20,
                              env={**os.environ, "NODE_PATH": str(paths.NODE_MODULES)})
        called, ended = map(float, node.stdout.split())
    gone.wait(10)
    server.stop()
    # the disconnect began while the POST was on its way; did it wait for the first PING?
    return (polling_again.is_set() and called < answered[0],
            ended - handshake[0] >= PING_INTERVAL, reasons, f"{ended - called:.2f}")


with ThreadPoolExecutor(len(MODES)) as pool:
    for mode, figures in zip(MODES, pool.map(race, MODES)):
        print(mode, *figures)
"""


@pytest.mark.skipif(shutil.which("patch") is None, reason="needs the patch program")
def test_the_client_patch_sends_the_close_queued_while_a_post_is_on_its_way(tmp_path):
    patch = "python-engineio-4.15.1-client-close-always-sent.patch"
    runs = {  # the official client beside the release, for comparison
        released_copy("engineio", tmp_path / "as-released"): ["sync", "async", "node"],
        patched_copy("engineio", patch, tmp_path / "patched"): ["sync", "async"],
    }
    with ThreadPoolExecutor(len(runs)) as pool:  # each waits for pings: side by side
        outs = list(pool.map(lambda run: run_with(run[0], f"MODES = {run[1]}" + CLOSE_RACE),
                             runs.items()))  # fmt: skip
    # each line: mode, the race as meant, the first PING waited for, reasons, disconnect()'s s
    released, patched = ({line.rsplit(" ", 1)[0] for line in out.splitlines()} for out in outs)
    # as released: the CLOSE never sent, so the GET waited for the PING, "ping timeout";
    # Node's client waits for the POST's answer ("drain"), then sends DISCONNECT and CLOSE
    assert released == {"sync True True ['ping timeout']", "async True True ['ping timeout']",
                        "node True False ['client disconnect']"}, outs  # fmt: skip
    # patched: the CLOSE sent once the POST came back, the session ended by the client
    assert patched == {"sync True False ['client disconnect']",
                       "async True False ['client disconnect']"}, outs  # fmt: skip


@pytest.mark.skipif(shutil.which("patch") is None, reason="needs the patch program")
def test_every_patch_applies_over_the_others_and_each_row_stays_fixed(tmp_path):
    """All the library patches of ``docs/upstream/``, one after the other, on one copy."""
    from labsupport.production import spec_probes

    for package in ("engineio", "socketio"):
        installed = Path(importlib.util.find_spec(package).origin).parent
        shutil.copytree(installed, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    for patch in sorted(PATCHES.glob("python-*.patch")):
        done = subprocess.run(["patch", "-p2", "-d", str(tmp_path), "--forward"],
                              input=source_part(patch.read_text()), text=True,
                              capture_output=True)  # fmt: skip
        assert done.returncode == 0, patch.name + done.stdout + done.stderr
    rows = [(requirement, suite) for _, requirement, suite in PROBED]
    rows += [("a polling POST's answer", False), ("CONNECT_ERROR's message for an unknown "
                                                  "namespace", False)]  # fmt: skip
    for suite in (False, True):
        table = spec_probes.SUITE_EXPECTED if suite else spec_probes.EXPECTED
        server = serve_patched(tmp_path, suite)
        try:
            for requirement in [r for r, s in rows if s == suite]:
                probe, *_, node = table[requirement]
                assert probe(server.url) == node, requirement
        finally:
            server.stop()
