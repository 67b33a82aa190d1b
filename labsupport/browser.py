"""A real browser, headless: Chromium opening one of the course's pages.

In JupyterLab the notebook shows the page in an IFrame, and *your* browser is the
client. But a notebook that is run without anyone looking (by the tests, or with
nbval) needs a browser too, so notebook 03 also opens the page in headless Chromium,
started as a process like any server (``processes.py``).

Chromium prints ``DevTools listening on ws://...`` once it is up, which is the ready
line ``processes`` waits for. The flags keep it quiet and offline: no first-run
screens, no background connections to the Internet, a fresh profile each time: a
folder of its own (``tempfile.mkdtemp``), so two kernels on one machine never share
one, removed when the browser is stopped.
"""

import shutil
import sys
import tempfile
from pathlib import Path

from .processes import start_process

FLAGS = [
    "--headless",
    "--no-sandbox",  # needed when running as root (as CI does)
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",  # makes Chromium print its ready line
]
CANDIDATES = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable",
              "/Applications/Chromium.app/Contents/MacOS/Chromium",
              "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"]  # fmt: skip


def find_chromium():
    """The path of a Chromium or Chrome executable, or None."""
    for candidate in CANDIDATES:
        found = shutil.which(candidate) or (candidate if Path(candidate).exists() else None)
        if found:
            return found
    return None


def open_page(url, name="browser"):
    """Open ``url`` in headless Chromium, as the process called ``name``."""
    chromium = find_chromium()
    if chromium is None:
        fix = (
            "brew install --cask chromium"
            if sys.platform == "darwin"
            else "apt-get install chromium"
        )
        raise FileNotFoundError(f"no Chromium or Chrome found: {fix} (or run the README set-up)")
    profile = tempfile.mkdtemp(prefix=f"labsupport-chromium-{name}-")  # nothing remembered
    try:
        process = start_process(name, [chromium, *FLAGS, f"--user-data-dir={profile}", url])
    except BaseException:
        shutil.rmtree(profile, ignore_errors=True)
        raise
    process.folders.append(profile)
    return process
