"""Discourse: background and earlier events, refer-back sentences, one draft per attack,
the lede and the body, and who claimed the attacks."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from geo.dates import MONTH_RE, Anchor, month_number, nearest_year, sentence_date
from geo.extract import rules
from geo.extract.claims import COUNT_FIELDS, Counts
from geo.extract.document import Sentence, _Draft
from geo.extract.events import _BOMB_BACKREF, Cues, attack_cues, infrastructure
from geo.extract.mentions import Locator, PlaceFinder, Site, _sites
from geo.model import (
    ResponsibilityClaim,
)
from geo.taxonomy import AttackType, Infrastructure

ANAPHOR = re.compile(
    r"\bthe (?:attackers|gunmen|militants|assailants|bombers?|insurgents|kidnappers|abductors)\b",
    re.IGNORECASE,
)
# a placeless sentence right after an attack that continues it — the same speaker, the
# fight that followed, its target named again — is part of that attack, not a new incident
# 'It said 11 attackers were killed': the speaker of the sentence before
_PRONOUN_SAID = re.compile(r"^(?:It|He|She|They)\s+(?:also\s+|later\s+)?(?:said|added)\b")
FOLLOW_UP = re.compile(
    _PRONOUN_SAID.pattern + "|"
    r"\b(?:gunfight|exchange of fire|shoot-?out|firefight|repulsed|return(?:ed)? fire|"
    r"counter-?attack(?:ed)?)\b|"
    r"\bthe (?:post|check ?post|camp|convoy|checkpoint|picket)\b",
    re.IGNORECASE,
)
RESPONSIBILITY = re.compile(
    r"\b(?:claimed (?:responsibility|the (?:\w+ )?(?:attacks?|bombings?|abductions?|killings?|assault|blast))|"
    r"said (?:it|they) (?:carried out|was behind|were behind))",
    re.IGNORECASE,
)
UNNAMED_PLACES = re.compile(
    r"\b(?:in|across|at) ((?:several|many|some|various|a number of|other|two|three|four|five)"
    r"(?: other)? (?:districts|areas|towns|cities|places|locations))\b",
    re.IGNORECASE,
)


_CUES = rules.entries("background")


def cue(kind: str, sentence: str) -> str | None:
    """The first background/discourse cue of ``kind`` in the sentence (rules/background.toml)."""
    for entry in _CUES:
        if entry.value == kind and (span := entry.search(sentence, ())) is not None:
            return sentence[span[0] : span[1]]
    return None


_YEAR = re.compile(
    r"\b(?:in|since|of) ((?:19|20)\d\d)\b|\b((?:19|20)\d\d) (?:[\w-]+ )?(?:attack|bombing|blast|assault)|"
    rf"\b(?:{MONTH_RE})\s+(?:\d{{1,2}},?\s+)?((?:19|20)\d\d)\b"  # 'In July 2023', 'on May 9, 2023'
)


BACKGROUND_DAYS = 7  # an attack dated more than a week before the filing date is background
_MONTH_ONLY = re.compile(
    rf"\b(?:[Ii]n|[Ll]ast|[Ss]ince|[Ee]arly|[Ll]ate|[Mm]id-?)\s+(?:early\s+|late\s+)?(?P<mon>{MONTH_RE})"
    r"\b(?![.]?\s+\d{1,2}\b)"
)


def long_before(sentence: str, filed: Anchor) -> bool:
    """An attack the copy dates well before it was filed ('On November 17, …', 'In March,
    …' in a June story): an earlier event told as background, not this story's."""
    if filed.date is None:
        return False
    when = sentence_date(sentence, filed)
    if when is not None and when.start is not None and when.own:
        last = when.end or when.start
        if (filed.date - last).days > BACKGROUND_DAYS:
            return True
    for m in _MONTH_ONLY.finditer(sentence):
        month = month_number(m["mon"])
        if month is None or month == filed.date.month:
            continue
        start = nearest_year(month, 1, filed.date)
        if start is not None and start < filed.date:
            return True
    return False


def _background(sentence: str, today: dt.date | None) -> bool:
    """A sentence recalling earlier attacks ('a bombing near X in 2024', 'hit by several
    attacks in recent years'): background, not an attack of this story."""
    return cue("background", sentence) is not None or earlier_year(sentence, today)


def earlier_year(sentence: str, today: dt.date | None) -> bool:
    """The sentence dates what it tells in an earlier year ('in 2023', 'In July 2023')."""
    if today is None:
        return False
    return any(int(m[1] or m[2] or m[3]) < today.year for m in _YEAR.finditer(sentence))


# Where one sentence tells two attacks apart: 'a suicide bomber rammed …, then gunmen
# stormed …', 'a bomb exploded in Quetta, while gunmen attacked a checkpoint in Turbat'.
# 'hours after gunmen opened fire …': two events apart in time, not one complex attack
_APART = re.compile(
    r",?\s+(?:hours|days|minutes|a day|a week|shortly|soon|moments)\s+(?:after|before)\b",
    re.IGNORECASE,
)
_TWO_PARTS = re.compile(
    r";|,?\s+(?:hours|days|minutes|a day|a week|shortly|soon|moments)\s+(?:after|before)\b|"
    r",?\s+(?:and\s+)?then\b|,\s+(?:while|before|after which|whereas|and)\s|"
    r"\band\s+(?=(?:(?:a|an|the|two|three)\s+)?(?:[\w-]+\s+){0,2}(?:gunmen|militants|"
    r"attackers|assailants|insurgents|bombers?|bombs?|grenades?|blasts?|explosions?|IEDs?)\b)",
    re.IGNORECASE,
)


@dataclass
class _Clause:
    start: int  # offsets in the whole text
    end: int
    cues: Cues | None


def _clause_types(sent: Sentence) -> list[_Clause]:
    """The sentence's clauses and the attack type each describes (None: no attack cue)."""
    out: list[_Clause] = []
    cut = 0
    for m in _TWO_PARTS.finditer(sent.text):
        out.append(_Clause(sent.start + cut, sent.start + m.start(), None))
        cut = m.end()
    out.append(_Clause(sent.start + cut, sent.end, None))
    for c in out:
        c.cues = attack_cues(sent.text[c.start - sent.start : c.end - sent.start])
    return out if len({c.cues.attack_type for c in out if c.cues}) > 1 else []


def _second_type(
    d: _Draft,
    clauses: list[_Clause],
    sites: list[Site],
    shared: bool,
    text: str,
    apart: bool = False,
) -> None:
    """Two attack types in one sentence. With several places, each place takes the type
    (and the targets) of its own clause; a second type with no place of its own is part of
    the same attack (a complex attack): the draft keeps one type and says what else the
    copy describes."""
    assert d.site is not None
    at = d.site.mention.start
    own = next((c for c in clauses if c.start <= at < c.end), None)
    if shared and own is not None and own.cues is not None:
        if own.cues.attack_type != d.attack.attack_type:
            d.extra_cues.append(
                f"attack type from this place's own clause: {own.cues.attack_type.value} "
                f"(the sentence's strongest cue is {d.attack.attack_type.value})"
            )
            d.attack = own.cues
        infra, infra_cues = infrastructure(text[own.start : own.end])
        if infra:  # the targets named in this place's clause, not the other place's
            d.infra, d.infra_cues = infra, infra_cues
    if apart:  # the other clause is another event, told elsewhere in the copy
        d.extra_cues.append("the sentence's other clause is a separate event ('hours after')")
        return
    for c in clauses:
        if c.cues is None or c.cues.attack_type == d.attack.attack_type:
            continue
        if any(c.start <= s.mention.start < c.end for s in sites if s is not d.site):
            continue  # that clause is another place's attack
        words = c.cues.cues[0].split("'")[1] if "'" in c.cues.cues[0] else c.cues.cues[0]
        d.extra_cues.append(
            f"also in this attack: {c.cues.attack_type.value} ('{words}') — one draft keeps "
            "one type (the first is ACLED/GTD's primary; note the second as GTD attacktype2)"
        )
        d.second = c.cues.attack_type


def _link_lede(
    drafts: list[_Draft], sentences: list[Sentence], text: str, cues: dict[int, Cues | None]
) -> None:
    """The lede names the story's attacks; the body tells each in full.

    - A lede draft whose place and attack type a later draft repeats is that later draft
      (its sentence becomes more evidence: the later, fuller sentence dates it).
    - A later sentence that refers back to the lede's attack ('The blast hit the train near
      X') without a date word of its own takes the lede's ('early Monday')."""
    lede = next((i for i in (0, 1) if cues.get(i) is not None), None)
    if not drafts or lede is None:
        return
    for d in [d for d in drafts if d.index == lede and d.site is not None]:
        later = next(
            (
                o
                for o in drafts
                if o.index > lede
                and o.site is not None
                and d.site is not None
                and o.site.place == d.site.place
                and o.attack.attack_type == d.attack.attack_type
            ),
            None,
        )
        if later is not None:
            later.extra.append(d.sentence)
            later.extra_cues.append(f"the lede (sentence {lede + 1}) names this attack too")
            drafts.remove(d)
    lede_sent = sentences[lede]
    # the lede's clauses (one, or one per event) and which of them named a place of their own
    parts = _clause_types(lede_sent) if _TWO_PARTS.search(lede_sent.text) else []
    if not parts:
        parts = [_Clause(lede_sent.start, lede_sent.end, cues[lede])]
    at = [d.site.mention.start for d in drafts if d.index == lede and d.site is not None]
    placed = {d.site.place for d in drafts if d.index == lede and d.site is not None}
    for d in drafts:
        if not (lede < d.index <= lede + 2) or d.site is None or d.site.place in placed:
            continue
        backref = _BOMB_BACKREF.search(d.sentence.text) or ANAPHOR.search(d.sentence.text)
        for c in parts:
            if c.cues is None or c.cues.attack_type != d.attack.attack_type:
                continue
            unplaced = not any(c.start <= a < c.end for a in at)
            if not (backref or unplaced):
                continue
            raw = text[c.start : c.end]
            body = raw.strip(" ,")
            at_body = c.start + raw.find(body)
            clause = Sentence(body, at_body, at_body + len(body))
            d.extra.append(clause)
            d.extra_cues.append(
                f"the lede's {c.cues.attack_type.value} (sentence {lede + 1}) names no place of "
                "its own: this is that attack, dated by the lede when it has no date of its own"
            )
            for u in [
                u
                for u in drafts
                if u.index == lede and u.site is None and u.attack.attack_type == c.cues.attack_type
            ]:
                drafts.remove(u)  # the lede's placeless draft of it is this draft
            break


# A sentence that refers back to an attack and says where it was: 'The incident happened in
# the province's Tank district', 'the explosion took place near X', 'claimed responsibility
# for the attack in Awaran district'.
_REFER_PLACE = re.compile(
    r"\b(?:incident|attack|assault|blast|explosion|bombing|ambush|abduction|kidnapping|firing|"
    r"shooting|raid)s?\b[^.;]{0,40}?\b(?:took place|happened|occurred|was reported|"
    r"was carried out|were carried out)\b|"
    r"\b(?:[Tt]he|[Tt]his|[Tt]hat)\s+(?:[\w-]+\s+)?(?:attack|assault|blast|explosion|bombing|"
    r"ambush|incident|abduction|kidnapping)s?\s+(?:in|at|near|on)\s+(?:the\s+)?(?:[\w’'-]+\s+){0,3}?"
    r"(?:[A-Z]|district|town|village|area)",
)
# 'In a separate incident', 'another attack': a new event, never merged into one told before
_PRONOUN_SPEAKER = re.compile(r"\b(?:he|she|they|it) (?:said|added|told)\b", re.IGNORECASE)


def _place_back(
    drafts: list[_Draft],
    sent: Sentence,
    idx: int,
    s: str,
    finder: PlaceFinder,
    locator: Locator,
    text: str,
    skip: Sequence[tuple[int, int]],
) -> bool:
    """Give a placeless attack told before the place a refer-back sentence names. True when
    it did (the sentence then makes no draft of its own)."""
    if not _REFER_PLACE.search(s):
        return False
    target = next(
        (d for d in reversed(drafts) if d.site is None and d.unnamed is None and d.index < idx),
        None,
    )
    if target is None or any(d.site is not None and d.index > target.index for d in drafts):
        return False
    mentions, _ = finder.find(text, sent, skip)
    sites, _ = _sites(mentions, locator, text, sent)
    if len(sites) != 1:
        return False
    target.site = sites[0]
    target.extra.append(sent)
    target.extra_cues.append(
        f"sentence {idx + 1} refers back to this attack and says where it was "
        f"('{_REFER_PLACE.search(s).group()}')"  # type: ignore[union-attr]
    )
    return True


def _same_family(a: AttackType, b: AttackType) -> bool:
    bombs = {AttackType.bombing, AttackType.suicide_bombing}
    return a == b or (a in bombs and b in bombs)


def _same_figures(a: Counts, b: Counts) -> bool:
    return all(getattr(b, f) in (None, getattr(a, f)) for f in COUNT_FIELDS) and b.any()


def _absorb(host: _Draft, d: _Draft, why: str) -> None:
    """Draft ``d`` is more of the attack ``host`` tells: its sentence becomes evidence, its
    figures fill what the host lacks, its targets join the host's."""
    host.extra.append(d.sentence)
    host.extra_cues.append(f"sentence {d.index + 1} {why}")
    if host.counts is None and d.counts is not None:
        host.counts, host.who = d.counts, host.who or d.who
    elif (
        host.who is None
        and d.who
        and d.counts is not None
        and host.counts is not None
        and _same_figures(host.counts, d.counts)
    ):
        host.who = d.who  # the same figures, now with their source
    if not host.infra:  # the host's own sentence names its targets best; else take these
        host.infra.extend(d.infra)
        host.infra_cues.extend(d.infra_cues)
    if d.attack.attack_type != host.attack.attack_type and host.second is None:
        host.second = d.attack.attack_type


def _merge_placeless(drafts: list[_Draft]) -> None:
    """A placeless attack sentence in copy that tells an attack of that kind already is more
    of that attack ('The ambush was carried out by …', 'the attackers fled'), not a new
    incident — unless the copy marks it as another one ('In a separate incident …') or it
    happened in unnamed other places; so is what the same attackers did next ('They torched
    an excavator', of whatever type). One draft per real attack, not one per sentence."""
    for d in list(drafts):
        text = d.sentence.text
        earlier = [o for o in drafts if o is not d and o.index < d.index and o.site is not None]
        if d.site is not None and d.site.mention.attribution and earlier:
            # 'a Levies official in Nasirabad said …': where the speaker is, about the attack
            # told before, not a new site
            _absorb(earlier[-1], d, f"quotes a source in {d.site.place} about this attack")
            drafts.remove(d)
            continue
        if d.site is not None and not cue("separate", text):
            same = next(
                (
                    o
                    for o in drafts
                    if o is not d
                    and o.index < d.index
                    and o.site is not None
                    and o.site.place == d.site.place
                    and _same_family(o.attack.attack_type, d.attack.attack_type)
                ),
                None,
            )
            if same is not None:  # 'the ambush near Kulachi' after 'came under fire near Kulachi'
                _absorb(same, d, f"tells more of this attack at {d.site.place}")
                drafts.remove(d)
            continue
        if d.site is not None or d.unnamed is not None:
            continue
        before = [o for o in drafts if o is not d and o.index < d.index]
        if before and cue("same_actors", text) and not cue("new_event", text):
            _absorb(before[-1], d, "tells what the same attackers did next")
            drafts.remove(d)
            continue
        if cue("separate", text):
            continue
        located = [o for o in drafts if o.site is not None]
        if len(located) == 1:
            # copy that places one attack tells it in every placeless attack sentence too
            _absorb(located[0], d, "tells the one attack the copy places (no place of its own)")
            drafts.remove(d)
            continue
        kin = [
            o
            for o in drafts
            if o is not d and _same_family(o.attack.attack_type, d.attack.attack_type)
        ]
        if not kin:
            continue
        kin_before = [o for o in kin if o.index <= d.index]
        host = kin_before[-1] if kin_before else kin[0]
        _absorb(
            host,
            d,
            f"tells more of this attack (a {d.attack.attack_type.value} with no place of its own)",
        )
        drafts.remove(d)


_ACTOR = re.compile(
    r"^(?:The\s+)?(?:outlawed\s+|banned\s+|proscribed\s+)?(?P<actor>.+?)\s+(?:later\s+|has\s+|have\s+)?"
    r"(?:claimed|said (?:it|they))\b"
)


def _actor(sentence: str) -> str | None:
    m = _ACTOR.match(sentence)
    if not m:
        return None
    actor = m["actor"].strip(" ,")
    if len(actor) > 120 or not actor[:1].isupper():
        return None
    return actor


def _short_actor(actor: str) -> str:
    m = re.search(r"\(([A-Z]{2,8})\)", actor)
    if m:
        return m[1]
    return actor.split(",")[0].strip()


def _assign_actors(
    drafts: list[_Draft], responsibility: list[tuple[ResponsibilityClaim, Sentence, int]]
) -> None:
    """'X claimed the attacks' → every draft; 'claimed the Bannu bombing' → that one."""
    for claim, sent, idx in responsibility:
        label = f"{_short_actor(claim.actor)} (claimed)"
        s = sent.text.lower()
        chosen = [d for d in drafts if d.site and d.site.place.lower() in s]
        if not chosen:
            words = {
                "abduction": AttackType.abduction,
                "kidnapping": AttackType.abduction,
                "bombing": AttackType.bombing,
                "suicide": AttackType.suicide_bombing,
                "grenade": AttackType.grenade,
            }
            kinds = {t for w, t in words.items() if w in s}
            infra = {i for i in Infrastructure if i.value.replace("_", " ") in s}
            infra |= {Infrastructure.highway for w in ("bus", "road") if w in s}
            infra |= {Infrastructure.energy for w in ("pipeline", "gas") if w in s}
            chosen = [d for d in drafts if d.attack.attack_type in kinds or set(d.infra) & infra]
        if not chosen and re.search(r"\bthe attacks\b|\bthe violence\b", s):
            chosen = list(drafts)
        if not chosen:
            before = [d for d in drafts if d.index < idx]
            if before:
                chosen = [d for d in before if d.index == before[-1].index]
        for d in chosen:
            if d.actor is None:
                d.actor = label
