"""Ask the official socket.io JavaScript client (under Node) to act, and report what it saw.

- ``connect``: notebook 04 compares what the Python and JavaScript clients show when
  the server refuses a namespace (``js/connect.mjs``);
- ``burst``: notebook 03 (section 8) emits a burst of events over polling and asks the
  server how many arrived (``js/burst.mjs``).

The client library comes from ``node_modules/`` (``npm ci``).
"""

import json
import shutil
import subprocess
from pathlib import Path

SCRIPTS = Path(__file__).parent / "js"


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


def _run(script, argv, timeout):
    if shutil.which("node") is None:
        raise FileNotFoundError("node is not installed: run the README set-up")
    argv = ["node", str(SCRIPTS / script), *argv]
    result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0 or not result.stdout.strip():
        raise RuntimeError(f"the JavaScript client failed: {result.stderr.strip()[-500:]}")
    return json.loads(result.stdout.splitlines()[-1])
