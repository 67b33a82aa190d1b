"""Ask the official socket.io JavaScript client (under Node) to connect, and report what it saw.

Notebook 04 uses it to compare what the Python and JavaScript clients show when the
server refuses a namespace. It runs ``js/connect.mjs`` with Node; the client library
comes from ``node_modules/`` (``npm ci``).
"""

import json
import shutil
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).parent / "js" / "connect.mjs"


def connect(url, namespace="/", auth=None, timeout=20):
    """Return ``{"connected": bool, "message": ...}`` as the JavaScript client reported it."""
    if shutil.which("node") is None:
        raise FileNotFoundError("node is not installed: run the README set-up")
    argv = ["node", str(SCRIPT), url, namespace]
    if auth is not None:
        argv.append(json.dumps(auth))
    result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0 or not result.stdout.strip():
        raise RuntimeError(f"the JavaScript client failed: {result.stderr.strip()[-500:]}")
    return json.loads(result.stdout.splitlines()[-1])
