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

Where there is no browser that can run (Colab; Binder and other containers, where
Ubuntu's ``chromium`` is only a stub that installs a snap), ``open_page`` raises
``NoBrowser``, which says so and what to do; nothing else in the notebook needs it.
"""

import functools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from labsupport.lab.processes import start_process

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


class NoBrowser(FileNotFoundError):
    """No Chromium or Chrome that runs on the kernel's machine."""


def runs(program):
    """Does ``program --version`` answer like a Chromium? (A snap stub answers with an error.)"""
    try:
        result = subprocess.run([program, "--version"], capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return False
    return result.returncode == 0 and "chrom" in result.stdout.lower()


@functools.cache
def find_chromium():
    """The path of a Chromium or Chrome executable that runs, or None."""
    for candidate in CANDIDATES:
        found = shutil.which(candidate) or (candidate if Path(candidate).exists() else None)
        if found and runs(found):
            return found
    return None


def why_no_browser():
    """What to tell the learner when ``find_chromium()`` found nothing."""
    if "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ:
        return ("this kernel runs on Colab, whose machine has no browser to start: skip the "
                "headless-browser cells")  # fmt: skip
    stubs = [shutil.which(c) for c in CANDIDATES[:3] if shutil.which(c)]
    if stubs:
        return (f"{stubs[0]} is there but does not run (on Ubuntu it is a stub for the snap, "
                "which cannot run in a container such as Binder's): skip the headless-browser "
                "cells, or install Debian's or Google's Chromium")  # fmt: skip
    if sys.platform == "darwin":
        return "no Chromium or Chrome found: brew install --cask chromium"
    return "no Chromium or Chrome found: apt-get install chromium (or run the README set-up)"


def open_page(url, name="browser"):
    """Open ``url`` in headless Chromium, as the process called ``name``."""
    chromium = find_chromium()
    if chromium is None:
        raise NoBrowser(f"No headless browser on the kernel's machine: {why_no_browser()}.")
    profile = tempfile.mkdtemp(prefix=f"labsupport-chromium-{name}-")  # nothing remembered
    try:
        process = start_process(name, [chromium, *FLAGS, f"--user-data-dir={profile}", url])
    except BaseException:
        shutil.rmtree(profile, ignore_errors=True)
        raise
    process.folders.append(profile)
    return process
