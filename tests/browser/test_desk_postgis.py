"""Two desk app instances (two `streamlit run` processes, as on two machines of a newsroom)
on one PostGIS store, in real Chromium: each editor saves through their own instance and
the store holds both changes, merged, with no lost update."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from geo.store import Store

from .conftest import Desk, desk_server
from .test_desk_edits import edit, named, save

SEED_ID = "balochistan-2026-02-01"


@pytest.fixture(scope="module")
def two_instances(tmp_path_factory, pg_server):
    url = pg_server.new_database()
    tmp = tmp_path_factory.mktemp("desk-postgis")
    try:
        with desk_server(tmp, url) as one, desk_server(tmp, url) as two:
            yield url, one["url"], two["url"]
    finally:
        from geo import store_pg

        store_pg._READY.discard(url)
        pg_server.drop(url)


def test_two_desk_instances_on_one_postgis_store_lose_nothing(browser, two_instances):
    url, first, second = two_instances
    a = named(Desk(browser, first).open(), "Amina")  # the first open seeds the store
    b = named(Desk(browser, second).open(), "Bilal")
    try:
        edit(a, "dalbandin-government-office", Outcome="office damaged (A)")
        edit(b, "pasni-highway-buses", Outcome="buses torched (B)")
        save(a)
        expect(a.page.get_by_text("Saved as revision 2.")).to_be_visible()
        save(b)  # from revision 1, on the other instance: merged, not refused, not lost
        expect(b.page.get_by_text("Saved as revision 3, merged")).to_be_visible()
        loaded = Store(url).load(SEED_ID)
        outcomes = {i.id: i.outcome for i in loaded.story.incidents}
        assert loaded.revision == 3 and loaded.saved_by == "Bilal"
        assert outcomes["dalbandin-government-office"] == "office damaged (A)"
        assert outcomes["pasni-highway-buses"] == "buses torched (B)"
        assert [r.saved_by for r in Store(url).history(SEED_ID)][:2] == ["Bilal", "Amina"]
        assert a.outside == [] and b.outside == []
    finally:
        a.close()
        b.close()
