"""Ask the official socket.io JavaScript client (under Node) to act, and report what it saw.

- ``connect``: notebook 04 compares what the Python and JavaScript clients show when
  the server refuses a namespace (``js/connect.mjs``);
- ``burst``: notebook 03 (section 8) emits a burst of events over polling and asks the
  server how many arrived (``js/burst.mjs``);
- ``OutageClient``: notebook 05 drives one client through an outage
  (``js/outage_client.mjs``), to watch connection state recovery.

Node runs them; the client library comes from ``node_modules/`` (``npm ci``).
"""

import json
import queue
import subprocess
import threading
from pathlib import Path

from labsupport.lab.doctor import find_program
from labsupport.lab.paths import ROOT

SCRIPTS = Path(__file__).parent / "js"
OUTAGE_SCRIPT = SCRIPTS / "outage_client.mjs"


def connect(url, namespace="/", auth=None, timeout=20):
    """Return ``{"connected": bool, "message": ...}`` as the JavaScript client reported it."""
    argv = [url, namespace] + ([json.dumps(auth)] if auth is not None else [])
    return _run("connect.mjs", argv, timeout)


def burst(url, count=40, transport="polling", size=0, timeout=30):
    """Emit ``count`` events named ``count`` (``size`` characters each), then ask ``tally``.

    Returns ``{"sent": count, "tally": what the server counted, "told": [...]}``; ``told``
    lists what the client heard of trouble (a disconnection), ``error`` a failed ``tally``.
    """
    return _run("burst.mjs", [url, str(count), transport, str(size)], timeout)


def node():
    """The ``node`` program, or a clear error saying how to get it."""
    program = find_program("node")
    if program is None:
        raise FileNotFoundError("node is not installed: run the README set-up")
    return program


def _run(script, argv, timeout):
    argv = [node(), str(SCRIPTS / script), *argv]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0 or not result.stdout.strip():
        raise RuntimeError(f"the JavaScript client failed: {result.stderr.strip()[-500:]}")
    return json.loads(result.stdout.splitlines()[-1])


class OutageClient:
    """The official client in a Node process that you can cut off and bring back.

    ``send("join ROOM" | "cut" | "reconnect")``; ``next(key)`` waits for the next thing the
    client reports that has ``key`` (``"connected"``, ``"event"``, ``"joined"``) and also
    returns what it reported before it. ``close()`` ends the process.
    """

    def __init__(self, url):
        self.process = subprocess.Popen([node(), str(OUTAGE_SCRIPT), url], cwd=ROOT, text=True,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE)  # fmt: skip
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.put(json.loads(line))

    def send(self, command):
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()

    def next(self, key, timeout=10):
        """(the next report with ``key``, the reports before it)."""
        before = []
        while True:
            report = self.lines.get(timeout=timeout)
            if key in report:
                return report, before
            before.append(report)

    def close(self):
        if self.process.poll() is None:
            self.send("quit")
            self.process.wait(timeout=10)
