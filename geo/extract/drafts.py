"""The pipeline: one article through every stage to draft incidents and casualty claims."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from geo.dates import (
    NOT_SET,
    Anchor,
    When,
    after_previous,
    sentence_date,
    span_days,
    undated,
    within_span,
)
from geo.errors import SitmapError
from geo.extract.claims import (
    COUNT_FIELDS,
    Counts,
    _add_claim,
    _conflicting,
    _is_killing_total,
    attribution,
    attribution_key,
    casualties,
    same_speaker,
)
from geo.extract.clean import _DATE_STAMP, MAX_CHARS, clean_text, not_english
from geo.extract.discourse import (
    _APART,
    _PRONOUN_SAID,
    _PRONOUN_SPEAKER,
    _TWO_PARTS,
    ANAPHOR,
    FOLLOW_UP,
    RESPONSIBILITY,
    UNNAMED_PLACES,
    _actor,
    _assign_actors,
    _background,
    _clause_types,
    _link_lede,
    _merge_placeless,
    _place_back,
    _same_family,
    _second_type,
    cue,
    earlier_year,
    long_before,
)
from geo.extract.document import Sentence, _Draft
from geo.extract.events import _BOMB_BACKREF, _SAYS, Cues, attack_cues, infrastructure, outcome
from geo.extract.layout import AGENCIES, Dateline, filing_anchor, find_dateline
from geo.extract.mentions import (
    UNKNOWN_PLACE,
    Locator,
    _default_gazetteer,
    _default_layer,
    _finder,
    _province_named,
    _sites,
)
from geo.extract.sentences import split_sentences
from geo.model import (
    ID_PATTERN,
    CasualtyClaim,
    Evidence,
    Incident,
    Period,
    ResponsibilityClaim,
    Source,
    Story,
)
from geo.taxonomy import GeoPrecision, Status


class Extraction(BaseModel):
    """The result of reading one article: a draft story, or the reason there is none."""

    model_config = ConfigDict(extra="forbid")

    story: Story
    reason: str | None = Field(default=None, description="why there are no drafts, if none")
    text: str = Field(default="", description="the cleaned text that evidence offsets index")
    notes: list[str] = Field(default_factory=list, description="what was done to the input")
    filed_from: str | None = Field(default=None, description="dateline place (not a site)")
    filed_on: dt.date | None = None

    @property
    def drafts(self) -> list[Incident]:
        return self.story.incidents


def _slug(text: str, limit: int = 40) -> str:
    s = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    s = re.sub(r"[^a-z0-9]+", "-", s).strip("-")
    return s[:limit].strip("-") or "x"


def _empty(
    story_id: str | None, title: str | None, country: str, reason: str, text: str = "",
    notes: list[str] | None = None,
) -> Extraction:  # fmt: skip
    story = Story(
        id=story_id or "draft",
        title=title or "Draft from pasted copy",
        country=country,
        summary="No draft incidents: " + reason,
    )
    return Extraction(story=story, reason=reason, text=text, notes=notes or [])


_PRESS_RELEASE = re.compile(
    r"\A\s*(?:Inter[- ]Services Public Relations|ISPR)\b|^No PR-\d", re.IGNORECASE | re.MULTILINE
)


# the copy says the attack happened where it was filed: 'in the provincial capital', 'here'
_HERE = re.compile(
    r"\b(?:in|of|near|outside|on the outskirts of) (?:the |this )(?:provincial |federal |port |garrison )?"
    r"(?:capital|city|town|metropolis)\b(?! of\b)|\bhere\b|\b[Tt]he city'?s\b"
)


# figures for the whole story, not the attack told just before
_STORY_WIDE = re.compile(
    r"\b(?:attacks|assaults|in all|in total|altogether|overall|across)\b", re.I
)


# a definite reference to an attack told before: 'the ambush', 'the blast', 'this attack'
_THE_ATTACK = re.compile(
    r"^(?:[A-Z][\w,' ]{0,40}\s)?(?:[Tt]he|[Tt]his|[Tt]hat)\s+(?:[\w-]+\s+)?"
    r"(?:attack|ambush|assault|raid|blast|explosion|bombing|incident|kidnapping|abduction)\b"
)


def _completes(draft: _Draft, counts: Counts, who: str | None) -> bool:
    """The same speaker gives more figures for the attack just told, none it gave already:
    they complete that speaker's account of it (one claim), never a second one."""
    if not who or not draft.who or draft.counts is None or not counts.any():
        return False
    if not same_speaker(attribution_key(who), attribution_key(draft.who)):
        return False
    return all(
        getattr(draft.counts, f) is None for f in COUNT_FIELDS if getattr(counts, f) is not None
    )


def _filled(have: Counts | None, more: Counts) -> Counts:
    """An attack's figures completed by a later sentence's (never summed: a field the
    attack already has keeps its value)."""
    if have is None:
        return more
    for name in COUNT_FIELDS:
        if getattr(have, name) is None and getattr(more, name) is not None:
            setattr(have, name, getattr(more, name))
    have.cues += more.cues
    return have


def _clause_counts(site: Any, clauses: list[Any], text: str, sites: list[Any]) -> Counts | None:
    """In a sentence telling two attacks ('… wounding three officers, and hours later gunmen
    shot and killed a guard near Shikarpur'), the figures of the clause that holds this
    place alone — when no other place shares that clause."""
    at = site.mention.start
    clause = next((c for c in clauses if c.start <= at < c.end), None)
    if clause is None or any(
        o is not site and clause.start <= o.mention.start < clause.end for o in sites
    ):
        return None
    found = casualties(text[clause.start : clause.end])
    return found if found.any() else None


def _speaker_next(drafts: list[_Draft], sentences: list[Sentence], default: str | None) -> None:
    """A lede's figures given without a source ('A policeman and four labourers were killed
    …') take the speaker the copy names next ('Confirming the development, the district
    police officer said …'), when that sentence tells no attack of its own."""
    told = {d.index for d in drafts}
    for d in drafts:
        if d.who or d.counts is None or not d.counts.any():
            continue
        for j in range(d.index + 1, min(d.index + 3, len(sentences))):
            if j in told:
                break
            who, _ = attribution(sentences[j].text)
            if who and who != default:
                d.who = who
                d.extra_cues.append(
                    f"figures without a source: attributed to {who}, who speaks next "
                    f"(sentence {j + 1})"
                )
                break


# 'in the Spinwam area of the district': the district the copy named before
_THE_DISTRICT = re.compile(r"\b(?:of|in) the (?:same )?district\b")


def _in_the_district(
    name: str, drafts: list[_Draft], dateline: Dateline | None, finder: Any, locator: Locator
) -> Any:
    """A place the gazetteer lacks, in 'the district' the copy named before (the last
    attack's district, else the dateline town's): marked at that district's centre, named."""
    from geo.extract.mentions import Mention

    district = next((d.site.district for d in reversed(drafts) if d.site and d.site.district), None)
    if district is None and dateline is not None:
        district = next((c.district for c in finder.lookup(dateline.place) if c.district), None)
    if district is None:
        return None
    cands = [c for c in finder.lookup(district) if c.kind == "district"]
    if not cands:
        return None
    mention = Mention(district, 0, 0, cands, district_marked=True)
    site = locator.site(mention, unknown=name)
    if site is not None:
        site.cues.append(f"'the district' is {district}, named before in the copy")
    return site


def _dateline_site(dateline: Dateline, finder: Any, locator: Locator, text: str) -> Any:
    """The dateline town as the attack's site (town precision, as the copy gives it)."""
    from geo.extract.mentions import Mention

    cands = [c for c in finder.lookup(dateline.place) if getattr(c, "kind", "town") != "province"]
    if not cands:
        return None
    end = dateline.start + len(dateline.place)
    return locator.site(Mention(dateline.place, dateline.start, end, cands))


def district_layer(districts: Any, country: str) -> Any | None:
    """The boundary layer an extraction uses: ``districts`` as given (a layer or a path to
    one), else the configured layer for Pakistan, else none."""
    if districts is None:
        return _default_layer() if country == "PAK" else None
    if isinstance(districts, str | bytes) or hasattr(districts, "__fspath__"):
        from geo import districts as dmod

        return dmod.load(districts, download=False, progress=False)
    return districts


def extract_article(
    text: str,
    *,
    story_id: str | None = None,
    title: str | None = None,
    country: str = "PAK",
    districts: Any = None,
    gazetteer: Any = None,
    published: dt.date | str | None = None,
    geocoder: Any = None,
) -> Extraction:
    """Read one article and propose draft incidents (status 'draft') plus casualty claims.

    ``districts`` is a :class:`geo.districts.Districts` layer or a path to one (default: the
    configured layer; without one, districts come from the gazetteer). Places are looked up
    through ``geocoder`` (a :class:`geo.geocode.GeocoderChain`, offline providers only), by
    default the chain over ``gazetteer`` (default :meth:`geo.gazetteer.Gazetteer.default`). ``published`` is the reference date (the
    publication date, ``YYYY-MM-DD``): it gives the year when the dateline has none, and is
    the day relative words count from when the copy has no dateline date; dates are never
    taken from today's clock. Bad input never raises: the result has no drafts and a
    ``reason``. Only a malformed ``story_id``/``country``/``published`` raises SitmapError.
    """
    if story_id is not None and not re.fullmatch(ID_PATTERN, story_id):
        raise SitmapError(
            f"story id: '{story_id[:60]}' is not a valid id; fix: use letters, digits and "
            "- _ . : (start with a letter or digit)"
        )
    if not re.fullmatch(r"[A-Z]{3}", country or ""):
        raise SitmapError(f"country: '{country}' is not an ISO3 code; fix: e.g. PAK")
    published = reference_date(published)
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    if not text.strip():
        return _empty(story_id, title, country, "the text is empty; paste the article's text")
    if len(text) > MAX_CHARS:
        return _empty(
            story_id,
            title,
            country,
            f"the text is {len(text):,} characters; extraction reads one article of at most "
            f"{MAX_CHARS:,} characters — paste a single article",
        )
    text, notes = clean_text(text)
    stamp = _DATE_STAMP.match(text)
    if stamp:  # 'date 2025-01-19' before the copy (archives, feeds): the publication date
        text = text[stamp.end() :]
        notes.append(f"leading date line '{stamp.group().strip()}' read as the publication date")
        published = published or reference_date(stamp["iso"])
    if not text:
        why = (
            "no readable text left after removing HTML tags; paste the article's text"
            if notes
            else "the text is empty (only invisible characters); paste the article's text"
        )
        return _empty(story_id, title, country, why, "", notes)
    foreign = not_english(text)
    if foreign:
        return _empty(story_id, title, country, foreign, text, notes)

    gaz = gazetteer if gazetteer is not None or geocoder is not None else _default_gazetteer()
    layer = district_layer(districts, country)
    if layer is None:
        notes.append("no district boundary file: districts come from the gazetteer")
    finder = _finder(geocoder if geocoder is not None else gaz, country)
    locator = Locator(layer)

    dateline = find_dateline(text)
    skip = [(dateline.start, dateline.end)] if dateline else []
    headline = None
    if dateline and dateline.start > 0:
        # headline, byline and date lines above the dateline: layout, not the story's
        # sentences (the body tells every attack the headline names)
        skip.append((0, dateline.start))
        headline = next(
            (ln for ln in text[: dateline.start].split("\n") if len(ln) > 20 and " " in ln),
            None,
        )
    filed = filing_anchor(text, dateline, published)
    filed_on = filed.date
    sentences = split_sentences(text, skip)
    default_agency = None
    if dateline and dateline.agency:
        default_agency = AGENCIES.get(dateline.agency.strip().lower(), dateline.agency.strip())
    sign_off = re.search(r"[-–—]\s*(Agencies|Reuters|AP|AFP)\s*$", text)
    if default_agency is None and sign_off:
        default_agency = AGENCIES.get(sign_off[1].lower(), sign_off[1])
    default_agency = default_agency or "pasted copy"
    # a military press release speaks for itself: its unattributed figures are the ISPR's
    release = "Inter-Services Public Relations (ISPR)" if _PRESS_RELEASE.search(text) else None

    drafts: list[_Draft] = []
    sent_cues: dict[int, Cues | None] = {}
    last_who: tuple[int, str] | None = None  # (sentence index, speaker) of the last attribution
    said: list[tuple[int, str, Counts]] = []  # every attributed death figure
    pending: list[tuple[int, Counts, str, str, str]] = []  # attributed figures in attack sentences
    claims: list[tuple[CasualtyClaim, str]] = []  # (claim, attribution key)
    responsibility: list[tuple[ResponsibilityClaim, Sentence, int]] = []
    for idx, sent in enumerate(sentences):
        s = sent.text
        # an earlier event, by its date or its words: neither this story's attack nor the
        # place of one, and its figures are not this story's ('in recent years' alone still
        # lets a lede's figures count)
        dated_before = (
            earlier_year(s, filed.date or published)
            or bool(cue("earlier", s))
            or long_before(s, filed)
        )
        earlier = dated_before or _background(s, filed.date or published)
        placed_back = not earlier and _place_back(drafts, sent, idx, s, finder, locator, text, skip)
        if RESPONSIBILITY.search(s) and not re.match(r"^(?:No|Nobody|No one)\b", s):
            _, agency = attribution(s)
            actor = _actor(s)
            if actor:
                responsibility.append(
                    (
                        ResponsibilityClaim(
                            actor=actor, source=agency or default_agency, statement=s[:5000]
                        ),
                        sent,
                        idx,
                    )
                )
            continue
        if placed_back:
            continue  # its attack is told already; this sentence only said where
        cues = attack_cues(s)
        sent_cues[idx] = cues
        if cues is not None and earlier:
            continue  # 'the 2023 bombing in X', 'attacks in recent years': not this story's
        counts = casualties(s)
        if cues is None and not counts.any():
            if _SAYS.search(s) and (speaker := attribution(s)[0]):
                last_who = (idx, speaker)  # who 'he' is in the sentences that follow
            continue
        who, agency = attribution(s)
        who = who or release
        if (
            last_who
            and last_who[0] >= idx - 2
            and (_PRONOUN_SAID.match(s) or (not who and _PRONOUN_SPEAKER.search(s)))
        ):
            who = last_who[1]  # 'It said 11 attackers were killed': the previous speaker
        if who:
            last_who = (idx, who)
        if who and _is_killing_total(counts):
            said.append((idx, attribution_key(who), counts))
        if cues is None:
            if dated_before or cue("tally", s):
                continue  # a tally or an earlier event's toll: not this story's figures
            last = drafts[-1] if drafts and drafts[-1].index >= idx - 3 else None
            if last is not None and _completes(last, counts, who):
                # 'Four terrorists were killed, the ISPR said': the same source goes on
                last.counts = _filled(last.counts, counts)
            elif last is not None and not who and not _STORY_WIDE.search(s):
                # unsourced figures right after an attack are that attack's ('Two
                # constables were killed before reinforcements arrived')
                last.counts = _filled(last.counts, counts)
            elif _is_killing_total(counts) or (who and counts.any()):  # a source's figures
                _add_claim(claims, counts, who, agency or default_agency, s)
            continue
        mentions, rejected = finder.find(text, sent, skip)
        sites, dropped = _sites(mentions, locator, text, sent)
        extra_cues = [f'not a site: "{r.surface}" — {r.why}' for r in rejected] + dropped
        province = _province_named(rejected, mentions)
        if not sites and cues.overview:
            if counts.any():
                _add_claim(claims, counts, who, agency or default_agency, s)
            continue
        if who and _is_killing_total(counts):
            # a figure someone is named as giving for this attack: a claim too if another
            # source gives a different figure close by (see _conflicting)
            pending.append((idx, counts, who, agency or default_agency, s))
        back = ANAPHOR.search(s) or FOLLOW_UP.search(s) or _BOMB_BACKREF.search(s)
        target = drafts[-1] if drafts else None
        # 'The ambush was done by …', 'The blast also destroyed …' further down: the attack
        # of that kind told before (no place, no marker of a new event), not a new one
        told = _THE_ATTACK.search(s) if drafts and not sites and not cue("new_event", s) else None
        if told is not None:
            kin = [d for d in drafts if _same_family(d.attack.attack_type, cues.attack_type)]
            target = kin[-1] if kin else drafts[-1]
        near = target is not None and (
            target.index >= idx - 2  # the sentence before may be a quote or a figure
            or bool(target.extra and target.extra[-1].start >= sentences[idx - 2].start)
        )
        if not sites and target is not None and ((back and near) or told is not None):
            why = (back or told).group()  # type: ignore[union-attr]
            for d in drafts:
                if d.index == target.index:
                    d.extra.append(sent)
                    d.extra_cues.append(f"sentence {idx + 1} refers back to this attack ('{why}')")
            if counts.any() and who and _completes(target, counts, who):
                target.counts = _filled(target.counts, counts)
            elif counts.any() and who:  # 'All six attackers … were killed, the ISPR said'
                _add_claim(claims, counts, who, agency or default_agency, s)
            elif counts.any():  # unsourced figures of the attack told before: its own
                target.counts = _filled(target.counts, counts)
            continue
        infra, infra_cues = infrastructure(s)
        out, out_cues = outcome(s)
        base: dict[str, Any] = dict(
            sentence=sent,
            index=idx,
            attack=cues,
            infra=infra,
            infra_cues=infra_cues,
            outcome=out,
            outcome_cues=out_cues,
            who=who,
            agency=agency or default_agency,
        )
        if not sites and dateline is not None and (here := _HERE.search(s)):
            site = _dateline_site(dateline, finder, locator, text)
            if site is not None:  # 'QUETTA: … a bomb went off in the provincial capital'
                sites = [site]
                extra_cues.append(
                    f"the copy places this attack where it was filed ('{here.group()}'): "
                    f"the dateline town {dateline.place}"
                )
        unknown = next((r.surface for r in rejected if r.why == UNKNOWN_PLACE), None)
        if not sites and unknown and _THE_DISTRICT.search(s):
            site = _in_the_district(unknown, drafts, dateline, finder, locator)
            if site is not None:  # 'in the Tajazai area of the district' (named before)
                sites = [site]
        if not sites:
            unnamed = UNNAMED_PLACES.search(s)
            d = _Draft(site=None, counts=counts if counts.any() else None, **base)
            d.unnamed = unnamed.group(1) if unnamed else None
            d.unknown = unknown
            d.province = province
            d.extra_cues = extra_cues
            drafts.append(d)
            continue
        shared = len(sites) > 1
        clauses = _clause_types(sent) if _TWO_PARTS.search(s) else []
        apart = bool(clauses) and bool(_APART.search(s))
        for site in sites:
            own = _clause_counts(site, clauses, text, sites) if shared and counts.any() else None
            d = _Draft(
                site=site,
                counts=own if shared else (counts if counts.any() else None),
                **base,
            )
            d.extra_cues = list(extra_cues)
            if clauses:
                _second_type(d, clauses, sites, shared or apart, text, apart)
            if own is not None:
                d.extra_cues.append("casualty figures from this place's own clause of the sentence")
            elif shared and counts.any():
                d.extra_cues.append(
                    "casualty figures cover all places in the sentence: not attached to one"
                )
            drafts.append(d)

    _link_lede(drafts, sentences, text, sent_cues)
    _merge_placeless(drafts)
    _speaker_next(drafts, sentences, release)
    for idx, counts, who, agency, s in pending:
        if _conflicting(idx, attribution_key(who), counts, said):
            _add_claim(claims, counts, who, agency, s)
    _assign_actors(drafts, responsibility)
    whens = _dates(drafts, sentences, filed)
    incidents = _incidents(drafts, whens)
    sid = story_id or _story_id(title, text)
    story_title = title or ("Draft: " + headline[:120] if headline else _title(sentences, dateline))
    summary = _summary(dateline, filed_on, len(incidents))
    spans = [(i.date, i.date_end or i.date) for i in incidents if i.date]
    period = Period(start=min(a for a, _ in spans), end=max(b for _, b in spans)) if spans else None
    story = Story(
        id=sid,
        title=story_title,
        summary=summary,
        country=country,
        period=period,
        claims=[c for c, _ in claims],
        responsibility=[r for r, _, _ in responsibility],
        sources=[Source(name=n) for n in _sources(drafts, claims, default_agency)],
        incidents=incidents,
    )
    reason = None
    if not incidents:
        reason = (
            f"no sentence describes an attack ({len(sentences)} sentence(s) read); nothing to draft"
        )
    return Extraction(
        story=story,
        reason=reason,
        text=text,
        notes=notes,
        filed_from=dateline.place if dateline else None,
        filed_on=filed_on,
    )


def reference_date(value: Any) -> dt.date | None:
    """The caller's reference (publication) date as a date; a bad one is a user error."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise SitmapError(
            f"date: '{str(value)[:40]}' is not a date; fix: give the publication date as "
            "YYYY-MM-DD, e.g. 2026-02-01"
        ) from None


def _dates(drafts: list[_Draft], sentences: list[Sentence], filed: Anchor) -> list[When]:
    """Each draft's date: its own words first ('on Saturday', 'overnight', 'Jan. 31'), then
    'hours later' after the attack before it, else the span of the copy's dated events."""
    span = None
    for s in sentences:  # 'over a 40-hour period': the whole copy's window
        span = span_days(s.text)
        if span:
            break
    own: list[When | None] = []
    last: tuple[int, When] | None = None  # (sentence index, date) of the last dated attack
    for d in drafts:
        when = None
        for sent in (d.sentence, *d.extra):
            when = sentence_date(sent.text, filed)
            if when is not None:
                break
        if when is None:
            prev = last[1] if last and last[0] < d.index else None
            when = after_previous(d.sentence.text, prev, filed)
        if when is None and (found := span_days(d.sentence.text)):
            when = within_span(filed, *found)
        own.append(when)
        if when is not None and when.start is not None:
            last = (d.index, when)
    starts = [w.start for w in own if w is not None and w.start is not None]
    if span and filed.date is not None:
        starts.append(filed.date - dt.timedelta(days=span[0]))
    first = min(starts) if starts else None
    fallback = undated(filed, first, span[1] if span else None)
    return [w if w is not None else fallback for w in own]


def _incidents(drafts: list[_Draft], whens: list[When]) -> list[Incident]:
    out: list[Incident] = []
    seen: set[str] = set()
    for d, when in zip(drafts, whens, strict=True):
        base = d.site.place if d.site else "unlocated"
        iid = f"{_slug(base)}-{d.attack.attack_type.value.replace('_', '-')}"
        uid, k = iid, 2
        while uid in seen:
            uid, k = f"{iid}-{k}", k + 1
        seen.add(uid)
        cues = list(d.attack.cues)
        notes: list[str] = []
        if d.site:
            cues += d.site.cues
            if d.site.note:
                notes.append(d.site.note)
        elif d.unknown:
            cues.append(f'place: "{d.unknown}" — not in the gazetteer → unlocated')
            notes.append(
                f"{d.unknown}: not in the gazetteer. The copy places this attack there; "
                "pick its point on the map (or a candidate) to locate it."
            )
        else:
            cues.append("no named place in the sentence → unlocated")
            notes.append(
                "The copy names no place for this attack"
                + (f" ({d.unnamed})" if d.unnamed else "")
                + "; it is listed, not pinned."
            )
        cues += d.infra_cues + d.outcome_cues + d.extra_cues
        casualties: list[CasualtyClaim] = []
        if d.counts is not None and d.counts.any():
            cues += d.counts.cues
            casualties.append(
                CasualtyClaim(
                    source=d.agency or "pasted copy",
                    attributed_to=d.who,
                    qualifier=d.counts.qualifier,
                    killed=d.counts.killed,
                    militants_killed=d.counts.militants_killed,
                    security_killed=d.counts.security_killed,
                    civilians_killed=d.counts.civilians_killed,
                    injured=d.counts.injured,
                )
            )
        if d.who:
            cues.append(f"attributed to: {d.who}")
        if d.actor:
            cues.append(f"actor: {d.actor} (from a responsibility claim in the copy)")
        cues.append(when.cue)
        if d.second is not None:
            notes.append(
                f"The copy describes this attack as {d.attack.attack_type.value} and also "
                f"{d.second.value}; it keeps the first type — change it if the second "
                "dominates."
            )
        if when.start is None:
            notes.append("No date: " + when.cue.removeprefix(NOT_SET) + ".")
        elif not when.own:
            notes.append("The copy does not say when this attack happened; the date is a range.")
        source = f"{d.who}, via {d.agency}" if d.who else (d.agency or "pasted copy")
        told = [d.sentence] + [e for e in d.extra if e != d.sentence]
        evidence = [_evidence(e) for e in dict.fromkeys(told)]  # each sentence once, in order
        out.append(
            Incident(
                id=uid,
                lon=d.site.lon if d.site else None,
                lat=d.site.lat if d.site else None,
                place=d.site.place if d.site else (d.unknown or d.unnamed or None),
                district=d.site.district if d.site else None,
                province=d.site.province if d.site else d.province,
                district_match=d.site.district_match if d.site else None,  # type: ignore[arg-type]
                geo_precision=d.site.precision if d.site else GeoPrecision.unlocated,
                date=when.start,
                date_end=when.date_end,
                date_precision=when.precision,
                attack_type=d.attack.attack_type,
                infrastructure=d.infra,
                summary=d.sentence.text[:5000],
                outcome=d.outcome,
                actor=d.actor,
                casualties=casualties,
                sources=[Source(name=source[:500])],
                status=Status.draft,
                evidence=evidence,
                cues=[c[:500] for c in cues],
                notes=" ".join(notes) or None,
            )
        )
    return out


def _evidence(s: Sentence) -> Evidence:
    """The sentence and its offsets; a runaway sentence is cut, and its end with it."""
    text = s.text[:5000].rstrip()
    return Evidence(text=text, start=s.start, end=s.start + len(text))


def _story_id(title: str | None, text: str) -> str:
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:8]
    return f"draft-{_slug(title, 40)}-{digest}" if title else f"draft-{digest}"


def _title(sentences: list[Sentence], dateline: Dateline | None) -> str:
    for s in sentences:
        if len(s.text) > 30:
            t = s.text
            return "Draft: " + (t if len(t) <= 120 else t[:117].rsplit(" ", 1)[0] + "…")
    return "Draft from pasted copy"


def _summary(dateline: Dateline | None, filed_on: dt.date | None, n: int) -> str:
    parts = [f"{n} draft incident(s) extracted from pasted copy; check each before publishing."]
    if dateline:
        when = f" on {filed_on.isoformat()}" if filed_on else ""
        parts.append(f"Filed from {dateline.place}{when} (dateline; not an attack site).")
    return " ".join(parts)


def _sources(
    drafts: list[_Draft], claims: list[tuple[CasualtyClaim, str]], default: str
) -> list[str]:
    names = [d.agency for d in drafts if d.agency] + [c.source for c, _ in claims]
    names.append(default)
    return list(dict.fromkeys(n for n in names if n))
