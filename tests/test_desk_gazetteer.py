"""The desk keeps a place an editor placed by hand as a newsroom gazetteer entry, and the
next story's lookup and extraction find it (geo.desk, the logic behind the desk app)."""

from __future__ import annotations

from geo import desk
from geo.model import Incident
from geo.store import Store

ARTICLE = (
    "DERA ISMAIL KHAN, Pakistan, Feb 3 (Reuters) - Gunmen attacked a police station in "
    "Daraban on Monday night, killing three policemen, officials said.\n\n"
    "The attackers stormed the post in Daraban and fled, a police official said.\n"
)


def test_a_dropped_point_for_an_unknown_place_is_kept_and_found_next_time(tmp_path, layer):
    store = Store(tmp_path / "s.gpkg")
    first, _ = desk.extract_drafts(ARTICLE, "story-1", store=store)
    assert first is not None
    (draft,) = first.incidents
    assert not draft.located and draft.place == "Daraban"
    assert all(c.name != "Daraban" for c in desk.geocode("Daraban", store=store)[0])

    placed = Incident.model_validate(
        {
            **draft.model_dump(),
            **desk.point_updates(70.33, 31.58, layer),
        }
    )
    kept = desk.remember_place(store, draft, placed, "story-1", "ana", layer)
    assert kept is not None and "Daraban" in kept and "Dera Ismail Khan" in kept
    (entry,) = store.places()
    assert (entry.name, entry.who, entry.story_id) == ("Daraban", "ana", "story-1")
    # applying again at the same point keeps nothing new
    assert desk.remember_place(store, placed, placed, "story-1", "ana", layer) is None

    cands, _ = desk.geocode("Daraban", store=store)
    assert cands[0].source == "newsroom" and cands[0].district == "Dera Ismail Khan"
    second, _ = desk.extract_drafts(ARTICLE, "story-2", store=store)
    assert second is not None
    (again,) = second.incidents
    assert again.located and (again.lon, again.lat) == (70.33, 31.58)
    assert again.district == "Dera Ismail Khan"


def test_a_known_place_is_not_copied_into_the_newsroom_gazetteer(tmp_path, layer, seed_story):
    store = Store(tmp_path / "s.gpkg")
    inc = next(i for i in seed_story.incidents if i.place == "Mastung")
    moved = inc.model_copy(update={"lon": 66.9, "lat": 29.8})
    assert desk.remember_place(store, inc, moved, seed_story.id, "ana", layer) is None
    assert store.places() == []
