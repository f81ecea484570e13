"""The desk app end to end: `streamlit run` on 127.0.0.1, a temp store, real Chromium.

The server, the store and the ``Desk`` helper live in ``tests/browser/conftest.py``: every
request that is not to the local server is aborted and recorded, so the app is also
checked not to reach the internet.
"""

from __future__ import annotations

from playwright.sync_api import expect

from geo.store import Store

SEED_ID = "balochistan-2026-02-01"


def test_app_loads_with_the_seed_map_and_a_filter_reduces_markers(desks, seed_story):
    desk = desks()
    page = desk.page
    received: list[int] = []  # bytes of each message from the server, as the browser got them
    page.on("websocket", lambda ws: ws.on("framereceived", lambda m: received.append(len(m))))
    desk.open()
    expect(
        page.get_by_role("heading", name="Coordinated attacks across Balochistan")
    ).to_be_visible()
    expect(desk.map.locator(".sm-marker")).to_have_count(6)
    expect(page.get_by_text("Pakistan's military, via Associated Press")).to_be_visible()
    expect(page.get_by_text("Not located (2)")).to_be_visible()

    grenades = [i for i in seed_story.located if i.attack_type == "grenade"]
    body = desk.map.locator("body")
    body.evaluate("() => { window.__same = true; }")  # gone if the map page reloads
    page.get_by_role("combobox", name="Attack type").click()
    received.clear()
    page.get_by_role("option", name="Grenade attack").click()
    page.keyboard.press("Escape")
    expect(desk.map.locator(".sm-marker")).to_have_count(len(grenades))
    expect(page.get_by_text(f"Showing {len(grenades)} of 6 located incidents")).to_be_visible()
    assert body.evaluate("() => window.__same === true")  # filtered in place, not reloaded
    # and the filter's rerun did not send the map page again (its HTML is in the frame)
    page_bytes = page.locator("iframe.sitmap-frame").evaluate("(f) => f.srcdoc.length")
    assert 0 < sum(received) < page_bytes / 2, (sum(received), page_bytes)

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
