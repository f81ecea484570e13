"""Copy review: every place and figure in the copy is marked used or not, and a missed site
or figure costs one call (the desk's one click)."""

from __future__ import annotations

import pytest

from geo.extract import extract_article
from geo.extract.review import claim_from_mark, draft_from_mark, review_copy
from geo.model import Story
from geo.taxonomy import GeoPrecision
from tests.conftest import ROOT

# Written for this test: an attack in one town, a second town only mentioned, a figure that
# the story's totals do not carry.
COPY = """QUETTA, March 3 (Reuters) - Gunmen attacked a police checkpoint in Turbat on Sunday, \
killing three policemen, officials said.
Shopkeepers in Panjgur said they heard heavy gunfire late into the night and shut early.
"""


@pytest.fixture(scope="module")
def extraction():
    return extract_article(COPY, published="2026-03-04")


def by_text(marks, text):
    return next(m for m in marks if m.text == text)


def test_every_draft_site_and_figure_is_marked_used(extraction):
    marks = review_copy(extraction)
    for inc in extraction.drafts:
        assert any(m.kind == "place" and inc.id in m.used_by for m in marks), inc.id
        for m in marks:  # offsets index the text the evidence indexes
            assert extraction.text[m.start : m.end] == m.text
    fig = next(m for m in marks if m.kind == "figure")
    assert fig.figures == {"security_killed": 3} and fig.used_by == ("turbat-armed-assault",)


def test_dateline_and_mentioned_places_are_marked_unused_with_why(extraction):
    marks = review_copy(extraction)
    dateline = by_text(marks, "QUETTA")
    assert not dateline.used and "dateline" in dateline.note
    panjgur = by_text(marks, "Panjgur")
    assert not panjgur.used and "not drafted" in panjgur.note
    assert panjgur.place is not None and panjgur.place.precision == GeoPrecision.town


def test_one_click_turns_a_mention_into_a_located_draft(extraction):
    panjgur = by_text(review_copy(extraction), "Panjgur")
    inc = draft_from_mark(extraction.story, panjgur, extraction.text)
    assert (inc.place, inc.status.value) == ("Panjgur", "draft")
    assert inc.lon is not None and 63 < inc.lon < 66 and 26 < inc.lat < 28  # Panjgur town
    assert inc.evidence[0].text.startswith("Shopkeepers in Panjgur")
    assert inc.id not in {i.id for i in extraction.drafts}
    story = Story.model_validate(
        {**extraction.story.model_dump(), "incidents": [*extraction.story.incidents, inc]}
    )
    again = extraction.model_copy(update={"story": story})
    assert inc.id in by_text(review_copy(again), "Panjgur").used_by


def test_a_district_mention_is_pinned_at_district_precision_only():
    copy = "Security forces said militants fired rockets at a camp in Kech district on Monday."
    ex = extract_article(copy, published="2026-03-04")
    kech = next(m for m in review_copy(ex) if m.kind == "place" and m.text == "Kech")
    assert kech.place is not None and kech.place.precision == GeoPrecision.district
    assert kech.place.district == "Kech" and kech.used_by == (ex.drafts[0].id,)


def test_an_unused_figure_becomes_an_attributed_claim():
    copy = (
        "Militants stormed a bank in Kharan on Friday. Separately, a hospital official in "
        "Quetta said 14 people were injured in clashes over the weekend."
    )
    ex = extract_article(copy, published="2026-03-04")
    marks = review_copy(ex)
    figs = [m for m in marks if m.kind == "figure"]
    assert figs, "the injured figure is marked"
    claim = claim_from_mark(figs[-1], ex.text, "Dawn")
    assert claim.injured == 14 and claim.attributed_to and "hospital" in claim.attributed_to
    with pytest.raises(ValueError):
        claim_from_mark(by_text(marks, "Kharan"), ex.text)


def test_review_of_the_seed_copy_marks_each_site():
    ex = extract_article((ROOT / "tests/articles/seed-retold.txt").read_text(encoding="utf-8"))
    marks = review_copy(ex)
    places = {m.text for m in marks if m.kind == "place" and m.used}
    assert {i.place for i in ex.drafts if i.lon is not None} <= places
    assert all(m.used for m in marks if m.kind == "figure" and m.figures.get("killed", 0) > 100)
