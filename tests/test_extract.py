"""Wire copy → draft incidents, as the desk uses it: the seed article, hand-written test
articles with hand-made expectations (tests/articles/), bad input, and the CLI."""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import time

import pytest

from geo.errors import SitmapError
from geo.extract import Extraction, extract_article, split_sentences
from geo.gazetteer import Gazetteer
from geo.model import load_story, loads_story, save_story
from tests.conftest import ROOT, SEED_ARTICLE, SEED_ARTICLES, SEED_STORY

SITMAP = shutil.which("sitmap") or ""
ARTICLES = ROOT / "tests" / "articles"


@pytest.fixture(scope="session")
def gaz(districts_path) -> Gazetteer:
    return Gazetteer.load(districts_path)


@pytest.fixture(scope="session")
def extract(gaz, layer):
    def run(text: str, **kw) -> Extraction:
        return extract_article(text, gazetteer=gaz, districts=layer, **kw)

    return run


@pytest.fixture(scope="session", params=SEED_ARTICLES, ids=lambda p: p.stem)
def seed_text(request) -> str:
    return request.param.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed(extract, seed_text) -> Extraction:
    return extract(seed_text, story_id="seed-drafts")


def by_place(result: Extraction) -> dict[str, object]:
    return {d.place: d for d in result.drafts if d.located}


def run_cli(*args: str) -> subprocess.CompletedProcess:
    cmd = [SITMAP, *args] if SITMAP else [sys.executable, "-m", "geo.cli", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


# --- the seed article -------------------------------------------------------------------


SEED_SITES = {
    "Quetta": ("Quetta", "grenade", ["police"]),
    "Mastung": ("Mastung", "armed_assault", ["prison"]),
    "Nushki": ("Nushki", "armed_assault", ["paramilitary"]),
    "Dalbandin": ("Chagai", "grenade", ["government_office"]),
    "Pasni": ("Gwadar", "abduction", ["highway", "civilians"]),
    "Gwadar": ("Gwadar", "abduction", ["highway", "civilians"]),
}


def test_seed_has_the_six_located_sites_with_districts_types_and_infrastructure(seed):
    sites = by_place(seed)
    assert set(sites) == set(SEED_SITES)
    for place, (district, attack, infra) in SEED_SITES.items():
        d = sites[place]
        assert d.district == district, place
        assert d.province == "Balochistan"
        assert d.attack_type.value == attack, place
        assert [i.value for i in d.infrastructure] == infra, place
        assert d.geo_precision.value == "town"
        assert d.status.value == "draft"


def test_seed_mastung_reports_the_district_the_copy_names(seed):
    mastung = by_place(seed)["Mastung"]
    assert mastung.district_match == "named"
    assert "Mastung district" in mastung.evidence[0].text
    assert any("named as a district" in c for c in mastung.cues)
    assert mastung.outcome and "30 inmates freed" in mastung.outcome


def test_seed_outcomes(seed):
    sites = by_place(seed)
    assert "repelled" in sites["Nushki"].outcome
    assert "fled" in sites["Dalbandin"].outcome


def test_seed_rail_sabotage_and_security_posts_are_unlocated(seed):
    unlocated = {
        (d.attack_type.value, tuple(i.value for i in d.infrastructure))
        for d in seed.drafts
        if not d.located
    }
    assert unlocated == {("sabotage", ("rail",)), ("armed_assault", ("security_post",))}
    for d in seed.drafts:
        if not d.located:
            assert d.lon is None and d.geo_precision.value == "unlocated"
            assert any("unlocated" in c for c in d.cues)


def test_seed_casualty_accounts_are_separate_attributed_claims(seed):
    claims = seed.story.claims
    assert len(claims) == 2
    cm = next(c for c in claims if "chief minister" in (c.attributed_to or ""))
    assert (cm.militants_killed, cm.security_killed, cm.civilians_killed) == (145, 17, 31)
    assert cm.source == "Reuters"
    mil = next(c for c in claims if "military" in (c.attributed_to or ""))
    assert (mil.killed, mil.militants_killed, mil.qualifier) == (33, 92, "at least")
    assert mil.source == "Associated Press"
    # story totals are claims, never incidents
    assert all(d.place not in (None, "Balochistan") or not d.located for d in seed.drafts)


def test_seed_no_site_for_the_dateline_or_foreign_places(seed):
    places = {d.place for d in seed.drafts}
    assert not places & {"Islamabad", "India", "New Delhi", "Pakistan", "Balochistan"}
    assert seed.filed_from == "Islamabad"
    assert seed.filed_on is not None and seed.filed_on.isoformat() == "2026-02-01"


def test_seed_drafts_carry_evidence_offsets_cues_attribution_and_actor(seed):
    for d in seed.drafts:
        ev = d.evidence[0]
        assert seed.text[ev.start : ev.end] == ev.text
        assert d.summary == ev.text
        assert any(c.startswith("attack:") for c in d.cues)
        assert d.actor == "BLA (claimed)"
    quetta = by_place(seed)["Quetta"]
    assert quetta.casualties[0].security_killed == 2
    assert "Bakht Muhammad Kakar" in quetta.casualties[0].attributed_to
    assert seed.story.responsibility[0].actor.startswith("Baloch Libration Army")


def test_seed_attacks_are_dated_before_the_report_not_on_its_day(seed):
    """Reported on Sunday 1 Feb 2026; the copy says the militants were killed 'over a
    40-hour period following' the attacks, so the attacks did not all happen on 1 Feb:
    every draft is a range ending on 1 Feb that reaches back over those 40 hours (it holds
    31 Jan, the day the hand-made seed story gives), with the words behind it in its cues."""
    import datetime as dt

    feb1 = dt.date(2026, 2, 1)
    hand_made = {i.place: i for i in load_story(SEED_STORY).incidents}
    for d in seed.drafts:
        assert d.date_precision.value == "range", d.place
        assert d.date_end == feb1 and d.date < dt.date(2026, 1, 31) + dt.timedelta(days=1)
        assert d.date >= feb1 - dt.timedelta(days=2)  # 40 hours reach two calendar days back
        cue = next(c for c in d.cues if c.startswith("date:"))
        assert "40-hour" in cue and "02/01/2026" in cue and "'Feb. 1'" in cue
        ref = hand_made.get(d.place)
        if ref is not None:
            assert d.date <= ref.date and (ref.date_end or ref.date) <= d.date_end, d.place
    assert seed.story.period.start == min(d.date for d in seed.drafts)
    assert seed.story.period.end == feb1


def test_seed_drafts_validate_and_round_trip_as_a_story_file(seed, tmp_path):
    path = tmp_path / "d.geojson"
    save_story(seed.story, path)
    story = load_story(path)
    assert story.id == "seed-drafts"
    assert len(story.located) == 6 and len(story.unlocated) == 2
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert sum(f["geometry"] is None for f in doc["features"]) == 2
    assert all(f["properties"]["status"] == "draft" for f in doc["features"])


def test_extraction_is_deterministic(extract, seed_text):
    from geo.model import dumps_story

    a = dumps_story(extract(seed_text, story_id="x").story)
    b = dumps_story(extract(seed_text, story_id="x").story)
    assert a == b


# --- hand-written articles: evaluation targets ------------------------------------------


def _eval_module():
    spec = importlib.util.spec_from_file_location(
        "eval_extract", ROOT / "benchmarks" / "eval_extract.py"
    )
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


def _scores(gaz, layer) -> dict:
    ev = _eval_module()
    groups: dict = {}
    for name, article, exp in ev.cases():
        result = extract_article(
            article.read_text(encoding="utf-8"),
            gazetteer=gaz,
            districts=layer,
            published=exp.get("published"),
        )
        groups.setdefault(ev.group_of(name), ev.Score()).add(ev.score(result, exp, name))
    return groups


def test_evaluation_over_the_tuned_articles_meets_the_targets(gaz, layer):
    """The seed and the early and held-out articles (every rule was checked on them)."""
    ev = _eval_module()
    groups = _scores(gaz, layer)
    total = ev.Score()
    for name in ("seed+early", "held-out", "held-out 2"):
        total.add(groups[name])
    assert total.expected >= 25  # seed + at least five more articles
    assert total.precision >= 0.9, total.problems
    assert total.recall >= 0.9, total.problems
    assert total.attack_type >= 0.85, total.problems
    assert total.infrastructure >= 0.85, total.problems
    assert total.forbidden == []
    # dates: every draft's window holds the expected date; most are exactly the expected one
    assert total.dates_expected >= 30 and total.dates_blank == 0
    assert total.date_consistent >= 0.95, total.problems
    assert total.date_exact >= 0.75, total.problems


def test_development_corpus_does_not_fall_below_its_last_measurement(gaz, layer):
    """The 60-article development corpus (written blind to the rules, tests/articles/dev-*)
    is far from the targets yet; this holds the ground gained (see benchmarks/eval_extract.py
    for the full figures) so a rule change that loses sites or adds spurious ones fails."""
    dev = _scores(gaz, layer)["dev corpus"]
    assert dev.expected >= 60 and dev.claims_expected >= 60
    assert dev.recall >= 0.85, dev.problems
    assert dev.precision >= 0.80, dev.problems
    drafts = dev.predicted + dev.unlocated_predicted
    assert drafts <= 1.25 * (dev.expected + dev.unlocated_expected), dev.problems
    assert dev.claims_toll >= 0.65 * dev.claims_expected, dev.problems
    assert dev.claims_found >= 0.48 * dev.claims_expected, dev.problems


def test_people_named_like_places_are_not_sites(extract):
    text = (ARTICLES / "kp-bannu-lakki.txt").read_text(encoding="utf-8")
    result = extract(text)
    assert "Mohmand" not in {d.place for d in result.drafts}
    lakki = next(d for d in result.drafts if d.district == "Lakki Marwat")
    assert any('"Mohmand"' in c and "name" in c for c in lakki.cues)
    assert result.filed_from == "Peshawar"
    assert "Peshawar" not in {d.place for d in result.drafts}


def test_dateline_city_is_a_site_when_the_body_reports_an_attack_there(extract):
    result = extract((ARTICLES / "sindh-karachi-rail.txt").read_text(encoding="utf-8"))
    assert result.filed_from == "Karachi"
    assert by_place(result)["Karachi"].infrastructure[0].value == "airport"
    # places named in sentences that report no attack are not sites
    assert not {"Sukkur", "Quetta", "Beijing"} & {d.place for d in result.drafts}


def test_unknown_town_before_a_named_district_is_pinned_at_district_precision(extract):
    result = extract(
        "QUETTA, March 3 (Reuters) - Insurgents blew up a gas pipeline near Zzyzxabad in "
        "Dera Bugti district on Monday, officials said."
    )
    (d,) = result.drafts
    assert (d.place, d.district, d.geo_precision.value) == ("Zzyzxabad", "Dera Bugti", "district")
    assert d.attack_type.value == "sabotage" and d.infrastructure[0].value == "energy"
    assert "not in the gazetteer" in " ".join(d.cues)


def test_places_geonames_lacks_are_pinned_at_town_precision(extract):
    """Sui and Mir Ali come from the hand-entered table: a town marker, its district, and a
    cue saying the point is approximate; "Karachi's Lyari" is a site in Lyari, not Karachi."""
    result = extract(
        "QUETTA, March 3 (Reuters) - Insurgents blew up a gas pipeline near Sui in Dera Bugti "
        "district on Monday, officials said.\nMilitants attacked a security post in Mir Ali, "
        "North Waziristan, killing two soldiers.\nIn Karachi's Lyari neighbourhood, gunmen "
        "kidnapped a trader."
    )
    got = {d.place: d for d in result.drafts}
    assert set(got) == {"Sui", "Mir Ali", "Lyari"}
    for place, district in [("Sui", "Dera Bugti"), ("Mir Ali", "North Waziristan"),
                            ("Lyari", "Karachi")]:  # fmt: skip
        d = got[place]
        assert (d.district, d.geo_precision.value) == (district, "town"), place
        assert any("entered by hand" in c for c in d.cues), place


def test_two_places_in_one_sentence_each_take_their_own_clauses_attack_and_target(extract):
    result = extract(
        "Gunmen stormed a police station in Bannu and a roadside bomb struck a passenger bus "
        "in Lakki Marwat.\nA bomb exploded near a market in Quetta, while gunmen attacked a "
        "checkpoint in Turbat."
    )
    got = {
        d.district: (d.attack_type.value, sorted(i.value for i in d.infrastructure))
        for d in result.drafts
    }
    assert got == {
        "Bannu": ("armed_assault", ["police"]),
        "Lakki Marwat": ("bombing", ["civilians", "highway"]),
        "Quetta": ("bombing", ["civilians"]),
        "Kech": ("armed_assault", ["security_post"]),
    }


def test_a_complex_attack_keeps_one_type_and_names_the_second(extract):
    """'a suicide bomber rammed …, then gunmen stormed …' at one place is one attack: one
    draft, the first type, and the second named for the editor (GTD's attacktype2)."""
    (d,) = extract(
        "A suicide bomber rammed an explosives-laden car into the gate of a police station in "
        "Bannu, then gunmen stormed the compound, police said."
    ).drafts
    assert d.attack_type.value == "suicide_bombing"
    assert any(c.startswith("also in this attack: armed_assault ('stormed')") for c in d.cues)
    assert "also armed_assault" in d.notes


def test_route_endpoints_and_demonyms_are_not_sites(extract):
    result = extract(
        "Gunmen opened fire on a bus travelling from Quetta to Karachi near Khuzdar, killing "
        "four Punjabi labourers, police said."
    )
    assert [d.place for d in result.drafts] == ["Khuzdar"]
    assert result.drafts[0].casualties[0].civilians_killed == 4


# --- dates ------------------------------------------------------------------------------


def _dates(result: Extraction) -> dict[str, tuple[str | None, str | None, str]]:
    return {
        d.place: (
            d.date and d.date.isoformat(),
            d.date_end and d.date_end.isoformat(),
            d.date_precision.value,
        )
        for d in result.drafts
    }


def _date_cue(result: Extraction, place: str) -> str:
    d = next(d for d in result.drafts if d.place == place)
    return next(c for c in d.cues if c.startswith("date:"))


WIRE = (
    "ISLAMABAD, Feb. 1, 2026 (Reuters) - Militants stormed a prison in Mastung on Saturday, "
    "police said on Sunday.\n"
    "A bomb exploded near a police station in Quetta late Friday, officials said.\n"
    "Gunmen attacked a checkpoint in Nushki overnight.\n"
    "A grenade was thrown at a government office in Dalbandin on Jan. 29.\n"
    "Hours later, gunmen opened fire on a bus in Turbat.\n"
    "Separately, militants blew up a gas pipeline near Sui, police said Sunday.\n"
)


def test_weekdays_and_day_words_are_counted_back_from_the_dateline(extract):
    result = extract(WIRE)
    got = _dates(result)
    assert result.filed_on.isoformat() == "2026-02-01"  # a Sunday
    assert got["Mastung"] == ("2026-01-31", None, "day")  # 'on Saturday', not the day it was said
    assert got["Quetta"] == ("2026-01-30", None, "day")  # 'late Friday'
    assert got["Nushki"] == ("2026-01-31", "2026-02-01", "range")  # 'overnight'
    assert got["Dalbandin"] == ("2026-01-29", None, "day")  # 'on Jan. 29'
    # 'hours later' than 29 Jan: that day or the next
    assert got["Turbat"] == ("2026-01-29", "2026-01-30", "range")
    # 'police said Sunday' dates the statement: the attack's own day is not stated
    sui = got["Sui"]
    assert sui[2] == "range" and sui[1] == "2026-02-01" and sui[0] <= "2026-01-29"
    assert "'Saturday'" in _date_cue(result, "Mastung")
    assert "Sun 2026-02-01" in _date_cue(result, "Mastung")
    assert "not stated" in _date_cue(result, "Sui")
    assert (result.story.period.start.isoformat(), result.story.period.end.isoformat()) == (
        "2026-01-29",
        "2026-02-01",
    )


def test_a_dateline_without_a_year_takes_it_from_the_reference_date_never_the_clock(extract):
    text = "PESHAWAR, Oct. 9 (AP) - Gunmen abducted six officials in Landi Kotal on Wednesday."
    blank = extract(text)
    (d,) = blank.drafts
    assert d.date is None and blank.filed_on is None
    cue = _date_cue(blank, "Landi Kotal")
    assert "not set" in cue and "no year" in cue and "--date" in cue
    assert "--date" in (d.notes or "")
    dated = extract(text, published="2025-10-10")
    assert _dates(dated)["Landi Kotal"] == ("2025-10-08", None, "day")
    assert "reference date 2025-10-10" in _date_cue(dated, "Landi Kotal")
    # a dateline just before New Year, published just after it: the previous year
    late = extract(
        "KARACHI, Dec. 31 (AFP) - A bomb exploded in Hyderabad on Wednesday.",
        published="2026-01-01",
    )
    assert late.filed_on.isoformat() == "2025-12-31"
    assert _dates(late)["Hyderabad"] == ("2025-12-31", None, "day")


def test_copy_without_a_dateline_date_counts_from_the_reference_date_or_stays_blank(extract):
    text = (
        "PESHAWAR, Pakistan (AP) — A suicide bomber struck a mosque in Peshawar on Monday.\n"
        "Gunmen killed two traffic wardens in Charsadda."
    )
    blank = extract(text)
    assert all(d.date is None for d in blank.drafts)
    assert "no dateline date" in _date_cue(blank, "Charsadda")
    dated = extract(text, published="2023-01-31")
    got = _dates(dated)
    assert got["Peshawar"] == ("2023-01-30", None, "day")
    # not stated: from the copy's earliest dated event to the reference date
    assert got["Charsadda"] == ("2023-01-30", "2023-01-31", "range")


def test_traffic_wardens_are_police(extract):
    (d,) = extract("Gunmen on motorcycles killed two traffic wardens in Charsadda.").drafts
    assert [i.value for i in d.infrastructure] == ["police"]
    assert d.casualties[0].security_killed == 2


def test_dates_stated_in_full_need_no_dateline(extract):
    result = extract("Militants stormed a prison in Mastung on January 31, 2026, police said.")
    assert _dates(result)["Mastung"] == ("2026-01-31", None, "day")
    assert "stated in the copy" in _date_cue(result, "Mastung")


def test_a_bad_reference_date_is_a_user_error(extract):
    with pytest.raises(SitmapError, match="YYYY-MM-DD"):
        extract("A bomb exploded in Quetta.", published="1 Feb")


# --- sentences ----------------------------------------------------------------------------


def test_sentence_splitter_keeps_abbreviations_and_initials_and_exact_offsets():
    text = "Islamabad, Feb. 1: A bomb went off in D.I. Khan. Mr. Khan said so.\nNext line here."
    sents = split_sentences(text)
    assert [s.text for s in sents] == [
        "Islamabad, Feb. 1: A bomb went off in D.I. Khan.",
        "Mr. Khan said so.",
        "Next line here.",
    ]
    assert all(text[s.start : s.end] == s.text for s in sents)


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   \n\t  ", "\u200b"])
def test_empty_text_gives_no_drafts_and_a_reason(extract, text):
    result = extract(text)
    assert result.drafts == [] and "empty" in result.reason


def test_one_megabyte_of_text_gives_a_reason_quickly(extract, seed_text):
    big = (seed_text + "\n") * (1_000_000 // len(seed_text) + 1)
    assert len(big) >= 1_000_000
    t0 = time.perf_counter()
    result = extract(big)
    assert time.perf_counter() - t0 < 2
    assert (
        result.drafts == [] and "characters" in result.reason and "single article" in result.reason
    )


@pytest.mark.parametrize(
    "text",
    [
        "کوئٹہ میں پولیس کی گاڑی پر دستی بم حملہ، دو اہلکار جاں بحق ہو گئے۔ " * 5,
        "Les forces de sécurité ont tué des militants dans la province, selon le ministre. "
        "Une bombe a explosé près d'un poste de police à Quetta dimanche, tuant deux policiers. "
        "Des hommes armés ont attaqué une prison à Mastung et libéré des détenus.",
    ],
    ids=["urdu", "french"],
)
def test_non_english_text_gives_no_drafts_and_a_reason(extract, text):
    result = extract(text)
    assert result.drafts == [] and "English" in result.reason


def test_text_with_no_attacks_gives_a_reason(extract):
    result = extract((ARTICLES / "no-attack-floods.txt").read_text(encoding="utf-8"))
    assert result.drafts == [] and "no sentence describes an attack" in result.reason
    assert result.story.claims == []


def test_html_from_a_web_page_is_stripped_and_gives_the_same_drafts(extract, seed_text, seed):
    paras = "".join(f"<p>{line}</p>\n" for line in seed_text.splitlines())
    page = (
        "<!doctype html><html><head><title>Attacks</title><style>p{color:red}</style>"
        "<script>var s = 'A bomb exploded at a police station in Sibi';</script></head>"
        f"<body><nav><a href='/'>Home</a></nav><article>{paras}</article>"
        "<footer>&copy; 2026 News &amp; Co</footer></body></html>"
    )
    result = extract(page, story_id="seed-drafts")
    assert "HTML tags stripped" in " ".join(result.notes)
    assert "<" not in result.text and "Sibi" not in result.text
    assert [(d.place, d.attack_type) for d in result.drafts] == [
        (d.place, d.attack_type) for d in seed.drafts
    ]
    for d in result.drafts:
        ev = d.evidence[0]
        assert result.text[ev.start : ev.end] == ev.text


@pytest.mark.parametrize(
    "text",
    [
        "\x00\x01\x02 bomb \ufffd\ufffd exploded in",
        "<<<>>> <p <div>> </ bomb",
        "killed " * 5000,
        "A" * 150_000,
        "Quetta " * 3000 + "bomb exploded.",
        "In Quetta district district district, 12,,,000 killing at least at least people.",
        "A bomb exploded at a police station in Quetta " + "and more " * 1500,
    ],
    ids=[
        "control",
        "broken-html",
        "repeated-word",
        "one-long-word",
        "repeated-place",
        "odd",
        "runaway-sentence",
    ],
)
def test_garbage_never_crashes(extract, text):
    result = extract(text)
    assert isinstance(result, Extraction)
    assert result.drafts or result.reason
    for d in result.drafts:
        for ev in d.evidence:
            assert result.text[ev.start : ev.end] == ev.text
    loads_story(json.dumps(__import__("geo.model", fromlist=["x"]).story_to_geojson(result.story)))


def test_bad_story_id_is_a_user_error(extract):
    with pytest.raises(SitmapError, match="story id"):
        extract("A bomb exploded in Quetta.", story_id="has spaces")


# --- CLI ----------------------------------------------------------------------------------


def test_cli_extract_writes_drafts_that_validate_and_build(tmp_path):
    out = tmp_path / "d.geojson"
    proc = run_cli("extract", str(SEED_ARTICLE), "--out", str(out), "--story-id", "seed-x")
    assert proc.returncode == 0, proc.stderr
    assert "8 draft(s) (6 located, 2 unlocated), 2 casualty claim(s)" in proc.stdout
    assert "filed from Islamabad" in proc.stdout
    story = load_story(out)
    assert story.id == "seed-x" and all(i.status.value == "draft" for i in story.incidents)
    html = tmp_path / "d.html"
    proc = run_cli("build", str(out), "--out", str(html))
    assert proc.returncode == 0, proc.stderr
    page = html.read_text(encoding="utf-8")
    assert "Dalbandin" in page and "Pasni" in page


def test_cli_extract_date_gives_the_year_and_shows_each_drafts_date(tmp_path):
    src = tmp_path / "a.txt"
    src.write_text(
        "PESHAWAR, Oct. 9 (AP) - Gunmen abducted six officials in Landi Kotal on Wednesday.",
        "utf-8",
    )
    out = tmp_path / "d.geojson"
    proc = run_cli("extract", str(src), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "no date" in proc.stdout and "--date" in proc.stderr
    proc = run_cli("extract", str(src), "--out", str(out), "--date", "2025-10-09")
    assert proc.returncode == 0, proc.stderr
    assert "2025-10-08 (day)" in proc.stdout
    (inc,) = load_story(out).incidents
    assert inc.date.isoformat() == "2025-10-08" and inc.date_precision.value == "day"
    proc = run_cli("extract", str(src), "--out", str(out), "--date", "9 Oct")
    assert proc.returncode == 2 and "YYYY-MM-DD" in proc.stderr and "Traceback" not in proc.stderr


def test_cli_extract_reads_html_and_reports_no_drafts(tmp_path):
    src = tmp_path / "page.html"
    src.write_text("<html><body><p>The weather was fine in Lahore.</p></body></html>", "utf-8")
    out = tmp_path / "d.geojson"
    proc = run_cli("extract", str(src), "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    assert "no drafts:" in proc.stderr and "HTML tags stripped" in proc.stderr
    assert load_story(out).incidents == []


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["missing.txt"], "no such file"),
        ([str(SEED_ARTICLE), "--story-id", "bad id"], "story id"),
    ],
)
def test_cli_extract_bad_input_is_one_line_exit_2(tmp_path, args, needle):
    proc = run_cli("extract", *args, "--out", str(tmp_path / "d.geojson"))
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and needle in lines[0]


# --- rules prompted by the second held-out set (each on sentences of our own) ---------------


@pytest.mark.parametrize(
    "head, place",
    [
        ("Lahore, Pakistan – ", "Lahore"),  # city, country, en dash, no date
        ("QUETTA (Reuters) - ", "Quetta"),
        ("MARDAN, Pakistan (AP) — ", "Mardan"),
        ("Sukkur: ", "Sukkur"),
        ("HYDERABAD, March 3 (AFP) - ", "Hyderabad"),
        ("Staff report: CHAMAN: ", "Chaman"),
    ],
)
def test_dateline_shapes_are_where_the_copy_was_filed_not_sites(extract, head, place):
    result = extract(head + "Gunmen attacked a police post in Kohat on Friday, officials said.")
    assert result.filed_from == place
    assert {d.place for d in result.drafts} == {"Kohat"}


def test_a_heading_word_before_a_colon_is_not_a_dateline(extract):
    result = extract("Update: Gunmen attacked a police post in Kohat on Friday, officials said.")
    assert result.filed_from is None


def test_miramshah_spelling_is_miran_shah(extract):
    result = extract("A bomb exploded near a school in Miramshah on Friday, police said.")
    (d,) = result.drafts
    assert d.located and d.district == "North Waziristan"


def test_conflicting_figures_for_one_attack_are_kept_side_by_side_each_attributed(extract):
    result = extract(
        "A bomb tore through a bus near Khuzdar on Friday, killing five passengers, "
        "according to district police.\n"
        "Dr Sana Baloch, a surgeon at the civil hospital in Khuzdar, said 8 bodies and 21 "
        "wounded people had been brought in.\n"
        "The provincial home minister, speaking in Quetta, said seven passengers had died.\n"
        "The interior ministry spokesman, Ali Raza, later put the death toll at 9."
    )
    got = {c.attributed_to: c for c in result.story.claims}
    police = got["district police"]
    assert police.civilians_killed == 5
    surgeon = next(c for w, c in got.items() if "civil hospital" in w)
    assert (surgeon.killed, surgeon.injured) == (8, 21)
    assert got["The provincial home minister"].civilians_killed == 7
    assert next(c for w, c in got.items() if "spokesman" in w).killed == 9
    # the incident keeps its own figure too
    (d,) = result.drafts
    assert d.casualties[0].civilians_killed == 5


def test_a_speakers_follow_up_extends_their_claim_and_acronyms_name_the_same_speaker(extract):
    result = extract(
        "Militants stormed a Levies post in Kalat on Sunday, killing four soldiers, the "
        "Frontier Corps Balochistan (FCB) said. It said nine attackers were killed in the "
        "fighting.\n"
        "A rebel spokesman said their fighters had killed 15 soldiers in the Kalat raid."
    )
    fc = next(c for c in result.story.claims if "FCB" in (c.attributed_to or ""))
    assert (fc.security_killed, fc.militants_killed) == (4, 9)
    rebel = next(c for c in result.story.claims if "rebel" in (c.attributed_to or ""))
    assert rebel.security_killed == 15


def test_an_uncontradicted_attributed_figure_stays_on_its_incident(extract):
    result = extract(
        "A bomb exploded near a police van in Kohat on Friday, killing two officers, "
        "the district police chief said."
    )
    assert result.story.claims == []
    assert result.drafts[0].casualties[0].security_killed == 2


@pytest.mark.parametrize(
    "text",
    [
        "Gunmen ambushed a bus near Loralai on Friday, said the assistant commissioner, Ali Shah.",
        "Gunmen ambushed a bus near Loralai on Friday, the deputy commissioner told reporters.",
        "Gunmen ambushed a bus near Loralai on Friday, according to the customs collector.",
    ],
)
def test_a_speakers_title_is_not_a_target(extract, text):
    (d,) = extract(text).drafts
    assert [i.value for i in d.infrastructure] == ["highway"]


def test_route_ends_and_earlier_attacks_are_not_sites_of_this_story(extract):
    result = extract(
        "A bomb damaged the track near Jacobabad on Tuesday, halting the Bolan Mail, which "
        "runs between Quetta and Hyderabad, officials said.\n"
        "Engineers on the line were attacked in 2023 near Sibi, and the Jaffar Express has been "
        "targeted repeatedly in recent years, including a bombing at Mastung.",
        published="2026-03-04",
    )
    assert {d.place for d in result.drafts} == {"Jacobabad"}


def test_rocket_propelled_grenades_in_a_raid_are_an_armed_assault(extract):
    (d,) = extract(
        "Insurgents firing rocket-propelled grenades raided a Levies post in Kalat on Friday."
    ).drafts
    assert d.attack_type.value == "armed_assault"


def test_blown_up_power_infrastructure_without_a_place_is_an_unlocated_sabotage(extract):
    (d,) = extract(
        "A provincial minister said insurgents had blown up a transmission tower in the "
        "province on Sunday but gave no location."
    ).drafts
    assert not d.located and d.attack_type.value == "sabotage"
    assert [i.value for i in d.infrastructure] == ["energy"]


def test_a_lede_with_two_events_hours_apart_pins_each_to_its_own_clause_and_body(extract):
    result = extract(
        "QUETTA, March 9 (Reuters) - A bomb exploded on a railway track in Balochistan late on "
        "Monday, hours after gunmen ambushed a convoy of engineers in the port city of "
        "Hyderabad, officials said.\n"
        "The blast struck the track near Sibi, derailing two wagons of a goods train.\n"
        "In Hyderabad, gunmen fired on the engineers' convoy on Sunday night, police said.",
        published="2026-03-10",
    )
    got = {d.place: d for d in result.drafts if d.located}
    assert set(got) == {"Sibi", "Hyderabad"}
    sibi, hyd = got["Sibi"], got["Hyderabad"]
    # damage done by a bomb told before is that bombing; dated by the lede's 'late on Monday'
    assert sibi.attack_type.value == "bombing" and [i.value for i in sibi.infrastructure] == [
        "rail"
    ]
    assert sibi.date.isoformat() == "2026-03-09" and sibi.date_precision.value == "day"
    # the lede's Hyderabad clause is the body's Hyderabad attack, dated by the body
    assert hyd.attack_type.value == "armed_assault"
    assert "port" not in {i.value for i in hyd.infrastructure}  # 'port city' describes
    assert hyd.date.isoformat() == "2026-03-08"


def test_placeless_follow_up_sentences_of_an_attack_are_not_new_incidents(extract):
    result = extract(
        "Militants attacked a police checkpoint in Tank on Saturday night, the district police "
        "officer said. He said six attackers died in a firefight that lasted an hour.\n"
        "The raiders had tried to overrun the checkpoint from three sides, a constable said."
    )
    assert len(result.drafts) == 1 and result.drafts[0].place == "Tank"
    assert result.drafts[0].evidence[-1].text.startswith("The raiders")
    # the speaker's follow-up figure extends nobody's incident: it is the officer's claim
    assert result.story.claims[0].militants_killed == 6


def test_a_lede_attack_without_a_place_dates_the_body_sentence_that_places_it(extract):
    result = extract(
        "PESHAWAR, Oct. 14 (AP) - Militants raided a police station in northwestern Pakistan "
        "early on Sunday, officials said.\n"
        "Police said the militants, armed with rifles, raided the Gul Imam police station in "
        "Tank district and fought officers for two hours.",
        published="2026-10-14",
    )
    (d,) = result.drafts
    assert d.district == "Tank" and d.date.isoformat() == "2026-10-11"
    assert d.date_precision.value == "day"


def test_a_bomb_planted_along_the_road_hits_the_vehicle_not_the_road(extract):
    (d,) = extract(
        "A bomb planted along the road exploded near a Levies vehicle in Kalat on Monday."
    ).drafts
    assert [i.value for i in d.infrastructure] == ["paramilitary"]


def test_a_vehicles_destination_is_not_its_target_but_the_people_it_carries_are(extract):
    (d,) = extract(
        "Gunmen fired on a van carrying foreign tourists to Gilgit Airport near Chilas on "
        "Saturday, police said."
    ).drafts
    assert [i.value for i in d.infrastructure] == ["civilians"]


@pytest.mark.parametrize(
    ("sentence", "killed", "security", "civilians"),
    [
        ("Twenty-three soldiers were killed in the ambush.", None, 23, None),
        ("The blast killed twenty-six people, police said.", 26, None, None),
        ("Gunmen shot dead a policeman and four labourers at the site.", None, 1, 4),
        ("Twelve people, including ten soldiers, were killed.", 12, 10, None),
        (
            "Officials said 17 law enforcement personnel and 31 civilians lost their lives.",
            None,
            17,
            31,
        ),
    ],
)
def test_spelled_and_listed_tolls_are_read_whole(sentence, killed, security, civilians):
    from geo.extract import casualties

    c = casualties(sentence)
    assert (c.killed, c.security_killed, c.civilians_killed) == (killed, security, civilians)


def test_dateline_forms_after_a_date_stamp_are_not_sites(extract):
    text = (
        "date 2026-04-02\n"
        "Peshawar, Apr 2 (PTI) Militants attacked a police post in Tank district on Thursday, "
        "killing two constables, a police official said.\n"
    )
    result = extract(text)
    assert result.filed_from == "Peshawar"
    assert {d.place for d in result.drafts} == {"Tank"}
    assert result.filed_on is not None and result.filed_on.isoformat() == "2026-04-02"


# --- discourse and layout on shapes of real copy ------------------------------------------


def test_page_furniture_and_headline_lines_make_no_drafts(extract):
    text = (
        "Gunmen kill two policemen in Quetta\n"
        "Our Correspondent\n"
        "Published March 3, 2026\n"
        "KOHAT: Gunmen on a motorcycle shot dead two policemen at a checkpoint in Kohat on "
        "Tuesday, police said.\n"
        "Read: Blast hits market in Bannu\n"
        "Tags: Kohat, terrorism\n"
        "Mobile tower torched in Panjgur\n"
        "Two labourers shot dead in Kech\n"
    )
    result = extract(text, published="2026-03-03")
    assert {d.place for d in result.drafts} == {"Kohat"}
    assert result.story.title == "Draft: Gunmen kill two policemen in Quetta"
    assert any("page furniture" in n for n in result.notes)


def test_a_place_the_gazetteer_lacks_is_named_on_the_unlocated_draft(extract):
    text = "PESHAWAR: Militants attacked a police post in Zarkhelo on Monday night, police said."
    (draft,) = extract(text, published="2026-05-05").drafts
    assert not draft.located and draft.place == "Zarkhelo"
    assert "Zarkhelo: not in the gazetteer" in (draft.notes or "")


def test_a_close_spelling_finds_the_place(extract):
    text = "QUETTA: Gunmen kidnapped six labourers in Barkan district on Sunday, Levies said."
    (draft,) = extract(text, published="2026-05-05").drafts
    assert draft.located and draft.district == "Barkhan"


def test_where_the_wounded_were_taken_and_earlier_attacks_are_not_sites(extract):
    text = (
        "ZHOB: A roadside bomb struck an FC vehicle near Zhob on Monday, wounding three "
        "soldiers, who were airlifted to the Combined Military Hospital in Quetta.\n"
        "The bombing came a day after militants attacked a police station in Loralai.\n"
        "In November, a suicide bomber killed 12 people outside a court in Islamabad.\n"
    )
    result = extract(text, published="2026-03-10")
    assert {d.place for d in result.drafts} == {"Zhob"}


def test_two_sentences_about_one_attack_at_one_place_make_one_draft(extract):
    text = (
        "DERA ISMAIL KHAN: A police van came under fire near Kulachi late on Tuesday, police "
        "said.\n"
        "Three officers were wounded in the ambush near Kulachi, a police spokesman said.\n"
    )
    result = extract(text, published="2026-03-11")
    assert [d.place for d in result.drafts] == ["Kulachi"]
    assert len(result.drafts[0].evidence) == 2


def test_abbreviated_titles_are_spelled_out_for_readers():
    from geo.extract import attribution

    who, _ = attribution("Two constables were martyred in the attack, the DPO said.")
    assert who == "the DPO (district police officer)"
    who, _ = attribution("Nine bodies were recovered, Deputy Commissioner (DC) Ali Raza said.")
    assert who is not None and who.count("deputy commissioner") <= 1


def test_a_press_release_night_is_a_range_of_two_days(extract):
    text = (
        "Rawalpindi, April 9: On night 8/9 April 2026, terrorists attacked a post of "
        "security forces in Datta Khel, North Waziristan District."
    )
    (draft,) = extract(text).drafts
    assert (draft.date.isoformat(), draft.date_end.isoformat()) == ("2026-04-08", "2026-04-09")
    assert draft.date_precision.value == "range"
