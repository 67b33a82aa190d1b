"""The official socket.io JavaScript client (under Node) talks to a course server.

Emit with acknowledgement, a broadcast received, and a refused connection's message;
on python-engineio's WebSocket loop and on the benchmark's fast path.
"""

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import socketio

from labsupport.lab import servers
from labsupport.production import spec_probes

ROOT = Path(__file__).parent.parent
SCRIPT = Path(__file__).parent / "js" / "official_client.mjs"


@pytest.fixture(params=["python-engineio's loop", "the benchmark's fast path"])
def server(request):
    """The same server on python-engineio's WebSocket loop and on ``bench/fast_socket.py``'s."""
    if request.param == "python-engineio's loop":
        sio = socketio.AsyncServer(async_mode="aiohttp")
    else:
        sio = spec_probes.fast_socket().FastPathServer(async_mode="aiohttp", async_handlers=False)
    names = {}

    @sio.event
    async def connect(sid, environ, auth):
        if not (auth or {}).get("name"):
            raise socketio.exceptions.ConnectionRefusedError("say who you are")
        names[sid] = auth["name"]

    @sio.event
    async def add(sid, numbers):
        return sum(numbers)

    @sio.event
    async def ready(sid):
        await sio.emit("news", f"{names[sid]} is ready")  # to everyone

    yield servers.serve_socketio(sio, name="js-test")
    servers.stop_all()


def run_node(*args):
    assert shutil.which("node"), "node is installed by the README set-up"
    result = subprocess.run(["node", str(SCRIPT), *args], capture_output=True, text=True,
                            timeout=30, cwd=ROOT)  # fmt: skip
    return [json.loads(line) for line in result.stdout.splitlines()], result


def test_emit_with_ack_and_a_broadcast(server):
    lines, result = run_node(server.url, "node-client")
    assert lines == [{"connected": True}, {"ack": 6}, {"news": "node-client is ready"}], result
    assert result.returncode == 0


def test_a_refused_connection_shows_the_servers_message(server):
    lines, _ = run_node(server.url, "")
    assert lines == [{"connect_error": "say who you are"}]
