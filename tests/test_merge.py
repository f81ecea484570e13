"""Field-level three-way merge: two editors' changes from one base, neither lost."""

from __future__ import annotations

import pytest

from geo.merge import apply_choices, merge_stories
from geo.model import CasualtyClaim, Incident, Story


@pytest.fixture
def base(seed_story: Story) -> Story:
    return seed_story


def copy(story: Story) -> Story:
    return story.model_copy(deep=True)


def test_changes_to_different_incidents_both_kept(base):
    mine, theirs = copy(base), copy(base)
    mine.incidents[0].outcome = "mine"
    theirs.incidents[1].outcome = "theirs"
    result = merge_stories(base, mine, theirs)
    assert result.clean
    assert [i.outcome for i in result.story.incidents[:2]] == ["mine", "theirs"]


def test_different_fields_of_one_incident_both_kept(base):
    mine, theirs = copy(base), copy(base)
    mine.incidents[0].outcome = "my outcome"
    theirs.incidents[0].summary = "their summary"
    theirs.incidents[0].actor = "their actor"
    result = merge_stories(base, mine, theirs)
    assert result.clean
    inc = result.story.incidents[0]
    assert (inc.outcome, inc.summary, inc.actor) == ("my outcome", "their summary", "their actor")


def test_a_point_merges_with_its_place_and_district_as_one_unit(base):
    mine, theirs = copy(base), copy(base)
    mine.incidents[0].lon, mine.incidents[0].lat = 67.01, 30.19
    theirs.incidents[0].district = "Somewhere else"
    result = merge_stories(base, mine, theirs)
    [conflict] = result.conflicts
    assert (conflict.incident_id, conflict.field) == (base.incidents[0].id, "location")
    assert conflict.mine["lon"] == 67.01 and conflict.theirs["district"] == "Somewhere else"
    assert "location" in str(conflict)
    # resolving nothing takes theirs; keeping mine takes my whole unit
    assert result.story.incidents[0].district == "Somewhere else"
    kept = apply_choices(result.story, result.conflicts, keep_mine={0})
    assert kept.incidents[0].lon == 67.01
    assert kept.incidents[0].district == base.incidents[0].district


def test_same_change_on_both_sides_is_not_a_conflict(base):
    mine, theirs = copy(base), copy(base)
    mine.title = theirs.title = "Same new title"
    result = merge_stories(base, mine, theirs)
    assert result.clean and result.story.title == "Same new title"


def test_claims_merge_item_by_item(base):
    mine, theirs = copy(base), copy(base)
    mine.claims.append(CasualtyClaim(source="Dawn", killed=12))
    theirs.claims = theirs.claims[1:]  # they removed the first claim
    result = merge_stories(base, mine, theirs)
    assert result.clean
    assert result.story.claims[-1].source == "Dawn"
    assert base.claims[0] not in result.story.claims
    assert len(result.story.claims) == len(base.claims)  # -1 theirs, +1 mine


def test_both_editing_one_claim_differently_conflicts(base):
    mine, theirs = copy(base), copy(base)
    mine.claims[0].killed = 101
    theirs.claims[0].killed = 102
    [conflict] = merge_stories(base, mine, theirs).conflicts
    assert conflict.field == "claims" and conflict.incident_id is None


def test_deleted_by_one_edited_by_the_other_is_never_dropped_silently(base):
    mine, theirs = copy(base), copy(base)
    gone = base.incidents[0].id
    mine.incidents = mine.incidents[1:]
    theirs.incidents[0].outcome = "they edited it"
    result = merge_stories(base, mine, theirs)
    [conflict] = result.conflicts
    assert (conflict.incident_id, conflict.field, conflict.mine) == (gone, "incident", None)
    assert result.story.incidents[0].outcome == "they edited it"  # theirs kept until chosen
    assert gone not in {i.id for i in apply_choices(result.story, result.conflicts, {0}).incidents}

    result = merge_stories(base, theirs, mine)  # the other way round
    [conflict] = result.conflicts
    assert gone not in {i.id for i in result.story.incidents}
    restored = apply_choices(result.story, result.conflicts, {0})
    assert next(i for i in restored.incidents if i.id == gone).outcome == "they edited it"


def test_deleted_and_untouched_is_deleted(base):
    mine, theirs = copy(base), copy(base)
    mine.incidents = mine.incidents[1:]
    theirs.title = "other change"
    result = merge_stories(base, mine, theirs)
    assert result.clean and base.incidents[0].id not in {i.id for i in result.story.incidents}


def test_new_incidents_under_one_id_are_both_kept(base):
    mine, theirs = copy(base), copy(base)

    def new(summary: str) -> Incident:
        return Incident(
            id="new-site", geo_precision="unlocated", attack_type="other", summary=summary
        )

    mine.incidents.append(new("mine"))
    theirs.incidents.append(new("theirs"))
    result = merge_stories(base, mine, theirs)
    assert result.clean and result.renamed == {"new-site": "new-site-2"}
    added = {i.id: i.summary for i in result.story.incidents if i.id.startswith("new-site")}
    assert added == {"new-site": "theirs", "new-site-2": "mine"}
