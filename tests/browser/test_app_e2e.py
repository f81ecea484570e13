"""The desk app end to end: `streamlit run` on 127.0.0.1, a temp store, real Chromium.

Every request that is not to the local server is aborted and recorded, so the app is also
checked not to reach the internet.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest
from playwright.sync_api import expect

from geo.store import Store
from tests.conftest import ROOT

SEED_ID = "balochistan-2026-02-01"
TIMEOUT_MS = 30_000


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """A real `streamlit run` with its own store; stopped (by its pid) after the module."""
    tmp = tmp_path_factory.mktemp("desk")
    store_path = tmp / "desk.gpkg"
    port = free_port()
    env = {
        **os.environ,
        "SITMAP_STORE": str(store_path),
        "PYTHONPATH": str(ROOT),
        "SITMAP_EDITOR": "",
    }
    log = open(tmp / "streamlit.log", "w")  # noqa: SIM115 (closed in teardown)
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
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:  # poll the health endpoint: ready as soon as it answers
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as r:
                if r.status == 200:
                    break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            log.close()
            pytest.fail("streamlit did not start:\n" + (tmp / "streamlit.log").read_text())
    yield {"url": url, "store": store_path}
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    log.close()


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
        expect(self.page.get_by_role("textbox", name="Place", exact=True)).to_be_visible()

    def set_text(self, label: str, value: str) -> None:
        box = self.page.get_by_role("textbox", name=label, exact=True)
        box.fill(value)
        box.press("Enter")

    def apply_and_save(self) -> None:
        self.page.get_by_role("button", name="Apply changes").click()
        expect(self.page.get_by_text("Unsaved changes")).to_be_visible()
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


def test_app_loads_with_the_seed_map_and_a_filter_reduces_markers(desks, seed_story):
    desk = desks().open()
    page = desk.page
    expect(
        page.get_by_role("heading", name="Coordinated attacks across Balochistan")
    ).to_be_visible()
    expect(desk.map.locator(".sm-marker")).to_have_count(6)
    expect(page.get_by_text("Pakistan's military, via Associated Press")).to_be_visible()
    expect(page.get_by_text("Not located (2)")).to_be_visible()

    grenades = [i for i in seed_story.located if i.attack_type == "grenade"]
    page.get_by_role("combobox", name="Attack type").click()
    page.get_by_role("option", name="Grenade attack").click()
    page.keyboard.press("Escape")
    expect(desk.map.locator(".sm-marker")).to_have_count(len(grenades))
    expect(page.get_by_text(f"Showing {len(grenades)} of 6 located incidents")).to_be_visible()

    # clicking a marker selects that incident in the editor
    desk.map.locator(f'.sm-marker[data-id="{grenades[0].id}"]').dispatch_event("click")
    expect(page.get_by_role("textbox", name="Place", exact=True)).to_have_value(grenades[0].place)


def test_edit_saved_in_one_context_appears_in_another(desks, server):
    a, b = desks().open(), desks().open()
    a.choose_incident("nushki-paramilitary-hq")
    a.set_text("Place", "Nushki town")
    a.apply_and_save()
    expect(a.page.get_by_text("Saved as revision")).to_be_visible()

    b.page.reload()
    expect(b.map.locator(".sm-marker")).to_have_count(6)
    b.choose_incident("nushki-paramilitary-hq")
    expect(b.page.get_by_role("textbox", name="Place", exact=True)).to_have_value("Nushki town")
    stored = Store(server["store"]).load(SEED_ID).story
    assert {i.id: i.place for i in stored.incidents}["nushki-paramilitary-hq"] == "Nushki town"


def test_two_contexts_saving_the_same_story_conflict_once_and_lose_nothing(desks, server):
    a, b = desks().open(), desks().open()
    a.choose_incident("dalbandin-government-office")
    a.set_text("Outcome", "office damaged (A)")
    b.choose_incident("pasni-highway-buses")
    b.set_text("Outcome", "buses torched (B)")

    a.apply_and_save()
    expect(a.page.get_by_text("Saved as revision")).to_be_visible()
    b.apply_and_save()
    message = b.page.get_by_text("Not saved: someone else saved this story after you opened it.")
    expect(message).to_have_count(1)
    expect(
        b.page.get_by_text("They changed incident 'dalbandin-government-office': outcome.")
    ).to_be_visible()
    b.page.get_by_role("button", name="Merge: keep their changes and mine").click()
    expect(b.page.get_by_text("Saved as revision")).to_be_visible()
    expect(message).to_have_count(0)

    outcomes = {i.id: i.outcome for i in Store(server["store"]).load(SEED_ID).story.incidents}
    assert outcomes["dalbandin-government-office"] == "office damaged (A)"
    assert outcomes["pasni-highway-buses"] == "buses torched (B)"
