"""Two editors on one story in real Chromium against `streamlit run`: nobody's change is lost.

Editors A and B (two browser contexts) edit different incidents, different fields of one
incident and the same field; after each round the store itself is read to check that every
change either editor made is there (or, for the one field both changed, the value chosen).
Its own server and store (``conftest.server``): these tests save many revisions.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from geo.store import Store

from .conftest import TIMEOUT_MS

SEED_ID = "balochistan-2026-02-01"
BEHIND = "This page is behind the store"


def named(desk, name: str):
    box = desk.page.get_by_role("textbox", name="Your name (recorded with each save)")
    box.fill(name)
    box.press("Enter")
    expect(box).to_have_value(name)
    return desk


def idle(page) -> None:
    """Wait until the app has finished its run (a message near the top of the page shows
    before the rest is drawn; a picker opened mid-run closes when the run reaches it)."""
    expect(page.get_by_test_id("stStatusWidget")).to_be_hidden()


def edit(desk, incident_id: str, **fields: str) -> None:
    idle(desk.page)
    desk.choose_incident(incident_id)
    for label, value in fields.items():
        desk.set_text(label, value)
    place = desk.page.get_by_role("textbox", name="Place", exact=True).input_value().strip()
    desk.page.get_by_role("button", name="Apply changes").click()
    # this apply's own message (the one before named another place, or is gone by now)
    expect(desk.page.get_by_text(f"Incident “{place or incident_id}” updated")).to_be_visible()
    expect(desk.page.get_by_text(re.compile(r"^Unsaved changes —"))).to_be_visible()
    idle(desk.page)


def save(desk) -> None:
    desk.page.get_by_role("button", name="Save to store").click()


def stored(server) -> dict[str, dict[str, str | None]]:
    story = Store(server["store"]).load(SEED_ID).story
    return {
        i.id: {"place": i.place, "outcome": i.outcome, "summary": i.summary}
        for i in story.incidents
    }


def test_two_editors_lose_nothing_and_a_page_behind_the_store_says_so(desks, server):
    a = named(desks().open(), "Amina")
    b = named(desks().open(), "Bilal")

    # 1. different incidents: B's save merges with A's; B's page learnt A's save first
    edit(a, "dalbandin-government-office", Outcome="office damaged (A)")
    edit(b, "pasni-highway-buses", Outcome="buses torched (B)")
    save(a)
    expect(a.page.get_by_text("Saved as revision 2.")).to_be_visible()
    expect(b.page.get_by_text(BEHIND)).to_be_visible(timeout=TIMEOUT_MS)
    expect(
        b.page.get_by_text(re.compile(r"Amina saved revision 2 .* They changed"))
    ).to_be_visible()
    save(b)
    expect(b.page.get_by_text("Saved as revision 3, merged")).to_be_visible()
    s = stored(server)
    assert s["dalbandin-government-office"]["outcome"] == "office damaged (A)"
    assert s["pasni-highway-buses"]["outcome"] == "buses torched (B)"

    # 2. different fields of one incident; A brings B's change in before saving
    edit(a, "nushki-paramilitary-hq", Summary="Summary by A.")
    edit(b, "nushki-paramilitary-hq", Outcome="outcome by B")
    save(b)
    expect(b.page.get_by_text("Saved as revision 4")).to_be_visible()
    expect(a.page.get_by_text(BEHIND)).to_be_visible()
    a.page.get_by_role("button", name="Bring in their changes (yours are kept)").click()
    expect(a.page.get_by_text("Now at revision 4")).to_be_visible()
    expect(a.page.get_by_text(BEHIND)).to_have_count(0)
    outcome = a.page.get_by_role("textbox", name="Outcome", exact=True)
    expect(outcome).to_have_value("outcome by B")  # their value, in my open editor
    expect(a.page.get_by_role("textbox", name="Summary", exact=True).first).to_have_value(
        "Summary by A."
    )
    save(a)
    expect(a.page.get_by_text("Saved as revision 5.")).to_be_visible()
    s = stored(server)
    assert s["nushki-paramilitary-hq"]["summary"] == "Summary by A."
    assert s["nushki-paramilitary-hq"]["outcome"] == "outcome by B"
    assert s["pasni-highway-buses"]["outcome"] == "buses torched (B)"  # nothing reverted

    # 3. the same field: renaming a place and applying keeps the editor and the typed text
    edit(b, "mastung-prison", Place="Mastung (B)")
    place = b.page.get_by_role("textbox", name="Place", exact=True)
    expect(place).to_have_value("Mastung (B)")
    b.set_text("Outcome", "inmates freed (B)")  # the editor is still open on that incident
    b.page.get_by_role("button", name="Apply changes").click()
    expect(b.page.get_by_text(re.compile(r"'mastung-prison': place, outcome"))).to_be_visible()
    expect(b.page.get_by_role("textbox", name="Incident id")).to_have_value("mastung-prison")
    edit(a, "mastung-prison", Place="Mastung (A)")
    edit(a, "quetta-police-vehicle", Outcome="vehicle burnt (A)")
    save(a)
    expect(a.page.get_by_text("Saved as revision 6.")).to_be_visible()
    save(b)
    panel = b.page.locator(".st-key-conflict")
    expect(panel.get_by_text("Not saved: someone else saved this story")).to_be_visible()
    expect(panel.get_by_text("Mastung (A): location", exact=True)).to_be_visible()
    expect(panel.get_by_text("Yours: Place: Mastung (B)")).to_be_visible()
    expect(panel.get_by_text("Amina's (revision 6): Place: Mastung (A)")).to_be_visible()
    assert stored(server)["mastung-prison"]["place"] == "Mastung (A)"  # nothing of B's yet
    panel.get_by_role("button", name="Save with these choices").click()  # keep mine
    expect(b.page.get_by_text("Saved as revision 7.")).to_be_visible()
    s = stored(server)
    assert s["mastung-prison"]["place"] == "Mastung (B)"  # B's choice
    assert s["mastung-prison"]["outcome"] == "inmates freed (B)"
    assert s["quetta-police-vehicle"]["outcome"] == "vehicle burnt (A)"  # A's: not reverted
    assert s["nushki-paramilitary-hq"] == {
        "place": "Nushki",
        "outcome": "outcome by B",
        "summary": "Summary by A.",
    }
    assert s["dalbandin-government-office"]["outcome"] == "office damaged (A)"

    # leaving with unsaved work asks first: the page cancels the browser's beforeunload
    # (which makes Chromium ask "Leave site?"); with nothing unsaved it lets the tab go
    leaving = """() => {
        const e = new Event('beforeunload', { cancelable: true });
        window.dispatchEvent(e);
        return e.defaultPrevented;
    }"""
    assert b.page.evaluate(leaving) is False  # all saved
    edit(b, "pasni-highway-buses", Outcome="not saved yet")
    b.page.wait_for_function(leaving)  # the guard hears of the unsaved change
    expect(a.page.get_by_text(BEHIND)).to_be_visible()  # meanwhile A learnt of B's save


#: Written for this test: an attack in one town, another town only mentioned.
COPY = (
    "QUETTA, March 3 (Reuters) - Gunmen attacked a levies post in Turbat on Sunday, killing "
    "two guards, officials said.\n"
    "Traders in Panjgur said they heard gunfire through the night and closed their shops.\n"
)


def test_extracting_twice_adds_no_duplicates_and_the_review_drafts_a_missed_place(desks, server):
    from geo.desk import open_store
    from geo.model import Story

    open_store(server["store"]).save(Story(id="wire-copy", title="From the wire"), None)
    desk = desks()
    page = desk.page
    page.goto(desk.url)  # an empty story: no marker to wait for
    page.get_by_test_id("stSidebar").get_by_text("From the wire").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("From the wire")
    page.get_by_text("Paste wire copy → draft incidents").click()
    page.get_by_role("textbox", name="Article text").fill(COPY)
    extract = page.get_by_role("button", name="Extract drafts")
    extract.click()
    expect(page.get_by_text("Added 1 draft incident(s) for review")).to_be_visible()
    extract.click()
    expect(page.get_by_text("Added 0 draft incident(s) for review")).to_be_visible()
    expect(page.get_by_text("1 were already in the story")).to_be_visible()

    # the copy review: Panjgur is only mentioned; one click drafts it, located
    expect(page.get_by_text(re.compile(r"^Copy review — .* 1 not used"))).to_be_visible()
    page.get_by_role("button", name="Add a draft here").click()
    expect(page.get_by_text("Draft “Panjgur” added from the copy")).to_be_visible()
    page.get_by_role("button", name="Save to store").click()
    expect(page.get_by_text("Saved as revision 2.")).to_be_visible()
    saved = Store(server["store"]).load("wire-copy").story.incidents
    assert [i.place for i in saved] == ["Turbat", "Panjgur"]
    assert saved[1].located and saved[1].status == "draft"
