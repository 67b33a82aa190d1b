"""Probes of a socket.io server against the Engine.IO v4 and Socket.IO v5 specifications.

Written here from the specifications. Notebook 08 (section 7) prints their table with
``conformance``; ``tests/test_spec_engineio.py`` and ``tests/test_spec_socketio.py``
hold every server to it. Each probe talks to a server with raw HTTP requests or a raw
WebSocket (or the official JavaScript client, under Node) and returns a short outcome,
the same words for every server. Four servers answer the same probes:

- ``plain``: python-socketio as it comes, attached to an aiohttp app;
- ``course``: the same server through the course's guard (``lab/guard.py``);
- ``fastpath``: the course's server on the benchmark's fast path (``bench/fast_socket.py``:
  python-engineio's WebSocket loop with fewer task hops and timers), its handlers run in
  the connection's task as the benchmark runs them;
- ``node``: socket.io 4.8's server for Node (``tests/js/reference_server.mjs``).

``EXPECTED`` is the conformance table; ``python -m labsupport.production.spec_probes``
measures it again and prints it. Timeouts are ``TIMEOUT`` seconds (``SPEC_TIMEOUT``,
default 1).
"""

import collections
import functools
import json
import logging
import os
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import engineio
import requests
import socketio
import websocket

from labsupport.lab import guard, jsclient, processes, registry, servers
from labsupport.production import benchmark, tuned

ROOT = Path(__file__).resolve().parent.parent.parent  # the course folder
TIMEOUT = float(os.environ.get("SPEC_TIMEOUT", 1))  # CONNECT and upgrade timeouts, seconds
PING_INTERVAL, PING_TIMEOUT = 5, 5  # seconds: no ping gets in the way of a probe
MAX_PAYLOAD = 10_000  # bytes per request (Engine.IO's maxPayload)
SYSTEMS = ["plain", "course", "fastpath", "node"]
# The official suites' settings (their READMEs): pings 300 ms then 200 ms, maxPayload 1e6.
QUIET = logging.getLogger("labsupport.spec_probes.server")  # the probed servers' own logs
QUIET.addHandler(logging.NullHandler())  # plain python-socketio logs a traceback per probe
QUIET.propagate = False
SILENT = {"logger": QUIET, "engineio_logger": QUIET}
SUITE_SETTINGS = {"ping_interval": 0.3, "ping_timeout": 0.2, "max_http_buffer_size": 1_000_000,
                  "cors_allowed_origins": "*"}  # fmt: skip


@functools.cache
def fast_socket():
    """The module ``bench/fast_socket.py``, loaded once (``bench/`` is not a package)."""
    return benchmark.bench_module("fast_socket")


def spec_server(server_class=socketio.AsyncServer, **options):
    """The events every probe server answers: ``count`` adds one, ``tally`` acknowledges
    how many arrived on that connection."""
    options = {"ping_interval": PING_INTERVAL, "ping_timeout": PING_TIMEOUT,
               "max_http_buffer_size": MAX_PAYLOAD, **options}  # fmt: skip
    sio = server_class(async_mode="aiohttp", **options)
    counted = collections.Counter()  # sid -> events counted on that connection

    @sio.event
    async def count(sid, n=None):
        counted[sid] += 1

    @sio.event
    async def tally(sid):
        return counted[sid]

    return sio


def start(system, **options):
    """Start ``system`` outside the registry (tests that stop all servers leave it); return it."""
    if system == "node":
        env = {"PING_INTERVAL": str(options.get("ping_interval", PING_INTERVAL) * 1000),
               "PING_TIMEOUT": str(PING_TIMEOUT * 1000), "MAX_PAYLOAD": str(MAX_PAYLOAD),
               "CONNECT_TIMEOUT": str(int(TIMEOUT * 1000)),
               "UPGRADE_TIMEOUT": str(int(TIMEOUT * 1000))}  # fmt: skip
        argv = ["node", str(ROOT / "tests" / "js" / "reference_server.mjs")]
        server = processes.start_process(f"spec-{system}", argv, env=env)
    elif system in ("course", "fastpath"):
        fast = {"server_class": fast_socket().FastPathServer, "async_handlers": False}
        sio = spec_server(**(fast if system == "fastpath" else {}), **options)
        guard.guard(sio, connect_timeout=TIMEOUT, upgrade_timeout=TIMEOUT)
        server = servers.serve_socketio(sio, name=f"spec-{system}")
    else:
        app = servers.web.Application()
        spec_server(**options).attach(app)  # python-socketio as it comes: no guard
        server = servers.serve_app(app, name=f"spec-{system}")
    registry.forget(server.name, server)
    return server


class Polling:
    """One Engine.IO session over HTTP long-polling, spoken with raw requests."""

    def __init__(self, url):
        self.url = url
        reply = requests.get(f"{url}/socket.io/?EIO=4&transport=polling", timeout=5)
        self.handshake = json.loads(reply.text[1:])  # after the OPEN packet type "0"
        self.path = f"{url}/socket.io/?EIO=4&transport=polling&sid={self.handshake['sid']}"

    def post(self, body, timeout=5):
        """POST ``body``; the response, or None if none came in ``timeout`` s."""
        try:
            return requests.post(self.path, data=body, timeout=timeout,
                                 headers={"Content-Type": "text/plain;charset=UTF-8"})  # fmt: skip
        except requests.exceptions.ReadTimeout:
            return None

    def get(self, timeout=5):
        """One GET poll: its response, or None if it was still waiting after ``timeout`` s."""
        try:
            return requests.get(self.path, timeout=timeout)
        except requests.exceptions.ReadTimeout:
            return None

    def connect(self):
        """CONNECT to "/" and collect the answer."""
        assert self.post("40").status_code == 200
        return self.get().text

    def closed_within(self, seconds):
        """True if the server ends the session within ``seconds`` (pings answered)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            reply = self.get(timeout=left)
            if reply is None:
                return False  # the poll is still waiting: the session is open
            if reply.status_code == 400 or "1" in reply.text.split("\x1e"):
                return True  # unknown session, or the CLOSE packet
            if "2" in reply.text.split("\x1e"):
                self.post("3")
        return False


def raw_websocket(url, sid=None):
    """A raw WebSocket on the Engine.IO path; a new session unless ``sid`` is given."""
    path = url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"
    ws = websocket.create_connection(path + (f"&sid={sid}" if sid else ""), timeout=5,
                                     suppress_origin=True)  # fmt: skip
    if sid is None:
        assert ws.recv().startswith("0{")  # the Engine.IO handshake
    return ws


def ws_closed_within(ws, seconds):
    """True once the server closes ``ws`` within ``seconds`` (answering its pings)."""
    deadline = time.monotonic() + seconds
    try:
        while (left := deadline - time.monotonic()) > 0:
            ws.settimeout(left)
            frame = ws.recv()
            if frame == "" or frame.startswith("1"):
                return True
            if frame == "2":
                ws.send("3")
    except (websocket.WebSocketConnectionClosedException, ConnectionError):
        return True
    except websocket.WebSocketTimeoutException:
        return False
    return False


# The probes: each returns an outcome, in the words of the table below.


def handshake_fields(url):
    fields = Polling(url).handshake
    kinds = {"sid": str, "upgrades": list, "pingInterval": int, "pingTimeout": int,
             "maxPayload": int}  # fmt: skip
    complete = all(isinstance(fields.get(k), t) for k, t in kinds.items())
    exact = (fields.get("pingInterval"), fields.get("maxPayload")) == (
        PING_INTERVAL * 1000,
        MAX_PAYLOAD,
    )
    return "complete, exact" if complete and exact else f"wrong: {fields}"


def js_burst(url, count=40, transport="polling", size=0):
    """The official client emits ``count`` events in a burst; how many arrived, told?

    Each event carries ``size`` characters; the client splits its POSTs at maxPayload.
    """
    seen = jsclient.burst(url, count, transport, size)
    told = "told" if seen["told"] or seen.get("error") else "not told"
    arrived = seen["tally"]  # the first emit leaves alone, so 1 (0 if it waits too)
    shown = "at most 1" if arrived is not None and arrived <= 1 < count else arrived
    return f"{shown} of {count}, {told}"


def many_in_one_post(url, count=100):
    """``count`` events in one POST (well under maxPayload): how many reach a handler?"""
    session = Polling(url)
    session.connect()
    reply = session.post("\x1e".join(['42["count"]'] * count))
    session.post('421["tally"]')
    answer = session.get().text  # 431[N]: the tally's acknowledgement
    return f"{json.loads(answer[3:])[0]} of {count}, status {reply.status_code}"


def oversized_post(url):
    session = Polling(url)
    session.connect()
    reply = session.post("4" + "x" * MAX_PAYLOAD, timeout=3)
    return "no answer" if reply is None else str(reply.status_code)


def invalid_packet(url, bad, transport="websocket", connect="40"):
    """Send ``bad`` after ``connect``: is the session closed at once (within 1 s)?"""
    if transport == "polling":
        session = Polling(url)
        session.connect()
        session.post(bad)
        return "closed" if session.closed_within(1 + TIMEOUT) else "open"
    ws = raw_websocket(url)
    ws.send(connect)
    assert ws.recv().startswith("40")
    ws.send(bad)
    return "closed" if ws_closed_within(ws, 1 + TIMEOUT) else "open"


def no_connect(url):
    """A session that answers pings but never sends CONNECT: closed after TIMEOUT?"""
    ws = raw_websocket(url)
    started = time.monotonic()
    closed = ws_closed_within(ws, 2 * TIMEOUT + 1.5)
    return (
        f"closed after about {TIMEOUT:g} s"
        if closed and (time.monotonic() - started >= TIMEOUT * 0.9)
        else "open"
        if not closed
        else "too soon"
    )


def unfinished_upgrade(url):
    """Probe the upgrade (2probe, 3probe) and never send 5: is the WebSocket closed?"""
    session = Polling(url)
    session.connect()
    ws = raw_websocket(url, session.handshake["sid"])
    ws.send("2probe")
    assert ws.recv() == "3probe"
    if not ws_closed_within(ws, 2 * TIMEOUT + 1.5):
        return "open"
    session.post('421["tally"]')  # does the session still work over polling?
    replies = [session.get(timeout=2) for _ in range(3)]
    texts = [r.text for r in replies if r is not None and r.status_code == 200]
    return "closed, polling goes on" if any("431[" in t for t in texts) else "closed, session gone"


def duplicate_poll(url):
    """A second GET while the first waits: refused with 400, and the session closed?"""
    session = Polling(url)
    session.connect()
    first = {}
    waiting = threading.Thread(target=lambda: first.update(reply=session.get(timeout=3)))
    waiting.start()
    time.sleep(0.3)  # let the first poll reach the server: it waits (nothing to send)
    second = session.get(timeout=2)
    waiting.join()
    # On a busy machine the second may overtake the first: either one may be refused.
    if not any(r is not None and r.status_code == 400 for r in (first["reply"], second)):
        return "not refused"
    return "400, closed" if session.closed_within(1) else "400, left open"


def overlapping_post(url):
    """A second POST while the first is still sending its body: refused with 400, closed?"""
    session = Polling(url)
    session.connect()
    port, path = int(url.rsplit(":", 1)[1]), session.path.split(url, 1)[1]
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/plain\r\n"
            f"Content-Length: 11\r\n\r\n42")  # fmt: skip
    with socket.create_connection(("127.0.0.1", port), timeout=5) as first:
        first.sendall(head.encode())  # 2 of its 11 bytes: the POST is under way
        time.sleep(0.5)  # let the server start reading it
        second = session.post('42["count"]', timeout=2)
        first.sendall(b'["count"]')
    if second is None or second.status_code != 400:
        return "not refused"
    return "400, closed" if session.closed_within(1) else "400, left open"


def subsecond_ping(system, **options):
    """A 0.5 s ping interval: advertised as 500 ms, or refused?"""
    try:
        server = start(system, ping_interval=0.5, **options)
    except ValueError:
        return "refused (ValueError)"
    try:
        return f"advertised {Polling(server.url).handshake['pingInterval']} ms"
    finally:
        server.stop()


def unknown_namespace(url):
    """CONNECT to a namespace the server does not have: what does CONNECT_ERROR carry?"""
    session = Polling(url)
    assert session.post("40/nope,").status_code == 200
    answer = session.get().text  # 44/nope,<data>
    data = json.loads(answer[len("44/nope,") :])
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return "an object with a message"
    return f"a {type(data).__name__}"


def no_transport(url, method="GET", query="EIO=4"):
    """A request on the Engine.IO path without ``transport`` (or with another method)."""
    return str(requests.request(method, f"{url}/socket.io/?{query}", timeout=5).status_code)


def post_answer(url):
    """What a polling POST is answered, in the body."""
    return repr(Polling(url).post("3").text)


def close_while_polling(url):
    """A CLOSE posted while a GET waits: the GET's answer, then a new GET's status."""
    session = Polling(url)
    waiting = {}
    poll = threading.Thread(target=lambda: waiting.update(reply=session.get(timeout=3)))
    poll.start()
    time.sleep(0.3)  # let the GET reach the server and wait there
    session.post("1")
    poll.join()
    reply = waiting["reply"]
    first = "no answer" if reply is None else f"{reply.status_code} {reply.text!r}"
    after = session.get(timeout=2)
    return f"{first}, then {'no answer' if after is None else after.status_code}"


def upgraded_websocket(url, sid):
    """A WebSocket that upgrades the polling session ``sid``: 2probe, 3probe, then 5."""
    ws = raw_websocket(url, sid)
    ws.send("2probe")
    assert ws.recv() == "3probe"
    ws.send("5")
    return ws


def first_frame_after_upgrade(url):
    """Upgrade a connected session (no GET waiting), send an event: what comes first?"""
    session = Polling(url)
    session.connect()
    ws = upgraded_websocket(url, session.handshake["sid"])
    ws.send('421["tally"]')
    frame = ws.recv()
    while frame == "2":  # a ping: answer it, it is not what this probe looks at
        ws.send("3")
        frame = ws.recv()
    return (
        "a NOOP `6`"
        if frame == "6"
        else "the acknowledgement"
        if frame.startswith("431")
        else frame
    )


def second_websocket(url):
    """A second WebSocket for a session already upgraded: refused, or accepted and closed?"""
    session = Polling(url)
    session.connect()
    first = upgraded_websocket(url, session.handshake["sid"])
    try:
        second = raw_websocket(url, session.handshake["sid"])
    except websocket.WebSocketBadStatusException as refused:
        outcome = f"refused ({refused.status_code})"
    else:
        outcome = "accepted, closed at once" if ws_closed_within(second, 1) else "accepted, open"
    first.send('421["tally"]')  # the first one still works
    while (frame := first.recv()) in ("2", "6"):  # a ping (answered) or a NOOP (skipped)
        if frame == "2":
            first.send("3")
    return outcome if frame.startswith("431") else f"{outcome}, the first one broken"


def connect_error_message(url):
    """CONNECT to a namespace the server does not have: the CONNECT_ERROR's message."""
    session = Polling(url)
    session.post("40/nope,")
    data = json.loads(session.get().text[len("44/nope,") :])
    return data["message"] if isinstance(data, dict) else "a bare string"


EXPECTED = {  # requirement: (probe, plain python-socketio, course, course + fast path, Node)
    "handshake fields (sid, upgrades, pingInterval, pingTimeout, maxPayload)":
        (handshake_fields, "complete, exact", *["complete, exact"] * 3),
    "40 events over polling from the official JS client":
        (js_burst, "at most 1 of 40, not told", *["40 of 40, not told"] * 3),
    "400 events of 100 bytes over polling (4 times maxPayload)":
        (lambda url: js_burst(url, 400, size=100), "at most 1 of 400, not told",
         *["400 of 400, not told"] * 3),
    "100 events in one POST":
        (many_in_one_post, "0 of 100, status 200", *["100 of 100, status 200"] * 3),
    "a POST over maxPayload": (oversized_post, "no answer", "413", "413", "413"),
    "invalid packet `4abc`":
        (lambda url: invalid_packet(url, "4abc"), "open", *["closed"] * 3),
    "invalid packet `42{}`":
        (lambda url: invalid_packet(url, "42{}"), "open", *["closed"] * 3),
    "invalid packet `42abc[`":
        (lambda url: invalid_packet(url, "42abc["), "open", *["closed"] * 3),
    "Engine.IO packet of unknown type `9`":
        (lambda url: invalid_packet(url, "9"), "open", *["closed"] * 3),
    "Engine.IO PING `2` from the client":
        (lambda url: invalid_packet(url, "2"), "open", *["closed"] * 3),
    "Engine.IO NOOP `6` from the client (ignored)":
        (lambda url: invalid_packet(url, "6"), *["open"] * 4),
    "invalid packet `42{}` over polling":
        (lambda url: invalid_packet(url, "42{}", "polling"), "open", *["closed"] * 3),
    f"no CONNECT within {TIMEOUT:g} s":
        (no_connect, "open", *[f"closed after about {TIMEOUT:g} s"] * 3),
    f"upgrade not finished within {TIMEOUT:g} s":
        (unfinished_upgrade, "open", *["closed, polling goes on"] * 3),
    "a second GET poll while one waits":
        (duplicate_poll, "not refused", *["400, closed"] * 3),
    "a second POST while one is under way":
        (overlapping_post, "not refused", *["400, closed"] * 3),
    "CONNECT_ERROR for an unknown namespace":
        (unknown_namespace, "a str", *["an object with a message"] * 3),
    "CONNECT_ERROR's message for an unknown namespace":
        (connect_error_message, "a bare string", *["Invalid namespace"] * 3),
    "a request without `transport`": (no_transport, "200", *["400"] * 3),
    "a PUT on the Engine.IO path":
        (lambda url: no_transport(url, "PUT", "EIO=4&transport=polling"), "405", *["400"] * 3),
    "a polling POST's answer": (post_answer, "'OK'", *["'ok'"] * 3),
    "a CLOSE posted while a GET waits":
        (close_while_polling, "no answer, then 400", *["200 '6', then 400"] * 3),
    "the first frame over the WebSocket after an upgrade":
        (first_frame_after_upgrade, "a NOOP `6`", *["the acknowledgement"] * 3),
    "a second WebSocket for an upgraded session":
        (second_websocket, "refused (400)", *["accepted, closed at once"] * 3),
}  # fmt: skip

# Probes that need the pings of the official suites (300 ms, then 200 ms to answer): they
# run against ``suite_server(system, "socket.io")``.
SUITE_PING = SUITE_SETTINGS["ping_interval"] + SUITE_SETTINGS["ping_timeout"]


def poll_after_ping_timeout(url):
    """Open a session, answer nothing for interval + timeout (and a little): next GET?"""
    session = Polling(url)
    time.sleep(SUITE_PING + 0.1)
    reply = session.get(timeout=2)
    return "no answer" if reply is None else f"{reply.status_code}"


def upgrade_with_pings_unanswered(url):
    """2probe, 3probe, then silence (no 5, no poll, no PONG): closed at the ping timeout?"""
    session = Polling(url)
    ws = raw_websocket(url, session.handshake["sid"])
    ws.send("2probe")
    assert ws.recv() == "3probe"
    started = time.monotonic()
    try:
        ws.settimeout(3)
        while ws.recv() not in ("",):
            pass
    except websocket.WebSocketTimeoutException:
        return "open after 3 s"
    except (websocket.WebSocketConnectionClosedException, ConnectionError):
        pass
    took = time.monotonic() - started
    return (
        f"closed within {SUITE_PING * 4:g} s"
        if took < SUITE_PING * 4
        else f"closed after {took:.1f} s"
    )


SUITE_EXPECTED = {  # requirement: (probe, plain, course, fast path, Node); "a or b": either
    "a GET after the ping timeout, the ping unanswered":
        (poll_after_ping_timeout, "200 or 400", *["400"] * 3),  # plain: its service task's turn
    "an upgrade left after `3probe`, pings unanswered":
        (upgrade_with_pings_unanswered, "open after 3 s",
         *[f"closed within {SUITE_PING * 4:g} s"] * 3),
}  # fmt: skip
SUBSECOND = (
    "pingInterval of 0.5 s",
    "advertised 0 ms",
    "advertised 500 ms",
    "advertised 500 ms",
    "advertised 500 ms",
)


# The official suites (the ``test-suite/`` folders of socketio/engine.io-protocol and
# socketio/socket.io-protocol, run with their own npm packages: docs/upstream.md) want a
# server set up as their READMEs say. ``suite_server`` starts one for each system.

NODE_SUITE_SERVERS = {  # the READMEs' servers, as programs printing the ready line
    "engine.io": """
const { attach } = require("engine.io");
const http = createServer();
const server = attach(http, { pingInterval: 300, pingTimeout: 200, maxPayload: 1e6,
                               cors: { origin: "*" } });
server.on("connection", (socket) => socket.on("data", (...args) => socket.send(...args)));
""",
    "socket.io": """
const { Server } = require("socket.io");
const http = createServer();
const io = new Server(http, { pingInterval: 300, pingTimeout: 200, maxPayload: 1e6,
                              connectTimeout: 1000, cors: { origin: "*" } });
io.on("connection", (socket) => {
  socket.emit("auth", socket.handshake.auth);
  socket.on("message", (...args) => socket.emit("message-back", ...args));
  socket.on("message-with-ack", (...args) => { const ack = args.pop(); ack(...args); });
});
io.of("/custom").on("connection", (socket) => socket.emit("auth", socket.handshake.auth));
""",
}
REQUIRE = """
import { createRequire } from "node:module";
import { createServer } from "node:http";
const require = createRequire(process.env.COURSE_ROOT + "/package.json");
"""
LISTEN = """
http.listen(0, "127.0.0.1", () =>
  console.log(`listening on http://127.0.0.1:${http.address().port}`));
process.on("SIGTERM", () => process.exit(0));
"""


def suite_socketio(server_class=socketio.AsyncServer, **options):
    """The socket.io suite's server: ``auth`` echoed on connect, ``message`` sent back,
    ``message-with-ack`` acknowledged with its arguments, and a ``/custom`` namespace.

    ``always_connect``: the CONNECT answer goes out before the connect handler runs, so
    that "auth" follows it, as Node orders them (an application's choice, not a rule)."""
    sio = server_class(async_mode="aiohttp", always_connect=True,
                       **{**SUITE_SETTINGS, **options})  # fmt: skip

    for namespace in ("/", "/custom"):

        async def hello(sid, environ, auth=None, namespace=namespace):
            await sio.emit("auth", auth or {}, to=sid, namespace=namespace)

        sio.on("connect", hello, namespace=namespace)

    @sio.event
    async def message(sid, *args):
        await sio.emit("message-back", args, to=sid)

    sio.on("message-with-ack", lambda sid, *args: args)
    return sio


def suite_server(system, suite, compression=False, **logging):
    """Start ``system`` set up for the official ``suite`` ("engine.io" or "socket.io").

    The course's servers decline WebSocket compression (``tuned.decline_compression``),
    as Node's server does by default. ``compression=True`` leaves aiohttp to accept it,
    as python-socketio does: Node's ``ws`` client then compresses every frame, in
    zlib's thread pool, and two upgrade tests race (docs/upstream.md). ``logging``:
    python-socketio's ``logger`` and ``engineio_logger`` (``SILENT``, say)."""
    name = f"suite-{suite}-{system}"
    if system == "node":
        program = REQUIRE + NODE_SUITE_SERVERS[suite] + LISTEN
        argv = ["node", "--input-type=module", "-e", program]
        server = processes.start_process(name, argv, env={"COURSE_ROOT": str(ROOT)})
        registry.forget(server.name, server)
        return server
    fast = {"server_class": fast_socket().FastPathServer, "async_handlers": False}
    options = {**(fast if system == "fastpath" else {}), **logging}
    declined = [] if compression or system == "plain" else [tuned.decline_compression]
    app = servers.web.Application(middlewares=declined)
    if suite == "socket.io":
        sio = suite_socketio(**options)
        if system == "plain":
            sio.attach(app)
        else:
            guard.attach(sio, app, connect_timeout=1)  # the suite's connectTimeout
    elif system == "plain":  # python-engineio as it comes, echoing every message
        eio = engineio.AsyncServer(async_mode="aiohttp", **SUITE_SETTINGS,
                                   logger=logging.get("engineio_logger", False))  # fmt: skip

        @eio.on("message")
        async def echo(sid, data):
            await eio.send(sid, data)

        eio.attach(app, engineio_path="engine.io")
    else:  # the course's Engine.IO layer (its guard), with an echo in place of Socket.IO
        sio = (options.pop("server_class", socketio.AsyncServer))(
            async_mode="aiohttp", **SUITE_SETTINGS, **options
        )
        checks = guard.guard(sio)
        checks.received = lambda sid, data: sio.eio.send(sid, data)
        sio.attach(app, socketio_path="engine.io")
        guard.guard_app(app)
    server = servers.serve_app(app, name=name)
    registry.forget(server.name, server)
    return server


NAMES = {"plain": "plain python-socketio", "course": "course server",
         "fastpath": "course + fast path", "node": "Node"}  # fmt: skip


def conformance(systems=SYSTEMS, workers=4):
    """Every probe on each of ``systems``: {requirement: {system: outcome}}, in table order.

    The rows of ``EXPECTED``, the sub-second ping interval, then those that need the
    official suites' pings. The servers log nothing (``SILENT``); ``workers`` probes run
    at a time, each on a session of its own, so a probe that waits for a close that never
    comes (2 or 3 s) does not hold up the rest."""
    running = {system: start(system, **SILENT) for system in systems}
    running |= {(system, "suite"): suite_server(system, "socket.io", **SILENT)
                for system in systems}  # fmt: skip
    jobs = {(requirement, system): (probe, running[system].url)
            for requirement, (probe, *_) in EXPECTED.items() for system in systems}  # fmt: skip
    jobs |= {(SUBSECOND[0], system): (lambda s: subsecond_ping(s, **SILENT), system)
             for system in systems}  # fmt: skip
    jobs |= {(need, system): (probe, running[system, "suite"].url)
             for need, (probe, *_) in SUITE_EXPECTED.items() for system in systems}  # fmt: skip
    try:
        with ThreadPoolExecutor(workers) as pool:
            done = {key: pool.submit(*job) for key, job in jobs.items()}
            results = {}
            for (requirement, system), future in done.items():
                results.setdefault(requirement, {})[system] = future.result()
    finally:
        for server in running.values():
            server.stop()
    return results


def expected(requirement, system):
    """The outcome ``requirement`` has on ``system`` in the tables ("a or b": either)."""
    table = {**EXPECTED, **SUITE_EXPECTED, SUBSECOND[0]: (None, *SUBSECOND[1:])}
    return table[requirement][1 + SYSTEMS.index(system)]


def as_markdown(results):
    """``conformance``'s results as a Markdown table, a row per requirement."""
    systems = list(next(iter(results.values())))
    rows = ["| the specification asks | " + " | ".join(NAMES[s] for s in systems) + " |",
            "|---" * (1 + len(systems)) + "|"]  # fmt: skip
    for requirement, seen in results.items():
        rows.append(f"| {requirement} | " + " | ".join(seen.values()) + " |")
    return "\n".join(rows)


def table():
    """Measure every probe on the four servers; the Markdown table of what happened."""
    return as_markdown(conformance(SYSTEMS))


def measured_and_expected(requirement, system, url):
    """(what the probe of ``requirement`` measured on ``system`` at ``url``, the table's value)."""
    probe, *expected = EXPECTED[requirement]
    return probe(url), expected[SYSTEMS.index(system)]


if __name__ == "__main__":
    print(table())
