"""Copy review: every place mention and casualty figure in the copy, and what uses it.

The extractor drafts what it is confident of; an editor checking it against the copy needs
the rest too. This stage reads the cleaned copy again and marks each place name the
gazetteer knows and each casualty figure, saying which draft or claim uses it — or why none
does (the dateline, a province, a place only mentioned) — so a missed site is one click
(:func:`draft_from_mark`) instead of a manual geocode, and a loose figure becomes a claim
with :func:`claim_from_mark`. It never changes what the extractor drafted.

The places are located by the extractor's own rules (:class:`~geo.extract.mentions.Locator`):
a town at its point, a district at its centre at district precision, a province not at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from geo.extract.claims import COUNT_FIELDS, attribution, casualties
from geo.extract.drafts import Extraction, _default_gazetteer, district_layer
from geo.extract.layout import find_dateline
from geo.extract.mentions import Locator, _finder
from geo.extract.sentences import Sentence, split_sentences
from geo.model import CasualtyClaim, Evidence, Incident, Source, Story
from geo.taxonomy import AttackType, DatePrecision, GeoPrecision, Status

_CUE = re.compile(r"^casualties: '(?P<text>.+)' → (?P<field>\w+) (?P<n>\d+)$")


@dataclass(frozen=True)
class Place:
    """Where a mention would be pinned, by the extractor's rules."""

    name: str
    lon: float
    lat: float
    precision: GeoPrecision
    district: str | None
    province: str | None
    district_match: str | None
    cues: tuple[str, ...] = ()


@dataclass(frozen=True)
class Mark:
    """One highlighted span of the copy (offsets into :attr:`Extraction.text`)."""

    kind: str  # "place" | "figure"
    start: int
    end: int
    text: str
    sentence: tuple[int, int]
    used_by: tuple[str, ...] = ()  # incident ids, or "claim N" (1-based) for story claims
    note: str = ""  # why it is or is not used
    place: Place | None = None
    figures: dict[str, int] = field(default_factory=dict)  # e.g. {"killed": 10}

    @property
    def used(self) -> bool:
        return bool(self.used_by)


def _covers(inc: Incident, start: int) -> bool:
    return any(e.start <= start < e.end for e in inc.evidence)


def _same_place(inc: Incident, *names: str) -> bool:
    have = (inc.place or "").casefold()
    return bool(have) and any(n and n.casefold() == have for n in names)


def _figures(claim: CasualtyClaim) -> set[tuple[str, int]]:
    return {(f, v) for f in COUNT_FIELDS if (v := getattr(claim, f)) is not None}


def review_copy(
    extraction: Extraction,
    *,
    gazetteer: Any = None,
    geocoder: Any = None,
    districts: Any = None,
) -> list[Mark]:
    """Every place mention and casualty figure in the copy, in text order, each marked
    with the drafts/claims that use it. Pass the same ``gazetteer``/``geocoder``/
    ``districts`` as to :func:`~geo.extract.extract_article`."""
    text, story = extraction.text, extraction.story
    if not text:
        return []
    gaz = gazetteer if gazetteer is not None or geocoder is not None else _default_gazetteer()
    layer = district_layer(districts, story.country)  # as extract_article resolves it
    finder = _finder(geocoder if geocoder is not None else gaz, story.country)
    locator = Locator(layer)
    dateline = find_dateline(text)
    skip = [(dateline.start, dateline.end)] if dateline else []
    marks: list[Mark] = []
    if dateline is not None:
        at = text.casefold().find(dateline.place.casefold(), dateline.start, dateline.end)
        if at >= 0:  # 'QUETTA:' as written
            marks.append(
                Mark(
                    "place",
                    at,
                    at + len(dateline.place),
                    text[at : at + len(dateline.place)],
                    (dateline.start, dateline.end),
                    note="the dateline: where the copy was filed, not a site",
                )
            )
    for sent in split_sentences(text, skip):
        marks.extend(_place_marks(text, sent, skip, finder, locator, story))
        marks.extend(_figure_marks(sent, story))
    return sorted(marks, key=lambda m: (m.start, m.end))


def _place_marks(
    text: str,
    sent: Sentence,
    skip: list[tuple[int, int]],
    finder: Any,
    locator: Locator,
    story: Story,
) -> list[Mark]:
    out: list[Mark] = []
    mentions, _ = finder.find(text, sent, skip)
    for m in mentions:
        site = locator.site(m)
        place = (
            Place(
                site.place,
                float(site.lon),
                float(site.lat),
                site.precision,
                site.district,
                site.province,
                site.district_match,
                tuple(site.cues),
            )
            if site is not None
            else None
        )
        names = (m.surface, place.name if place else "")
        here = [i.id for i in story.incidents if _same_place(i, *names) and _covers(i, m.start)]
        elsewhere = [i.id for i in story.incidents if _same_place(i, *names)]
        used = tuple(here or elsewhere)
        if here:
            note = "the site of " + ", ".join(here)
        elif elsewhere:
            note = "named again; the site of " + ", ".join(elsewhere)
        elif place is None:
            note = "a province: never pinned"
        elif m.route:
            note = "only the start or end of a route: not drafted"
        elif m.attribution:
            note = "where a speaker is, not where something happened: not drafted"
        else:
            note = "not drafted: add it if an attack happened here"
        out.append(
            Mark("place", m.start, m.end, m.surface, (sent.start, sent.end), used, note, place)
        )
    return out


def _figure_marks(sent: Sentence, story: Story) -> list[Mark]:
    counts = casualties(sent.text)
    if not counts.any():
        return []
    out: list[Mark] = []
    pos = 0
    for cue in counts.cues:
        hit = _CUE.match(cue)
        if hit is None:
            continue
        at = sent.text.find(hit["text"], pos)
        if at < 0:
            at = sent.text.find(hit["text"])
        if at < 0:
            continue
        pos = at + len(hit["text"])
        start = sent.start + at
        fig = (hit["field"], int(hit["n"]))
        used: list[str] = [
            i.id
            for i in story.incidents
            if _covers(i, sent.start) and any(fig in _figures(c) for c in i.casualties)
        ]
        used += [
            f"claim {n}"
            for n, c in enumerate(story.claims, 1)
            if sent.text in (c.note or "") and fig in _figures(c)
        ]
        if used:
            note = "used by " + ", ".join(used)
        else:
            note = "not used by any draft or claim: link it to a claim if it is this story's"
        out.append(
            Mark(
                "figure",
                start,
                start + len(hit["text"]),
                hit["text"],
                (sent.start, sent.end),
                tuple(used),
                note,
                figures={fig[0]: fig[1]},
            )
        )
    return out


def _fresh_id(base: str, taken: set[str]) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", base.casefold()).strip("-")[:40] or "site"
    uid, k = slug, 2
    while uid in taken:
        uid, k = f"{slug}-{k}", k + 1
    return uid


def draft_from_mark(story: Story, mark: Mark, text: str) -> Incident:
    """A draft incident at a place mention the extractor left out: pinned where the
    extractor would pin that name (never more precisely), dated over the story's period
    (the copy's span: its own day is for the editor to set), with the sentence as evidence
    and a cue saying an editor added it from the copy review."""
    if mark.kind != "place" or mark.place is None:
        raise ValueError(f"'{mark.text}' is not a place that can be pinned")
    p = mark.place
    a, b = mark.sentence
    sentence = text[a:b]
    taken = {i.id for i in story.incidents}
    period = story.period
    return Incident(
        id=_fresh_id(f"{p.name}-added", taken),
        lon=p.lon,
        lat=p.lat,
        place=p.name,
        district=p.district,
        province=p.province,
        district_match=p.district_match,  # type: ignore[arg-type]
        geo_precision=p.precision,
        # the copy's span, as the extractor dates an attack whose day is not stated
        date=period.start if period else None,
        date_end=period.end if period and period.end != period.start else None,
        date_precision=(
            DatePrecision.range if period and period.end != period.start else DatePrecision.day
        ),
        attack_type=AttackType.other,
        summary=sentence[:5000] or p.name,
        status=Status.draft,
        sources=list(story.sources[:1]) or [Source(name="pasted copy")],
        evidence=[Evidence(text=sentence[:5000], start=a, end=a + len(sentence[:5000]))],
        cues=[f'added from the copy review: "{mark.text}"', *p.cues][:50],
        notes="Added by an editor from the copy review: set the attack type and date.",
    )


def claim_from_mark(mark: Mark, text: str, source: str = "pasted copy") -> CasualtyClaim:
    """A casualty claim from a figure, attributed as the sentence attributes it."""
    if mark.kind != "figure" or not mark.figures:
        raise ValueError(f"'{mark.text}' is not a casualty figure")
    a, b = mark.sentence
    sentence = text[a:b]
    who, agency = attribution(sentence)
    return CasualtyClaim(
        source=(agency or source)[:500],
        attributed_to=who,
        note=sentence[:5000],
        **mark.figures,  # type: ignore[arg-type]
    )
