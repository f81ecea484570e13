"""Real headless Chromium (Debian's package) driven by Playwright.

Pages opened from disk get every network route aborted, so a test sees exactly what an
offline reader sees. Console errors and dialogs are collected for assertions.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from geo import exports
from tests.conftest import ROOT

#: How long a browser step may wait (page loads, Streamlit reruns, the map iframe). Also the
#: default for ``expect(...)`` assertions, whose own 5 s default is too short for a rerun
#: that redraws the map on a busy machine.
TIMEOUT_MS = 30_000
expect.set_options(timeout=TIMEOUT_MS)

# The flags the PNG export uses, plus no QUIC (tests abort every network route anyway).
CHROMIUM_ARGS = [*exports.CHROMIUM_ARGS, "--disable-quic"]


def chromium_path() -> str:
    path = os.environ.get("SITMAP_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        pytest.fail("Debian chromium is required for browser tests (apt-get install chromium)")
    return path


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield b
        b.close()


class PageWatch:
    """A page plus what went wrong on it: console errors, page errors, dialogs, requests."""

    def __init__(self, page):
        self.page = page
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        page.on("console", lambda m: m.type == "error" and self.console_errors.append(m.text))
        page.on("pageerror", lambda e: self.page_errors.append(str(e)))
        page.on("dialog", self._dialog)
        page.on("request", lambda r: self.requests.append(r.url))

    def _dialog(self, dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()


def open_map(watch: PageWatch, path: Path, width: int = 1200, height: int = 900) -> Any:
    """An embed file opened at a viewport size, once its map says it is ready."""
    page = watch.page
    page.set_viewport_size({"width": width, "height": height})
    page.goto(path.as_uri())
    page.wait_for_selector(".sitmap[data-ready='1']", timeout=15_000)
    return page


@pytest.fixture()
def offline_page(browser):
    """A fresh context with every network request aborted (file:// still loads)."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.route(
        "**/*",
        lambda route: (
            route.continue_()
            if route.request.url.startswith(("file:", "data:", "blob:", "about:"))
            else route.abort()
        ),
    )
    page = context.new_page()
    watch = PageWatch(page)
    yield watch
    context.close()


# --- the desk app (streamlit run) ------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ServerOutput:
    """Copies a server's output to its log file and says when a line containing ``ready``
    has been printed (or the output ended: the process is gone)."""

    def __init__(self, proc: subprocess.Popen, log: Path, ready: str):
        self.proc, self.log, self.ready = proc, log, ready
        self.seen = False
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._pump, daemon=True)
        self.thread.start()

    def _pump(self) -> None:
        with open(self.log, "w", encoding="utf-8") as out:
            for line in self.proc.stdout:
                out.write(line)
                out.flush()
                if not self.seen and self.ready in line:
                    self.seen = True
                    self.done.set()
        self.done.set()

    def wait(self, timeout: float) -> bool:
        """True once the ready line was printed; False when the process ended first or
        ``timeout`` seconds passed."""
        self.done.wait(timeout)
        return self.seen and self.proc.poll() is None


@contextmanager
def desk_server(tmp: Path, store: str | Path) -> Iterator[dict]:
    """A real `streamlit run` of the desk on ``store`` (a GeoPackage path or a PostGIS
    URL), stopped (by its pid) on exit.

    It does not watch the source files: an edit to any module under the checkout while the
    tests run (someone working in the same tree) made Streamlit re-import every ``geo``
    module on the next rerun, and objects cached before it (the district layer) then
    failed the new classes' isinstance checks, so a save crashed."""
    port = free_port()
    env = {
        **os.environ,
        "SITMAP_STORE": str(store),
        "PYTHONPATH": str(ROOT),
        "SITMAP_EDITOR": "",
        "PYTHONUNBUFFERED": "1",
    }
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "streamlit_app.py",
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    log = tmp / f"streamlit-{port}.log"
    # Streamlit prints the app's URL once its server is listening.
    output = ServerOutput(proc, log, ready=f"URL: {url}")
    started = output.wait(timeout=60)
    if started:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=10) as r:
                started = r.status == 200
        except OSError:
            started = False
    if not started:
        proc.kill()
        proc.wait()
        output.thread.join(timeout=10)
        pytest.fail("streamlit did not start:\n" + log.read_text())
    try:
        yield {"url": url, "store": store}
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        output.thread.join(timeout=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The desk with its own GeoPackage store, one per test module (modules may leave the
    store in different states)."""
    tmp = tmp_path_factory.mktemp("desk")
    with desk_server(tmp, tmp / "desk.gpkg") as running:
        yield running


class Desk:
    """One editor's browser context on the app."""

    def __init__(self, browser, url: str):
        self.context = browser.new_context(viewport={"width": 1400, "height": 1000})
        self.outside: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.url = url

    def _route(self, route) -> None:
        u = route.request.url
        if u.startswith((self.url, "data:", "blob:", "about:")):
            route.continue_()
        else:
            self.outside.append(u)
            route.abort()

    @property
    def map(self):
        return self.page.frame_locator("iframe.sitmap-frame")

    def open(self) -> Desk:
        self.page.goto(self.url)
        expect(self.map.locator(".sm-marker").first).to_be_visible()
        return self

    def choose_incident(self, incident_id: str) -> None:
        box = self.page.get_by_role("combobox", name="Incident")
        box.click()
        box.fill(incident_id)
        self.page.get_by_role("option", name=incident_id).first.click()
        # the editor shows this incident (its Place box may already be there for another one)
        expect(self.page.get_by_role("textbox", name="Incident id")).to_have_value(incident_id)

    def set_text(self, label: str, value: str) -> None:
        box = self.page.get_by_role("textbox", name=label, exact=True)
        box.fill(value)
        box.press("Enter")

    def apply_and_save(self) -> None:
        self.page.get_by_role("button", name="Apply changes").click()
        # the save bar's warning (not the publish note "…include your unsaved changes")
        expect(self.page.get_by_text(re.compile(r"^Unsaved changes —"))).to_be_visible()
        self.page.get_by_role("button", name="Save to store").click()

    def close(self) -> None:
        self.context.close()


@pytest.fixture()
def desks(browser, server):
    opened: list[Desk] = []

    def make() -> Desk:
        d = Desk(browser, server["url"])
        opened.append(d)
        return d

    yield make
    for d in opened:
        assert d.outside == [], f"the app tried to reach the internet: {d.outside[:5]}"
        d.close()
