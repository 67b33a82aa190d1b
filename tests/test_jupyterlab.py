"""The course as a learner meets it: JupyterLab in a real browser, each notebook Run All'd.

nbval checks each notebook's outputs from a kernel; this checks the rest of the path.
JupyterLab runs on 127.0.0.1 with a throw-away configuration, over a copy of
``notebooks/``; Debian's Chromium, driven by Playwright, opens each notebook, runs
``Run > Run All Cells``, waits until no cell is queued, saves, and the saved file is
read back: every code cell executed, no error except in cells tagged
``raises-exception``, and every ``claim:`` line True, the same claims as the committed
run. The kernels run on seed 2 (``COURSE_SEED``): this Run All is also that seed's round
of ``test_claims_any_seed.py``, so no notebook is executed once more for it. Then the
kernel is shut down, as closing the tab would, and no server process, Chromium or Redis
the notebook started may remain (only processes with this JupyterLab's
``LABSUPPORT_OWNER`` mark count: not another learner's).

The browser may reach only the Jupyter server's host and port, as a learner's browser
on a JupyterHub or Binder would: Playwright refuses every other request and WebSocket.
So notebook 03's IFrame must come through the server's own origin (jupyter-server-proxy,
``labsupport.lab.webpage.browser_url``), and its button must still reach Python.

Screenshots: set ``COURSE_SCREENSHOTS=docs/screenshots`` to refresh the README's
pictures (see the README); CI leaves them alone.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import nbformat
import pytest
import requests
from jupyter_client import BlockingKernelClient
from jupyter_core.paths import jupyter_runtime_dir
from kernel_run import JUPYTERLAB_SEED, claim_problems, claims, new_owner, processes_of
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

from labsupport.lab import browser, redis_server

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
SHOTS = os.environ.get("COURSE_SCREENSHOTS")
OWNER = new_owner()  # the mark of every process this JupyterLab's kernels start
# the seed its kernels run on; the README's pictures keep the committed run's (seed 1)
SEED = 1 if SHOTS else JUPYTERLAB_SEED
# (notebook, a text in the cell, file name): the README's pictures of single cells
CELL_SHOTS = [
    ("00_start_here", 'trace.diagram("notebook 00', "sequence-diagram.png"),
    ("03_socketio_events", "IFrame(webpage", "browser-page-in-iframe.png"),
    ("06_scaling_with_redis", 'ax.step(steps, had, where="post"', "plot-nothing-lost.png"),
]
SETTINGS = {  # JupyterLab user settings: no news pop-up, every cell kept in the page
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}  # fmt: skip


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab serving a copy of the notebooks, with its own settings and workspace."""
    home = tmp_path_factory.mktemp("lab")
    shutil.copytree(ROOT / "notebooks", home / "notebooks")
    for name, values in SETTINGS.items():
        path = home / "settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    port = redis_server.free_port()
    env = {**os.environ, "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
           "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
           "JUPYTER_CONFIG_DIR": str(home / "config"), "LABSUPPORT_OWNER": OWNER,
           "COURSE_SEED": str(SEED)}  # fmt: skip
    argv = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1",
            f"--port={port}", "--ServerApp.token=", "--ServerApp.password=",
            "--ServerApp.disable_check_xsrf=True", f"--ServerApp.root_dir={home}"]  # fmt: skip
    if os.geteuid() == 0:
        argv.append("--allow-root")
    server = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    wait_until_up(url)
    yield url, home
    server.terminate()
    server.wait(10)


def wait_until_up(url, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/api/status", timeout=2).ok:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.2)
    raise TimeoutError("JupyterLab did not start")


@pytest.fixture(scope="module")
def refused(lab):
    """Every address the browser tried that was not the Jupyter server's (all refused)."""
    return []


@pytest.fixture(scope="module")
def page(lab, refused):
    """A browser that reaches the Jupyter server's host and port, and nothing else."""
    # Any address but the server's. A pattern, not a Python function: Playwright matches
    # it in its driver, so the server's own requests never wait for this (sync) process.
    elsewhere = re.compile(rf"^(?!(?:http|ws)://{re.escape(urlsplit(lab[0]).netloc)}/)[a-z]+://")

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=browser.find_chromium(),
                                              args=browser.FLAGS[1:-1])  # fmt: skip
        context = chromium.new_context(viewport={"width": 1280, "height": 900})
        context.route(elsewhere, lambda route: (refused.append(route.request.url), route.abort()))
        context.route_web_socket(elsewhere, lambda ws: (refused.append(ws.url), ws.close()))
        yield context.new_page()
        chromium.close()


def run_all(page, url, name):
    page.goto(f"{url}/lab/tree/notebooks/{name}.ipynb?reset")  # reset: no other tabs
    page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)
    wait_for_kernel(url, name)
    idle = page.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]')
    idle.first.wait_for(timeout=60_000)
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
    prompts = page.locator(".jp-CodeCell .jp-InputPrompt")
    try:  # Run All has finished when the last code cell has its number
        prompts.last.filter(has_text=re.compile(r"\[\d+\]")).wait_for(timeout=180_000)
    except PlaywrightTimeout:  # stopped early: the saved notebook shows where
        page.screenshot(path=f"/tmp/run-all-{name}.png")
    # An IFrame may hold the keyboard (the Admin UI focuses its login form): give it back
    page.evaluate("document.activeElement && document.activeElement.blur()")
    page.keyboard.press("Control+s")
    page.locator(".lm-TabBar-tab.jp-mod-dirty").first.wait_for(state="detached", timeout=20_000)
    return prompts.count()


def wait_for_kernel(url, name, timeout=60):
    """Until notebook ``name``'s kernel has started, is idle, and the page is connected to it.

    Clicking Run All any earlier can lose the first cells' requests. Only this notebook's
    session counts: on a busy machine the tab of the notebook before may open a session
    again after its kernel was shut down, and that one is not the page's.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        sessions = requests.get(f"{url}/api/sessions", timeout=5).json()
        kernels = [s["kernel"] for s in sessions if s["path"].endswith(f"{name}.ipynb")]
        if kernels and all(k["execution_state"] == "idle" and k["connections"] for k in kernels):
            return
        time.sleep(0.2)
    raise TimeoutError(f"the kernel did not become ready: {kernels}")


def saved_problems(notebook):
    """Code cells without an execution count, or with an error they were not meant to show."""
    problems = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        errors = [o.ename for o in cell.outputs if o.output_type == "error"]
        expected = "raises-exception" in cell.metadata.get("tags", [])
        if cell.execution_count is None or (errors and not expected):
            problems.append((index, cell.execution_count, errors, cell.source[:60]))
    return problems


def read_saved(path, before, timeout=20):
    """The notebook as JupyterLab saved it (waiting until the new file is complete)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if path.stat().st_mtime != before:
                return nbformat.read(path, as_version=4)
        except nbformat.reader.NotJSONError:  # caught in the middle of the write
            pass
        if time.monotonic() > deadline:
            raise TimeoutError(f"{path.name} was not saved")
        time.sleep(0.1)


def shut_down_kernels(url, timeout=20):
    for session in requests.get(f"{url}/api/sessions", timeout=5).json():
        requests.delete(f"{url}/api/sessions/{session['id']}", timeout=10)
    deadline = time.monotonic() + timeout
    while processes_of(OWNER) and time.monotonic() < deadline:
        time.sleep(0.2)
    return processes_of(OWNER)


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_run_all_in_jupyterlab_in_a_real_browser(lab, page, notebook):
    url, home = lab
    saved = home / "notebooks" / notebook.name
    before = saved.stat().st_mtime
    code_cells = run_all(page, url, notebook.stem)
    if notebook.stem == "03_socketio_events":  # the page in the IFrame got Python's emit
        frame = page.frame_locator(".jp-OutputArea iframe").first
        frame.get_by_text('news ["sent from Python"]').wait_for(timeout=10_000)
    take_screenshots(page, notebook.stem)
    assert figures_without_alt_text(page) == []
    ran = read_saved(saved, before)
    assert saved_problems(ran) == []
    committed = claims(nbformat.read(notebook, as_version=4))
    where = f"Run All in JupyterLab, COURSE_SEED={SEED}"
    assert claim_problems(committed, claims(ran), where) == []
    assert code_cells == sum(c.cell_type == "code" for c in nbformat.read(notebook, 4).cells)
    assert shut_down_kernels(url) == [], "a process outlived its notebook's kernel"


def test_notebook_03_page_through_the_jupyter_server_and_its_button(lab, page, refused):
    """The IFrame shows what Python sent, and its button reaches Python, through Jupyter."""
    url, home = lab
    page.goto(f"{url}/lab/tree/notebooks/03_socketio_events.ipynb?reset")
    page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)
    wait_for_kernel(url, "03_socketio_events")
    page.locator(".jp-MarkdownCell", has_text="Which pages may connect: CORS").click()
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.get_by_role("menuitem", name="Run All Above Selected Cell", exact=True).click()
    page.locator(".jp-OutputArea-output", has_text="'event': 'news'").wait_for(timeout=180_000)
    frame = page.frame_locator(".jp-OutputArea iframe").first
    frame.get_by_text('news ["sent from Python"]').wait_for(timeout=10_000)
    assert "/proxy/" in page.locator(".jp-OutputArea iframe").first.get_attribute("src")
    (inner,) = [f for f in page.frames if "/proxy/" in f.url]  # polling, then a WebSocket:
    inner.wait_for_function("socket.io.engine.transport.name === 'websocket'", timeout=10_000)
    frame.locator("#say").click()
    clicked = "lambda r: r.event == 'chat' and r.payload == 'click in you'"
    said = run_in_kernel(url, "03_socketio_events",
                         f"print(trace.wait_until({clicked}, timeout=10).sender)")  # fmt: skip
    assert said.strip() == "you"
    assert [u for u in refused if "127.0.0.1" in u or "localhost" in u] == []
    assert shut_down_kernels(url) == [], "a process outlived its notebook's kernel"


def run_in_kernel(url, name, code):
    """Run ``code`` in notebook ``name``'s kernel, in the JupyterLab at ``url``; what it printed."""
    sessions = requests.get(f"{url}/api/sessions", timeout=5).json()
    (session,) = [s for s in sessions if s["path"].endswith(f"{name}.ipynb")]
    connection = Path(jupyter_runtime_dir()) / f"kernel-{session['kernel']['id']}.json"
    client = BlockingKernelClient(connection_file=str(connection))
    client.load_connection_file()
    client.start_channels()
    printed = []
    try:
        reply = client.execute_interactive(code, timeout=30, output_hook=lambda msg: printed.append(
            msg["content"].get("text", "")))  # fmt: skip
    finally:
        client.stop_channels()
    assert reply["content"]["status"] == "ok", reply["content"]
    return "".join(printed)


def figures_without_alt_text(page):
    """What a screen reader would call just "image": every figure is an <img> in the
    page, and its alt attribute (figures.show's description) is what gets said."""
    images = page.locator(".jp-OutputArea-output img")
    assert images.count(), "no figure in the page"
    found = [images.nth(i) for i in range(images.count())]
    return [i.evaluate("e => e.outerHTML.slice(0, 100)") for i in found
            if not (i.get_attribute("alt") or "").strip()]  # fmt: skip


def take_screenshots(page, name):
    if not SHOTS:
        return
    folder = Path(SHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    page.locator(".jp-Notebook .jp-Cell").first.scroll_into_view_if_needed()
    page.screenshot(path=folder / f"{name}.png")
    for notebook, text, file_name in CELL_SHOTS:
        if notebook == name:
            cell = page.locator(".jp-CodeCell", has_text=text).first
            cell.scroll_into_view_if_needed()
            cell.screenshot(path=folder / file_name)
