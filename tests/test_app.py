"""The desk app's logic through streamlit's AppTest: a real script run on a real store."""

from __future__ import annotations

import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from geo import desk
from geo.store import Store
from tests.conftest import ROOT

APP = str(ROOT / "streamlit_app.py")
SEED_ID = "balochistan-2026-02-01"


def plain(text: str) -> str:
    """Markdown as the reader sees it (the app escapes copy with backslashes and splits bare
    URLs and ``:name:`` with an invisible word joiner)."""
    return re.sub(r"\\(.)", r"\1", text).replace("\u2060", "")


@pytest.fixture()
def store_path(tmp_path, monkeypatch):
    path = tmp_path / "desk.gpkg"
    monkeypatch.setenv("SITMAP_STORE", str(path))
    monkeypatch.setenv("SITMAP_EDITOR", "tester")
    return path


@pytest.fixture()
def app(store_path) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, at.exception
    return at


def button(at: AppTest, label: str):
    found = [b for b in at.button if b.label == label]
    assert found, f"no button {label!r}; have {[b.label for b in at.button]}"
    return found[0]


def errors(at: AppTest) -> list[str]:
    return [plain(e.value) for e in at.error]


def table(at: AppTest):
    return at.dataframe[0].value


def field(at: AppTest, name: str):
    key = f"e{at.session_state['gen']}:{at.session_state['inc_select']}:{name}"
    for kind in (at.text_input, at.text_area, at.number_input, at.selectbox, at.radio):
        for w in kind:
            if w.key == key:
                return w
    raise AssertionError(f"no field {key}")


def test_first_run_seeds_the_store_and_lists_the_story(app, store_path):
    assert [s.id for s in Store(store_path).list()] == [SEED_ID]
    story_list = app.radio[0]
    assert story_list.options[0].startswith("**Coordinated attacks across Balochistan**")
    assert "8 incidents" in plain(story_list.options[0]) and "rev 1" in story_list.options[0]
    assert plain(app.title[0].value) == "Coordinated attacks across Balochistan"
    assert len(table(app)) == 8
    claims = [plain(m.value) for m in app.markdown]
    assert "**Chief Minister of Balochistan, via Reuters**" in claims
    assert "**Pakistan's military, via Associated Press**" in claims
    assert any(m.startswith("##### Not located (2)") for m in claims)
    assert not errors(app)


def test_filters_change_the_table(app, seed_story):
    grenades = [i.id for i in seed_story.incidents if i.attack_type == "grenade"]
    app.multiselect[0].set_value(["grenade"]).run()
    assert list(table(app)["id"]) == grenades
    caption = [plain(c.value) for c in app.caption if c.value.startswith("Showing")]
    assert caption == [
        f"Showing {len(grenades)} of 6 located incidents (filtered). Click a marker to edit "
        "that incident."
    ]
    app.multiselect[0].set_value([]).run()
    app.multiselect[2].set_value(["Gwadar"]).run()  # district
    assert set(table(app)["place"]) == {"Pasni", "Gwadar"}
    app.multiselect[2].set_value([]).run()
    app.multiselect[3].set_value(["unlocated"]).run()  # precision
    assert set(table(app)["id"]) == {"rail-tracks-damaged", "security-posts-other-districts"}


def test_edit_validate_and_save(app, store_path):
    app.selectbox(key="inc_select").set_value("quetta-police-vehicle").run()
    field(app, "place").set_value("Quetta city")
    field(app, "summary").set_value("   ")
    field(app, "lat").set_value(95.0)
    button(app, "Apply changes").click().run()
    problems = errors(app)
    assert any(p.startswith("Summary: ") for p in problems)
    assert any(p.startswith("Latitude: latitude 95.0 is outside -90..90") for p in problems)
    assert app.button(key="save").disabled  # nothing was applied, nothing to save
    assert Store(store_path).load(SEED_ID).story.incidents[0].place == "Quetta"

    field(app, "summary").set_value("Militants threw a grenade at a police vehicle.")
    field(app, "lat").set_value(30.18414)
    button(app, "Apply changes").click().run()
    assert not errors(app)
    assert any("Unsaved changes" in plain(w.value) for w in app.warning)
    app.button(key="save").click().run()
    assert any("Saved as revision 2" in plain(s.value) for s in app.success)
    loaded = Store(store_path).load(SEED_ID)
    assert loaded.revision == 2 and loaded.saved_by == "tester"
    assert loaded.story.incidents[0].place == "Quetta city"
    assert loaded.story.incidents[0].summary == "Militants threw a grenade at a police vehicle."


def test_stale_revision_merges_other_fields_and_conflicts_on_the_same_one(app, store_path):
    other = Store(store_path).load(SEED_ID)
    other.story.incidents[1].outcome = "inmates recaptured"
    Store(store_path).save(other.story, other.revision, editor="amina")

    app.selectbox(key="inc_select").set_value("quetta-police-vehicle").run()
    field(app, "place").set_value("Quetta cantonment")
    button(app, "Apply changes").click().run()
    app.button(key="save").click().run()  # different incidents: both edits survive
    assert not errors(app)
    assert any("Saved as revision 3, merged" in plain(s.value) for s in app.success)
    stored = Store(store_path).load(SEED_ID)
    assert stored.revision == 3 and stored.story.incidents[0].place == "Quetta cantonment"
    assert stored.story.incidents[1].outcome == "inmates recaptured"

    # the page now holds the merge: saving again must not revert amina's outcome
    field(app, "summary").set_value("A grenade was thrown at a police vehicle.")
    button(app, "Apply changes").click().run()
    app.button(key="save").click().run()
    assert not errors(app)
    assert Store(store_path).load(SEED_ID).story.incidents[1].outcome == "inmates recaptured"

    again = Store(store_path).load(SEED_ID)
    again.story.incidents[0].summary = "Changed elsewhere"
    Store(store_path).save(again.story, again.revision, editor="amina")
    field(app, "summary").set_value("Mine")
    button(app, "Apply changes").click().run()
    app.button(key="save").click().run()
    assert "Not saved: someone else saved this story after you opened it." in errors(app)[0]
    panel = "\n".join(plain(m.value) for m in app.markdown)
    assert "amina saved revision 5" in panel and "you started from revision 4" in panel
    app.button(key="reload").click().run()
    assert Store(store_path).load(SEED_ID).story.incidents[0].summary == "Changed elsewhere"


def test_keep_mine_keeps_only_my_conflicting_field_and_all_their_other_changes(app, store_path):
    other = Store(store_path).load(SEED_ID)
    other.story.incidents[0].place = "Quetta city"
    other.story.incidents[1].outcome = "inmates recaptured"
    Store(store_path).save(other.story, other.revision, editor="amina")

    app.selectbox(key="inc_select").set_value("quetta-police-vehicle").run()
    field(app, "place").set_value("Quetta cantonment")
    button(app, "Apply changes").click().run()
    app.button(key="save").click().run()
    assert "Not saved" in errors(app)[0]
    assert Store(store_path).load(SEED_ID).revision == 2  # nothing of mine yet
    # the panel shows the one field we both changed, with both values and whose they are
    panel = [plain(m.value) for m in app.markdown]
    assert "**Quetta city: location**" in panel
    assert "*Yours:* Place: Quetta cantonment" in panel
    assert "*amina's (revision 2):* Place: Quetta city" in panel
    assert app.radio(key="choice:0").value == "Keep mine"
    app.button(key="resolve").click().run()
    stored = Store(store_path).load(SEED_ID)
    assert stored.revision == 3 and stored.saved_by == "tester"
    assert stored.story.incidents[0].place == "Quetta cantonment"  # mine, chosen
    assert stored.story.incidents[1].outcome == "inmates recaptured"  # theirs, not reverted


def test_take_theirs_per_field_and_undo_discard(app, store_path):
    other = Store(store_path).load(SEED_ID)
    other.story.incidents[0].outcome = "theirs"
    other.story.incidents[0].actor = "their actor"
    Store(store_path).save(other.story, other.revision, editor="amina")
    app.selectbox(key="inc_select").set_value("quetta-police-vehicle").run()
    field(app, "outcome").set_value("mine")
    field(app, "actor").set_value("my actor")
    button(app, "Apply changes").click().run()
    app.button(key="save").click().run()
    labels = [plain(m.value) for m in app.markdown if m.value.startswith("**Quetta")]
    assert labels == ["**Quetta: outcome**", "**Quetta: actor**"]
    app.radio(key="choice:0").set_value("Take theirs")
    app.button(key="resolve").click().run()
    stored = Store(store_path).load(SEED_ID).story.incidents[0]
    assert (stored.outcome, stored.actor) == ("theirs", "my actor")

    # undo brings back the working copy before the last apply; discard the stored one
    assert app.button(key="undo").disabled
    field(app, "summary").set_value("First change.")
    button(app, "Apply changes").click().run()
    field(app, "summary").set_value("Second change.")
    button(app, "Apply changes").click().run()
    app.button(key="undo").click().run()
    assert field(app, "summary").value == "First change."
    app.button(key="discard").click().run()
    assert field(app, "summary").value == stored.summary
    assert app.button(key="save").disabled


def test_bad_import_lists_every_problem_and_changes_nothing(app, store_path, seed_doc):
    before = Store(store_path).list()
    app.file_uploader[0].set_value(("notes.geojson", b"this is not json", "application/json"))
    button(app, "Import").click().run()
    assert "notes.geojson: not valid JSON (line 1, column 1: Expecting value)" in errors(app)[0]

    seed_doc["story"]["id"] = "another-story"
    seed_doc["features"][0]["properties"]["attack_type"] = "ambush"
    seed_doc["features"][4]["geometry"] = {"type": "Point", "coordinates": [500, 30]}
    data = json.dumps(seed_doc).encode()
    app.file_uploader[0].set_value(("two-bad.geojson", data, "application/geo+json"))
    button(app, "Import").click().run()
    report = errors(app)[0]
    assert report.startswith("Nothing was imported (2 problems)")
    assert "incident 'quetta-police-vehicle': attack_type" in report
    assert "incident 'pasni-highway-buses': lon: longitude 500.0 is outside -180..180" in report
    assert Store(store_path).list() == before


def test_import_and_new_story(app, store_path, seed_doc):
    seed_doc["story"]["id"] = "copy-of-seed"
    seed_doc["story"]["title"] = "A copy <script>alert(1)</script>"
    app.file_uploader[0].set_value(("copy.geojson", json.dumps(seed_doc).encode(), "text/plain"))
    button(app, "Import").click().run()
    assert not errors(app)
    assert {s.id for s in Store(store_path).list()} == {SEED_ID, "copy-of-seed"}
    assert plain(app.title[0].value) == "A copy <script>alert(1)</script>"  # shown as text

    app.text_input(key="new_id").set_value("bad id with spaces")
    app.text_input(key="new_title").set_value("Karachi")
    button(app, "Create story").click().run()
    assert any("use letters, digits" in e for e in errors(app))
    app.text_input(key="new_id").set_value("karachi-2026-03-05")
    button(app, "Create story").click().run()
    assert plain(app.title[0].value) == "Karachi"
    assert Store(store_path).load("karachi-2026-03-05").revision == 1


def test_add_and_delete_incidents_and_edit_claims(app, store_path):
    button(app, "Add incident").click().run()
    assert app.session_state["inc_select"] == "new-incident"
    button(app, "Yes, delete it").click().run()  # inside the "Delete incident" popover
    assert app.session_state["inc_select"] is None
    gen = app.session_state["gen"]
    prefix = f"m{gen}:{SEED_ID}:"
    app.text_input(key=prefix + "title").set_value("")
    button(app, "Apply story details").click().run()
    assert any(e.startswith("Title: ") for e in errors(app))
    app.text_input(key=prefix + "title").set_value("Balochistan attacks")
    button(app, "Apply story details").click().run()
    app.button(key="save").click().run()
    saved = Store(store_path).load(SEED_ID).story
    assert saved.title == "Balochistan attacks"
    assert [c.source for c in saved.claims] == ["Reuters", "Associated Press"]
    assert saved.claims[0].militants_killed == 145


def test_the_editors_description_is_saved_and_becomes_the_embeds_alt_text(app, store_path):
    from geo import embed

    prefix = f"m{app.session_state['gen']}:{SEED_ID}:"
    text = "Where militants struck across Balochistan on 31 January, by target."
    app.text_area(key=prefix + "description").set_value(text)
    button(app, "Apply story details").click().run()
    app.button(key="save").click().run()
    saved = Store(store_path).load(SEED_ID).story
    assert saved.description == text
    assert text in embed.render_html(saved)


def test_pasted_article_adds_drafts_for_review_never_verified(app, store_path):
    from tests.conftest import SEED_ARTICLE

    app.text_input(key="new_id").set_value("from-copy")
    app.text_input(key="new_title").set_value("From the wire")
    button(app, "Create story").click().run()
    app.text_area(key="article").set_value(SEED_ARTICLE.read_text(encoding="utf-8"))
    button(app, "Extract drafts").click().run()
    assert any("draft incident(s) for review" in plain(s.value) for s in app.success)
    rows = table(app)
    assert len(rows) >= 6 and set(rows["status"]) == {"draft"}
    assert {"Mastung", "Nushki", "Pasni"} <= set(rows["place"])
    assert Store(store_path).load("from-copy").story.incidents == []  # not saved until Save
    app.button(key="save").click().run()
    saved = Store(store_path).load("from-copy").story
    assert saved.incidents and all(i.status == "draft" for i in saved.incidents)

    app.text_area(key="article").set_value("")
    button(app, "Extract drafts").click().run()
    assert app.warning and not app.exception


def test_paste_without_a_year_stays_undated_until_the_editor_gives_the_publication_date(
    app, store_path
):
    """Wire datelines rarely carry a year: the app asks for one instead of guessing."""
    import datetime as dt
    from pathlib import Path

    copy = (Path(__file__).parent / "articles" / "kp-bannu-lakki.txt").read_text()
    for sid, published in (("undated-copy", None), ("dated-copy", dt.date(2026, 3, 14))):
        app.text_input(key="new_id").set_value(sid)
        app.text_input(key="new_title").set_value("Bannu and Lakki Marwat")
        button(app, "Create story").click().run()
        app.text_area(key="article").set_value(copy)
        app.date_input(key="article_published").set_value(published)
        button(app, "Extract drafts").click().run()
        message = " ".join(plain(s.value) for s in app.success)
        assert ("have no date" in message) is (published is None), message
        app.button(key="save").click().run()
        bannu = [i for i in Store(store_path).load(sid).story.incidents if i.place == "Bannu"]
        assert bannu, "the Bannu attack is drafted either way"
        assert bannu[0].date == published


def test_oversized_upload_is_refused_with_a_clear_message(app, store_path):
    before = Store(store_path).list()
    app.file_uploader[0].set_value(("huge.geojson", b" " * (50 * 1024 * 1024), "text/plain"))
    button(app, "Import").click().run()
    assert "huge.geojson: the file is 52.4 MB; the limit is 20 MB" in errors(app)[0]
    assert Store(store_path).list() == before


def test_ten_thousand_incidents_stay_usable(store_path, seed_story):
    from geo.model import Story

    incidents = [
        seed_story.incidents[k % 8].model_copy(update={"id": f"i{k}"}) for k in range(10_000)
    ]
    big = Story.model_validate(
        {**seed_story.model_dump(exclude={"incidents"}), "id": "big", "incidents": incidents}
    )
    Store(store_path).save(big, None)
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.radio[0].set_value("big").run()
    assert not at.exception
    assert len(table(at)) == 50  # one page, not 10,000 rows
    pager = at.number_input[0]
    assert pager.label == "Page (of 200)"
    pager.set_value(200).run()
    assert list(table(at)["id"])[-1] == "i9999"


def test_regeocode_from_ranked_candidates_then_mark_unlocated(app, store_path):
    app.selectbox(key="inc_select").set_value("pasni-highway-buses").run()
    field(app, "query").set_value("Turbat")
    button(app, "Look up").click().run()
    [cands] = [r for r in app.radio if r.label == "Candidates (best first)"]
    assert plain(cands.options[0]).startswith("Turbat (town) — Kech district, Balochistan")
    assert "precision: town" in plain(cands.options[0])
    button(app, "Use this place").click().run()
    assert (field(app, "place").value, field(app, "district").value) == ("Turbat", "Kech")
    button(app, "Apply changes").click().run()
    app.button(key="save").click().run()
    moved = {i.id: i for i in Store(store_path).load(SEED_ID).story.incidents}
    assert moved["pasni-highway-buses"].district == "Kech"
    assert moved["pasni-highway-buses"].lat == pytest.approx(26.0, abs=0.1)

    button(app, "Mark as not located").click().run()
    button(app, "Apply changes").click().run()
    app.button(key="save").click().run()
    gone = {i.id: i for i in Store(store_path).load(SEED_ID).story.incidents}
    assert not gone["pasni-highway-buses"].located
    assert gone["pasni-highway-buses"].geo_precision == "unlocated"


def rendered_markdown(at: AppTest) -> list[str]:
    """Every string the app hands to Streamlit's markdown renderer on this run."""
    out = []
    for kind in (
        at.markdown,
        at.caption,
        at.title,
        at.header,
        at.subheader,
        at.error,
        at.warning,
        at.info,
        at.success,
    ):
        out += [e.value for e in kind]
    for r in at.radio:
        out += [str(o) for o in r.options]  # radio labels are markdown too (the story list)
    return out


def assert_copy_escaped(at: AppTest, payloads: tuple[str, ...]) -> int:
    """No payload reaches markdown raw, none is rendered as HTML; returns how many rendered
    strings carry (escaped) payloads, so a caller can check the copy is really shown."""
    assert not at.exception, at.exception
    assert [m.value[:60] for m in at.markdown if m.proto.allow_html] == []
    shown = 0
    for text in rendered_markdown(at):
        raw = [p for p in payloads if p in text]
        assert raw == [], f"unescaped copy in {text[:80]!r}: {raw[:3]}"
        seen = plain(text)
        escaped = [p for p in payloads if p in seen]
        assert all(desk.md(p) in text for p in escaped)
        shown += bool(escaped)
    return shown


@pytest.mark.parametrize("order", ["markdown-first", "reversed"])
def test_hostile_copy_only_reaches_markdown_escaped(store_path, seed_story, order):
    """Every text field of a story carries HTML/script/markdown payloads (tests/xss_corpus);
    every view that shows them renders them as text: story list, header, claims, not-located
    list, editor (evidence, cues, field errors), conflict panel, publish."""
    from geo.model import Evidence
    from tests.xss_corpus import MARKDOWN_PAYLOADS, TEXT_PAYLOADS, URL_PAYLOADS, poison_story

    payloads = (*MARKDOWN_PAYLOADS, *TEXT_PAYLOADS)
    if order == "reversed":
        payloads = payloads[::-1]
    incs = list(seed_story.incidents)
    incs[0] = incs[0].model_copy(
        update={"evidence": [Evidence(text="x", start=0, end=1)], "cues": ["x"]}
    )
    story = poison_story(
        seed_story.model_copy(update={"id": "xss", "incidents": incs}), None, payloads=payloads
    )
    editor = " ".join(payloads[:3])
    store = desk.open_store(store_path)
    store.import_story(story, editor=editor)
    every = (*payloads, *URL_PAYLOADS, editor)

    at = AppTest.from_file(APP, default_timeout=60).run()
    assert at.session_state["story_id"] == "xss"
    assert assert_copy_escaped(at, every) >= 8  # list, title, caption, claims, not located
    assert plain(at.title[0].value) == story.title

    at.selectbox(key="inc_select").set_value(story.incidents[0].id).run()
    assert assert_copy_escaped(at, every) >= 10  # + evidence, cues
    button(at, "Apply changes").click().run()  # the sources hold javascript:/data: links
    assert any(e.startswith("Sources: line ") for e in errors(at))
    assert_copy_escaped(at, every)

    field(at, "sources").set_value("Reuters | https://example.org/story")
    field(at, "outcome").set_value("edited here")
    button(at, "Apply changes").click().run()
    other = store.load("xss")
    changed = [i.model_copy(update={"outcome": "edited there"}) for i in other.story.incidents]
    store.save(other.story.model_copy(update={"incidents": changed}), other.revision, editor=editor)
    at.button(key="save").click().run()
    assert "Not saved: someone else saved this story" in errors(at)[0]
    assert any(plain(m.value).startswith(f"- {editor} saved revision 2") for m in at.markdown)
    assert_copy_escaped(at, every)

    at.text_input(key="url:xss").set_value("javascript:alert(40)").run()
    assert any("is not a web address for the iframe" in e for e in errors(at))
    assert not at.code  # no snippet with a javascript: iframe
    assert_copy_escaped(at, (*every, "javascript:alert(40)"))


def test_extracting_the_same_copy_again_adds_no_duplicates_and_dates_the_drafts(app, store_path):
    """The app asks for "Published" and another extraction when the copy has no year:
    doing so dates the drafts already there instead of adding them twice."""
    import datetime as dt
    from pathlib import Path

    copy = (Path(__file__).parent / "articles" / "kp-bannu-lakki.txt").read_text()
    app.text_input(key="new_id").set_value("again")
    app.text_input(key="new_title").set_value("Bannu")
    button(app, "Create story").click().run()
    app.text_area(key="article").set_value(copy)
    button(app, "Extract drafts").click().run()
    first = list(table(app)["id"])
    assert first and not any(table(app)["date"])
    app.date_input(key="article_published").set_value(dt.date(2026, 3, 14))
    button(app, "Extract drafts").click().run()
    assert list(table(app)["id"]) == first  # nothing added twice
    message = " ".join(plain(s.value) for s in app.success)
    assert "Added 0 draft incident(s)" in message
    assert f"{len(first)} were already in the story" in message and "now dated" in message
    assert all(table(app)["date"])


def test_publish_checklist_warns_until_the_editor_overrides_it(app, store_path):
    app.text_input(key="new_id").set_value("checklist")
    app.text_input(key="new_title").set_value("Unchecked")
    button(app, "Create story").click().run()
    button(app, "Add incident").click().run()
    app.button(key="save").click().run()
    warnings = [plain(w.value) for w in app.warning]
    assert "1 incident(s) are drafts no editor has checked: “new-incident”." in warnings
    assert "1 incident(s) have no source: “new-incident”." in warnings
    assert any(w.startswith("The story has no period") for w in warnings)
    assert [b for b in app.button if b.key == "prepare"] == []
    app.checkbox(key="pub_override:checklist:2").check().run()
    assert app.button(key="prepare")


def test_applying_an_unchanged_incident_says_so(app):
    app.selectbox(key="inc_select").set_value("quetta-police-vehicle").run()
    button(app, "Apply changes").click().run()
    assert any("Nothing to apply" in plain(i.value) for i in app.info)
    assert app.button(key="save").disabled and app.button(key="undo").disabled


#: Written for this test: an attack in one town, another town only mentioned.
REVIEW_COPY = (
    "QUETTA, March 3 (Reuters) - Gunmen attacked a levies post in Turbat on Sunday, killing "
    "two guards, officials said.\n"
    "Traders in Panjgur said they heard gunfire through the night and closed their shops.\n"
)


def test_copy_review_highlights_the_copy_and_one_click_drafts_a_missed_place(app, store_path):
    import datetime as dt

    app.text_input(key="new_id").set_value("review")
    app.text_input(key="new_title").set_value("Turbat")
    button(app, "Create story").click().run()
    app.text_area(key="article").set_value(REVIEW_COPY)
    app.date_input(key="article_published").set_value(dt.date(2026, 3, 4))
    button(app, "Extract drafts").click().run()
    assert list(table(app)["place"]) == ["Turbat"]
    [review] = [e for e in app.expander if e.label.startswith("Copy review")]
    assert "1 not used" in review.label
    copy = "\n".join(m.value for m in app.markdown)
    assert ":green-background[Turbat]" in copy  # the draft's site
    assert ":orange-background[Panjgur]" in copy  # only mentioned: no draft
    assert ":blue-background[" in copy  # the selected draft's evidence sentence
    [add] = [b for b in app.button if b.label == "Add a draft here"]
    add.click().run()
    assert list(table(app)["place"]) == ["Turbat", "Panjgur"]
    assert app.session_state["inc_select"] == table(app)["id"][1]  # opened in the editor
    assert ":green-background[Panjgur]" in "\n".join(m.value for m in app.markdown)
    app.button(key="save").click().run()
    panjgur = Store(store_path).load("review").story.incidents[1]
    assert panjgur.status == "draft" and panjgur.located and panjgur.district == "Panjgur"


def test_text_typed_but_not_applied_survives_a_merged_save(app, store_path):
    other = Store(store_path).load(SEED_ID)
    other.story.incidents[1].outcome = "theirs"
    Store(store_path).save(other.story, other.revision, editor="amina")
    app.selectbox(key="inc_select").set_value("quetta-police-vehicle").run()
    field(app, "outcome").set_value("applied")
    button(app, "Apply changes").click().run()
    field(app, "summary").set_value("typed, not applied yet")
    app.button(key="save").click().run()
    assert any("Saved as revision 3, merged" in plain(s.value) for s in app.success)
    assert field(app, "summary").value == "typed, not applied yet"  # still in the editor
    assert field(app, "outcome").value == "applied"
    stored = Store(store_path).load(SEED_ID).story
    assert (stored.incidents[0].outcome, stored.incidents[1].outcome) == ("applied", "theirs")
