"""Where the course's own files are: the course folder, and what ``./course setup`` put there.

Every path is found from this file's place on disk, never from the folder a notebook
happens to run in, so a notebook opened from anywhere (JupyterLab's file browser, a
JupyterHub home, ``./course grade`` in a temporary folder) finds the same files.
Notebook 02 (section 3) hands ``NODE_MODULES`` to Node so that its WebSocket server
finds the ``ws`` package; ``webpage``, ``jsclient`` and ``admin_ui`` serve and run the
official JavaScript packages from the same folder.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]  # the course folder: README.md is here
NODE_MODULES = ROOT / "node_modules"  # socket.io-client, ws, the Admin UI (npm ci)
BROWSER_CLIENT = NODE_MODULES / "socket.io-client"
BENCH = ROOT / "bench"  # the benchmark's load client and servers (notebook 08)
