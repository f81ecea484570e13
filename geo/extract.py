"""Wire copy → draft incidents: rule-based, deterministic, explainable, offline.

Desk editors get copy like the seed article and today type each incident by hand. This
module reads the copy sentence by sentence and proposes drafts (``status: draft``) for the
editor to check: one per attacked place per attack sentence, with the attack type, the
infrastructure hit, the outcome, casualty figures with who gave them, the sentence itself
as evidence (with character offsets into :attr:`Extraction.text`) and the list of cues that
produced it, so an editor can see *why*. Story-wide totals become casualty claims, kept
apart from incidents and never summed. No model, no network: hand-written rules over
sentences plus the offline gazetteer (``geo.gazetteer``) and the district layer.

Rules are deliberately conservative about places: a name is an attack site only when it is
a Pakistani town or district standing alone in its capitalised phrase (not part of a
person's or an organisation's name), is not a demonym, a province or a foreign place, is not
the dateline ("Islamabad, Feb. 1:" is where the story was filed) and is not only the start
or end of a route. An attack with no such place becomes an unlocated draft, never a guess.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from html.parser import HTMLParser
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from geo.dates import (
    MONTH_RE,
    NOT_SET,
    Anchor,
    When,
    after_previous,
    anchor,
    header_date,
    parse_month_day,
    sentence_date,
    span_days,
    undated,
    within_span,
)
from geo.errors import SitmapError
from geo.model import (
    ID_PATTERN,
    CasualtyClaim,
    Evidence,
    Incident,
    ResponsibilityClaim,
    Source,
    Story,
)
from geo.taxonomy import AttackType, GeoPrecision, Infrastructure, Status

MAX_CHARS = 200_000  # about 30,000 words: far more than one article, far less than a book
MIN_ENGLISH_SHARE = 0.08  # share of common English function words in running English ~0.3


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


# --- input cleaning -------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_HTML_HINT = re.compile(
    r"<\s*(?:!doctype|html|head|body|p|div|br|span|a|article|section|h[1-6]|script|style|li|ul|"
    r"ol|table|tr|td|meta|link|strong|em|b|i|figure|header|footer|nav|main)\b[^>]*>",
    re.IGNORECASE,
)
_BLOCK_TAGS = _words(
    "p div br li ul ol h1 h2 h3 h4 h5 h6 tr table article section header footer blockquote "
    "figure figcaption main aside nav dd dt pre hr title"
)
_SKIP_TAGS = _words("script style noscript template svg head iframe object")


class _TextOnly(HTMLParser):
    """Keep the readable text of pasted HTML; blocks become line breaks (paragraphs)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self.skip += 1
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self.skip = max(0, self.skip - 1)
        elif tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def strip_html(text: str) -> str:
    parser = _TextOnly()
    parser.feed(text)
    parser.close()
    return "".join(parser.parts)


def clean_text(text: str) -> tuple[str, list[str]]:
    """Normalise pasted copy; strip tags when it is HTML. Returns (text, notes)."""
    notes: list[str] = []
    if _HTML_HINT.search(text[:20000]):
        text = strip_html(text)
        notes.append("HTML tags stripped; offsets refer to the text without tags")
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"[\u00a0\u2000-\u200a\u202f\t]", " ", text)
    text = re.sub(r"[\u200b-\u200d\ufeff]", "", text)
    lines = [" ".join(line.split()) for line in text.split("\n")]
    text = "\n".join(line for line in lines if line)
    return text, notes


_ENGLISH = _words(
    "the a an of in on at to and or but was were is are said says by for with from as that "
    "this it its he she they their his her had has have been after before"
)


_LETTER = re.compile(r"[^\W\d_]")
_LATIN = re.compile(r"[A-Za-z]")


def not_english(text: str) -> str | None:
    """A reason if the text is not English (other script, or no English function words)."""
    sample = text[:20000]
    letters = len(_LETTER.findall(sample))
    if letters >= 20:
        latin = len(_LATIN.findall(sample))
        if latin / letters < 0.6:
            return (
                "the text is not in English (mostly non-Latin script); "
                "extraction reads English wire copy only — paste an English version"
            )
    words = re.findall(r"[a-z]+", sample.lower())
    if len(words) >= 30 and sum(w in _ENGLISH for w in words) / len(words) < MIN_ENGLISH_SHARE:
        return (
            "the text does not look like English (few English function words); "
            "extraction reads English wire copy only — paste an English version"
        )
    return None


MAX_FILE_BYTES = 20_000_000


def read_article(path: Any) -> str:
    """An article file as text (UTF-8, else Windows-1252 as old wire systems write it)."""
    from pathlib import Path

    p = Path(path)
    try:
        size = p.stat().st_size
        if p.is_dir():
            raise SitmapError(f"ARTICLE: {p} is a folder; fix: give the article's text file")
        if size > MAX_FILE_BYTES:
            raise SitmapError(
                f"ARTICLE: {p} is {size / 1e6:.0f} MB; fix: give one article (a text or HTML file)"
            )
        data = p.read_bytes()
    except FileNotFoundError:
        raise SitmapError(f"ARTICLE: {p}: no such file; fix: check the path") from None
    except PermissionError:
        raise SitmapError(f"ARTICLE: {p}: not readable; fix: check its permissions") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


# --- sentences and dateline -----------------------------------------------------------------


@dataclass(frozen=True)
class Sentence:
    text: str
    start: int
    end: int


_ABBREV = _words(
    "jan feb mar apr jun jul aug sep sept oct nov dec mr mrs ms dr gen lt col maj capt brig "
    "sgt st no govt gov sen rep prof inc ltd co jr sr vs etc dept est approx fig ref"
)
_BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*\s+(?=[\"'“‘(]?[A-Z0-9])")
_DATELINE = re.compile(
    r"(?:[A-Z][A-Za-z]+(?: [A-Za-z]+){0,2} [Rr]eport(?:er)?\s*[:|/-]\s*)?"  # 'Dawn report: '
    r"(?P<place>[A-Z][A-Za-z'’.]+(?:[ -][A-Z][A-Za-z'’.]+){0,3})"
    r"(?:,\s*(?P<region>[A-Z][A-Za-z]+(?: [A-Z][A-Za-z]+)?)|\s*\((?P<region_p>[A-Z][A-Za-z]+)\))?"
    rf"(?:,?\s*(?P<date>{MONTH_RE}\s*\d{{1,2}}(?:,?\s*(?:19|20)\d\d)?|"
    rf"\d{{1,2}}\s+{MONTH_RE}(?:,?\s*(?:19|20)\d\d)?))?"
    r"\s*(?:\((?P<agency>[A-Za-z .&/]{2,30})\))?"
    r"(?:\s*(?P<sep>:|—|–|--|-)\s+|(?<=\))\s+(?=[A-Z]))"  # 'Peshawar, Jun 6 (PTI) Gunmen'"
)


_NOT_DATELINE = _words(
    "update updated note editor breaking exclusive warning correction photo video analysis "
    "opinion live watch read listen comment editorial explainer background timeline"
)
_DATELINE_COUNTRIES = frozenset(
    {"pakistan", "afghanistan", "india", "iran", "china", "united arab emirates", "qatar"}
)


@dataclass(frozen=True)
class Dateline:
    place: str
    start: int
    end: int  # end of the whole dateline (after the separator)
    agency: str | None
    month: int | None
    day: int | None
    year: int | None = None
    date_text: str | None = None  # the date as written, e.g. 'Feb. 1'


def find_dateline(text: str) -> Dateline | None:
    """'Islamabad, Feb. 1:' / 'PESHAWAR, Pakistan (AP) —' at the start of one of the first
    lines: where the story was filed, not where anything happened."""
    pos = 0
    for _ in range(3):
        end = text.find("\n", pos)
        line_end = len(text) if end < 0 else end
        m = _DATELINE.match(text, pos, line_end)
        if m and (
            m["date"]
            or m["agency"]
            or m["place"].replace(" ", "").isupper()
            or (m["region"] or m["region_p"] or "").casefold() in _DATELINE_COUNTRIES
            or (  # 'Quetta: ' (but not 'Update: ')
                m["sep"] == ":"
                and not m["region"]
                and " " not in m["place"]
                and m["place"].casefold() not in _NOT_DATELINE
            )
        ):
            month = day = year = None
            if m["date"]:
                found = parse_month_day(m["date"])
                if found:
                    month, day, year = found
            place = m["place"]
            if place.isupper():
                place = place.title()
            return Dateline(place, m.start(), m.end(), m["agency"], month, day, year, m["date"])
        if end < 0:
            break
        pos = end + 1
    return None


def filing_anchor(text: str, dateline: Dateline | None, published: dt.date | None) -> Anchor:
    """The day the copy was filed (see geo.dates.anchor): the dateline's month and day, the
    year from the dateline, from a date line above it (the seed's '02/01/2026'), or from
    the reference date; never from the clock."""
    head_end = dateline.start if dateline else text.find("\n")
    lines = text[: head_end if head_end >= 0 else len(text)].split("\n")
    if not dateline:
        lines = lines[:1]
    header = None
    for line in lines[-2:]:
        hdate, hyear = header_date(line, dateline.month if dateline else None,
                                   dateline.day if dateline else None)  # fmt: skip
        if hyear:
            header = (hdate, hyear, line.strip())
    dl = (dateline.month, dateline.day, dateline.year) if dateline and dateline.month else None
    return anchor(dl, dateline.date_text if dl else None, header, published)


def split_sentences(text: str, skip: Iterable[tuple[int, int]] = ()) -> list[Sentence]:
    """Sentences with exact offsets. Lines are paragraphs (hard breaks); abbreviations such
    as 'Feb.' and initials such as 'D.I. Khan' do not end a sentence. ``skip`` spans (the
    dateline) are left out."""
    spans = sorted(skip)
    out: list[Sentence] = []
    pos = 0
    n = len(text)
    while pos < n:
        nl = text.find("\n", pos)
        line_end = n if nl < 0 else nl
        start = pos
        for a, b in spans:
            if a <= start < b:
                start = b
        cut = start
        for m in _BOUNDARY.finditer(text, start, line_end):
            before = text[cut : m.start()].rsplit(None, 1)
            word = before[-1].rstrip(".").lower() if before else ""
            last = word.rsplit(".", 1)[-1]
            if text[m.start()] == "." and (
                word in _ABBREV or len(last) == 1 or re.fullmatch(r"(?:[a-z]\.)+[a-z]", word)
            ):
                continue
            _add(out, text, cut, m.start() + len(m.group().rstrip()))
            cut = m.end()
        _add(out, text, cut, line_end)
        pos = line_end + 1
    return out


def _add(out: list[Sentence], text: str, start: int, end: int) -> None:
    chunk = text[start:end]
    lead = len(chunk) - len(chunk.lstrip())
    chunk = chunk.strip()
    if chunk and any(c.isalpha() for c in chunk):
        out.append(Sentence(chunk, start + lead, start + lead + len(chunk)))


# --- attack, infrastructure and outcome cues ------------------------------------------------

_DEFINITE = re.compile(
    r"(?:\b[Tt]he|\b[Tt]his|\b[Tt]hat|\b[Tt]hese|\b[Tt]hose|\b[Ss]uch|’s|'s)\s+(?:[\w-]+\s+)?$"
)


@dataclass(frozen=True)
class Rule:
    value: str
    label: str
    pattern: re.Pattern[str]
    noun: bool = False  # a noun cue ('a bomb') counts only when not a definite back-reference


def _r(value: str, label: str, pattern: str, noun: bool = False) -> Rule:
    return Rule(value, label, re.compile(pattern, re.IGNORECASE), noun)


# Highest priority first: the first type whose cue is found names the attack.
ATTACK_RULES: tuple[Rule, ...] = (
    _r(
        "suicide_bombing",
        "suicide attack",
        r"\bsuicide[- ](?:bomb\w*|attack\w*|blast\w*|car|vest|jacket)",
    ),
    _r("suicide_bombing", "blew himself up", r"\bblew (?:himself|herself|themselves) up\b"),
    _r("grenade", "grenade", r"(?<!propelled )(?<!propelled-)\b(?:hand[- ])?grenades?\b"),
    _r(
        "abduction",
        "abduction",
        r"\b(?:abduct(?:ed|ing|s)?|kidnap(?:ped|ping|s)?|hijack(?:ed|ing)?)\b",
    ),
    _r("abduction", "hostages", r"\b(?:took|taken|taking|holding|held) [\w ]{0,30}hostages?\b"),
    _r(
        "sabotage",
        "damage to infrastructure",
        r"\b(?:blew up|blown up|damag(?:ed|ing)|sabotag\w*|destroy(?:ed|ing)|uproot(?:ed|ing)|derail(?:ed|ing)|vandali[sz]ed)\b",
    ),
    _r(
        "sabotage",
        "arson",
        r"\b(?:torch(?:ed|ing)|set (?:fire to|on fire|ablaze)|burn(?:ed|t) down)\b",
    ),
    _r(
        "bombing",
        "bomb/IED",
        r"\b(?:(?:car |roadside |remote[- ]controlled |time |pressure[- ]cooker )?bombs?|bombings?|bombed|IEDs?|improvised explosive(?: device)?s?|explosive devices?|landmines?|explosives[- ]laden)\b",
        noun=True,
    ),
    _r("bombing", "blast", r"\b(?:blasts?|explosions?)\b", noun=True),
    _r("bombing", "exploded", r"\b(?:exploded|detonated|went off)\b"),
    _r(
        "armed_assault", "stormed", r"\b(?:storm(?:ed|ing)|overr(?:a|u)n|tried to overrun|raided)\b"
    ),
    _r(
        "armed_assault",
        "gunfire",
        r"\b(?:opened fire|open fire|fired (?:on|at|upon)|firing (?:on|at)|shot dead|shot and killed|gunned down|gun attack|gunfight|exchange of fire|ambush(?:ed|ing)?)\b",
    ),
    _r(
        "armed_assault",
        "gunmen killed",
        r"\b(?:gunmen|assailants|militants|attackers)\b[^.;]{0,40}?\b(?:killed|shot|wounded|injured)\b",
    ),
    _r("armed_assault", "rockets/mortars", r"\b(?:rockets?|mortars?|rocket-propelled)\b"),
    _r(
        "armed_assault",
        "attacked",
        r"\b(?:attacked|attacking|(?:tried|attempts?|attempted|tries|trying|bids?) to (?:attack|strike|storm|target|overrun)|(?:a|an)\s+(?:\w+\s+){0,2}(?:attack|assault|raid) on)\b",
    ),
)

SABOTAGE_OBJECT = re.compile(
    r"\b(?:tracks?|railway|rail ?lines?|pipelines?|towers?|pylons?|power lines?|transmission|"
    r"bridges?|gas|grid|installations?|masts?|cables?|carriages?)\b",
    re.IGNORECASE,
)

INFRA_RULES: tuple[Rule, ...] = (
    _r(
        "prison",
        "prison/jail",
        r"\b(?:prisons?|jails?|inmates|prisoners|detention cent(?:re|er))\b",
    ),
    _r(
        "rail", "rail", r"\b(?:rail(?:way)?s?|trains?|tracks?|express train|locomotive|carriages)\b"
    ),
    _r(
        "highway",
        "highway/road/bus",
        r"\b(?:highways?|motorway|(?<!along the )(?<!beside the )(?<!by the )road(?! ?side)|bus(?:es)?|"
        r"coach(?:es)?|convoy of vehicles)\b",
    ),
    _r(
        "police",
        "police",
        r"\b(?:police (?:stations?|vehicles?|vans?|mobiles?|patrols?|posts?|checkpoints?|check ?posts?|headquarters|lines|officers?|constables?|personnel|convoy|trucks?)|policem[ae]n|constables?|police station|traffic (?:wardens?|police))\b",
    ),
    _r(
        "security_post",
        "security post/checkpoint",
        r"\b(?:security (?:posts?|checkpoints?|check ?posts?|camps?)|checkpoints?|check ?posts?|check-posts?|outposts?|pickets?|army (?:posts?|camps?)|military (?:posts?|camps?))\b",
    ),
    _r(
        "paramilitary",
        "paramilitary/FC",
        r"\b(?:paramilitar(?:y|ies)|Frontier Corps|FC|Rangers|Levies|Gilgit-Baltistan Scouts)\b",
    ),
    _r(
        "government_office",
        "government office",
        r"\b(?:government (?:offices?|buildings?|compound)|deputy commissioner|assistant commissioner|commissioner'?s office|customs|tehsil office|district (?:office|administration)|secretariat|court(?:s| complex)?|revenue office)\b",
    ),
    _r("port", "port", r"\b(?:ports?|harbou?r|seaport|jetty)\b(?! (?:city|town)\b)"),
    _r("airport", "airport", r"\b(?:airports?|air ?base|airfield|airstrip)\b"),
    _r(
        "energy",
        "energy",
        r"\b(?:gas pipelines?|pipelines?|power (?:lines?|stations?|plants?|pylons?|grid)|electricity|pylons?|transmission (?:lines?|towers?)|grid stations?|gas (?:field|plant|well)s?|oil tankers?)\b",
    ),
    _r(
        "telecom",
        "telecom",
        r"\b(?:(?:mobile|cell(?:ular)?|phone|telecom(?:munication)?s?|communication) (?:phone )?(?:towers?|masts?)|telecom|fibre[- ]optic)\b",
    ),
    _r(
        "other",
        "military vehicle/convoy",
        r"\b(?:army|military|troop) (?:vehicles?|convoys?|trucks?|patrols?)\b",
    ),
    _r(
        "civilians",
        "civilians",
        r"\b(?:civilians?|passengers?|worshipp?ers|labou?rers|workers?|carrying (?:[\w-]+ ){0,2}(?:engineers|nationals|foreigners|tourists)|shoppers|markets?|bazaars?|students|schools?|children|travell?ers|houses?|homes?|elders?|shrines?|mosques?|churches|church|wedding|funeral|journalists?|relatives|traders?|shopkeepers?|businessm[ae]n)\b",
    ),
)
# Infrastructure the rules above would also catch from a word that is not a target
_INFRA_CANCEL = {
    "civilians": re.compile(r"\bno civilians\b", re.IGNORECASE),
}

OUTCOME_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"\b(?:repel(?:led|s)?|repulsed|beaten back|pushed back|driven back)\b", re.I),
        "attack repelled",
    ),
    (
        re.compile(r"\b(?:foiled|thwarted|were (?:also )?stopped|was (?:also )?stopped)\b", re.I),
        "attack stopped",
    ),
    (
        re.compile(r"\bno one was (?:hurt|injured|killed)|\bno casualties\b|\bno injuries\b", re.I),
        "no casualties",
    ),
    (re.compile(r"\b(?:fled|flee|fleeing|escaped)\b", re.I), "attackers fled"),
    (re.compile(r"\bderail(?:ed|ing)\b", re.I), "train derailed"),
    (re.compile(r"\bsuspended\b", re.I), "services suspended"),
    (re.compile(r"\b(?:torched|set (?:fire to|on fire|ablaze))\b", re.I), "set on fire"),
)
_FREED = re.compile(
    r"\b(?:freed|released|escaped with|set(?: free)?)\s+(?P<q>(?:more than|at least|over|nearly|about|some|around)\s+)?"
    r"(?P<n>\d[\d,]*|[a-z]+)\s+(?:inmates|prisoners)",
    re.IGNORECASE,
)

OVERVIEW = re.compile(
    r"\b(?:series of|wave of|spate of|string of|coordinated|across (?:the )?(?:province|country|region)|"
    r"across (?:[A-Z][\w-]+))",
)
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


@dataclass
class Cues:
    attack_type: AttackType
    cues: list[str]
    overview: bool


# Every attack rule needs one of these words: a cheap first pass over each sentence.
_ATTACK_WORDS = re.compile(
    r"suicide|blew|blown|grenade|abduct|kidnap|hijack|hostage|damag|torch|fire|ablaze|sabotag|destroy|"
    r"uproot|derail|vandal|bomb|IED|explosi|landmine|blast|detonat|went off|storm|overr|raid|"
    r"shot|gun|exchange|ambush|rocket|mortar|attack|assault|strik",
    re.IGNORECASE,
)


_BOMB_BACKREF = re.compile(
    r"\b(?:[Tt]he|[Tt]his|[Tt]hat)\s+(?:[\w-]+\s+)?(?:blast|bomb|bombing|explosion|IED)\b"
)


def attack_cues(sentence: str) -> Cues | None:
    """The attack type a sentence describes, with the words that show it; None if none.

    Only event language counts: 'stormed a prison', 'a bomb exploded', 'attempts to attack'.
    A definite back-reference ('the attacks', 'the Bannu bombing') is not a new event."""
    if not _ATTACK_WORDS.search(sentence):
        return None
    found: list[tuple[Rule, re.Match[str]]] = []
    for rule in ATTACK_RULES:
        for m in rule.pattern.finditer(sentence):
            if rule.noun and _DEFINITE.search(sentence[max(0, m.start() - 40) : m.start()]):
                continue
            if rule.label == "damage to infrastructure" and not SABOTAGE_OBJECT.search(sentence):
                continue
            found.append((rule, m))
            break
    if not found:
        return None
    rule, _ = found[0]
    if rule.label == "damage to infrastructure" and (back := _BOMB_BACKREF.search(sentence)):
        # 'The blast hit the train, derailing four carriages': the damage is the bombing's
        return Cues(
            AttackType.bombing,
            [
                f"attack: '{back.group()}' (a bombing told before) → bombing (strongest cue)",
                f"attack: '{found[0][1].group()}' → sabotage (what the blast did)",
            ],
            bool(OVERVIEW.search(sentence)),
        )
    cues = [f"attack: '{m.group()}' → {r.value}" for r, m in found[:3]]
    cues[0] = cues[0] + " (strongest cue)"
    return Cues(AttackType(rule.value), cues, bool(OVERVIEW.search(sentence)))


# who said it is not what was hit: 'said the deputy commissioner, X.' / ', the deputy
# commissioner said' / 'according to the court registrar' name a speaker, not a target
_SPEAKER_SPANS = (
    re.compile(
        r"\b(?:said|told (?:\w+ )?(?:reporters|journalists|[A-Z]\w+))\s+"
        r"(?P<span>(?:the |a |an )?[^.;:\"“”]{2,80}?)[.]?[\"”’]?$"
    ),
    re.compile(r"\baccording to (?P<span>[^.;:,\"“”]{2,60})"),
    re.compile(r"(?:^|,[\"”’]?\s+)(?P<span>(?:[\w’'()-]+ ){0,6}?[\w’'()-]+),?\s+(?:said|told)\b"),
)


# where a convoy or bus was going is not what was hit: 'a convoy carrying engineers to Port
# Qasim', 'a bus bound for Gwadar Port'
_DESTINATION = re.compile(
    r"(?:(?<=\bto )|(?<=\btowards )|(?<=\bbound for ))(?:the )?[A-Z][\w'’-]*(?: [A-Z][\w'’-]*){0,3}"
)
_SAYS = re.compile(r"\b(?:said|told|according)\b")


def mask_speakers(sentence: str) -> str:
    """The sentence with speaker phrases blanked (same length, offsets kept)."""
    out = sentence
    if not _SAYS.search(sentence):
        return out
    for pattern in _SPEAKER_SPANS:
        for m in pattern.finditer(sentence):
            span = m["span"]
            if (
                _CLAUSE_VERB.search(span)
                or _ATTACK_WORDS.search(span)
                or _CASUALTY_WORDS.search(span)
                or re.search(r"\bthat\b", span)
            ):
                continue  # 'said a worker was shot dead': what was said, not who said it
            a, b = m.span("span")
            out = out[:a] + " " * (b - a) + out[b:]
    return out


def infrastructure(sentence: str) -> tuple[list[Infrastructure], list[str]]:
    values: list[Infrastructure] = []
    cues: list[str] = []
    sentence = _DESTINATION.sub(lambda m: " " * len(m.group()), mask_speakers(sentence))
    for rule in INFRA_RULES:
        m = rule.pattern.search(sentence)
        if not m:
            continue
        cancel = _INFRA_CANCEL.get(rule.value)
        if cancel and cancel.search(sentence):
            continue
        if Infrastructure(rule.value) not in values:
            values.append(Infrastructure(rule.value))
            cues.append(f"target: '{m.group()}' → {rule.value}")
    # an energy pipeline or a telecom tower is not also a rail track or a road
    if (
        Infrastructure.energy in values
        and Infrastructure.rail in values
        and not re.search(r"\b(?:rail|train|railway)", sentence, re.I)
    ):
        values.remove(Infrastructure.rail)
    return values, cues


def outcome(sentence: str) -> tuple[str | None, list[str]]:
    parts: list[str] = []
    m = _FREED.search(sentence)
    if m:
        parts.append(f"{(m['q'] or '').lower()}{m['n']} inmates freed")
    for pattern, label in OUTCOME_RULES:
        if pattern.search(sentence) and label not in parts:
            parts.append(label)
    return ("; ".join(parts) or None), [f"outcome: {p}" for p in parts]


# --- casualties and attribution -------------------------------------------------------------

_WORDNUM = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
    "dozen": 12, "a dozen": 12,
}  # fmt: skip
_NUM = (
    r"(?:\d[\d,]*|a dozen|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|"
    r"sixty|seventy|eighty|ninety|hundred)"
)
_QUAL = (
    r"(?:(?P<qual>at least|more than|over|nearly|almost|about|around|some|up to|as many as)\s+)?"
)
_GROUP_SECURITY = (
    r"(?:law[- ]enforcement |security |police |paramilitary |FC |army )?(?:personnel|policem[ae]n|"
    r"police ?officers?|officers?|constables?|soldiers?|troops|security forces?|guards?|"
    r"levies(?: personnel)?|security men|cops|servicem[ae]n|traffic wardens?)"
)
_GROUP_MILITANT = (
    r"(?:militants?|attackers?|insurgents?|terrorists?|gunmen|assailants|fighters|rebels|bombers?)"
)
_GROUP_CIVILIAN = (
    r"(?:civilians?|passengers?|worshipp?ers|labou?rers|workers?|children|students|women|"
    r"engineers|nationals|relatives|shoppers|travell?ers|villagers|drivers?|pilgrims)"
)
_GROUP_ANY = r"(?:people|persons|others|(?:of (?:his|her|their|them) )?\w+)"
_NOUN = rf"(?:(?:[\w-]+ ){{0,2}}?(?P<group>{_GROUP_SECURITY}|{_GROUP_MILITANT}|{_GROUP_CIVILIAN}|people|persons|others))"
_KILL_BEFORE = re.compile(
    rf"\b(?:killing|killed|claimed the lives of|left|leaving|shot dead|gunned down|massacred|"
    rf"(?:including|among them))\s+{_QUAL}(?P<n>{_NUM}|an?)\b(?:\s+{_NOUN})?",
    re.IGNORECASE,
)
_KILL_AFTER = re.compile(
    rf"\b{_QUAL}(?P<n>{_NUM})\s+{_NOUN}(?:,[^,]{{0,40}},)?\s+"
    rf"(?:were|was|had been|have been|are|being|got|had|have)?\s*"
    rf"(?P<verb>killed|dead|died|martyred|wounded|injured|hurt|lost (?:their|his|her) lives)\b",
    re.IGNORECASE,
)
# '17 law enforcement personnel and 31 civilians lost their lives': one verb for a list
_LIST_AFTER = re.compile(
    rf"\b{_QUAL}(?P<n>{_NUM}|an?)\s+{_NOUN}\s+and\s+(?P<qual2>at least\s+)?(?P<n2>{_NUM})\s+"
    rf"(?:[\w-]+ ){{0,2}}?(?P<group2>{_GROUP_SECURITY}|{_GROUP_MILITANT}|{_GROUP_CIVILIAN}|people|"
    rf"persons|others)\s+(?:were|had been|have been|are)?\s*"
    rf"(?:killed|dead|died|martyred|lost (?:their|his|her) lives)\b",
    re.IGNORECASE,
)
# 'twelve people, including ten soldiers, were killed': a total and the group inside it
_INCLUDING_AFTER = re.compile(
    rf"\b{_QUAL}(?P<n>{_NUM})\s+(?:people|persons)\s*,?\s+including\s+(?P<n2>{_NUM}|an?)\s+"
    rf"(?:[\w-]+ ){{0,2}}?(?P<group2>{_GROUP_SECURITY}|{_GROUP_MILITANT}|{_GROUP_CIVILIAN})\s*,?\s+"
    rf"(?:were|had been|have been|are)?\s*(?:killed|dead|died|martyred|lost (?:their|his|her) lives)\b",
    re.IGNORECASE,
)
_INJURE_BEFORE = re.compile(
    rf"\b(?:wounding|injuring|wounded|injured|hurting)\s+{_QUAL}(?P<n>{_NUM})\b(?:\s+{_NOUN})?",
    re.IGNORECASE,
)
# 'were killed and 12 injured' / 'and 12 others were wounded': the injured after the dead
_AND_INJURED = re.compile(
    rf"^\s*(?:,\s*)?and\s+{_QUAL}(?P<n>{_NUM})\s+(?:others?\s+|more\s+)?(?:were\s+)?"
    r"(?:wounded|injured|hurt)\b",
    re.IGNORECASE,
)
# '14 bodies' (dead) / '37 wounded people' (injured) / 'put the death toll at 11' (dead)
_BODIES = re.compile(rf"\b{_QUAL}(?P<n>{_NUM})\s+(?:dead\s+)?bodies\b", re.IGNORECASE)
_WOUNDED_NOUN = re.compile(
    rf"\b{_QUAL}(?P<n>{_NUM})\s+(?:wounded|injured)\s+(?:people|persons|{_GROUP_SECURITY}|"
    rf"{_GROUP_CIVILIAN})\b",
    re.IGNORECASE,
)
_TOLL = re.compile(
    rf"\b(?:death|casualty) toll (?:at|to|rose to|stood at|climbed to|reached)\s+{_QUAL}(?P<n>{_NUM})\b",
    re.IGNORECASE,
)
_AND_MORE = re.compile(rf"^\s*(?:,\s*)?(?:and|,)\s+{_QUAL}(?P<n>{_NUM})\s+{_NOUN}", re.IGNORECASE)


_COMPOUND_NUMBER = re.compile(
    r"\b(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|(?:one|two|three|four|five|six|"
    r"seven|eight|nine) hundred)[- ](?:and )?(?:one|two|three|four|five|six|seven|eight|nine|"
    r"[a-z]+ty)\b",
    re.IGNORECASE,
)


def _spelled_numbers(sentence: str) -> str:
    """'Twenty-three soldiers' → '23 soldiers' (text2num), so a compound number is read
    whole, never as its last word. Only compounds are rewritten: 'one' or 'a' stay words."""
    if not _COMPOUND_NUMBER.search(sentence):
        return sentence
    from text_to_num import text2num

    def digits(m: re.Match[str]) -> str:
        try:
            return str(text2num(m.group().lower().replace(" and ", " "), "en"))
        except ValueError:
            return m.group()

    return _COMPOUND_NUMBER.sub(digits, sentence)


def _number(word: str) -> int | None:
    w = word.lower().replace(",", "")
    if w.isdigit():
        return int(w)
    return _WORDNUM.get(w)


def _group(noun: str | None) -> str:
    if not noun:
        return "killed"
    if re.fullmatch(_GROUP_SECURITY, noun, re.IGNORECASE):
        return "security"
    if re.fullmatch(_GROUP_MILITANT, noun, re.IGNORECASE):
        return "militants"
    if re.fullmatch(_GROUP_CIVILIAN, noun, re.IGNORECASE):
        return "civilians"
    return "killed"


@dataclass
class Counts:
    killed: int | None = None
    militants_killed: int | None = None
    security_killed: int | None = None
    civilians_killed: int | None = None
    injured: int | None = None
    qualifier: str | None = None
    cues: list[str] = field(default_factory=list)

    def any(self) -> bool:
        return any(
            v is not None
            for v in (
                self.killed,
                self.militants_killed,
                self.security_killed,
                self.civilians_killed,
                self.injured,
            )
        )

    def add(self, kind: str, n: int, text: str, qual: str | None) -> None:
        fields = {
            "killed": "killed",
            "security": "security_killed",
            "militants": "militants_killed",
            "civilians": "civilians_killed",
            "injured": "injured",
        }
        name = fields[kind]
        setattr(self, name, (getattr(self, name) or 0) + n)
        if qual and not self.qualifier:
            self.qualifier = qual.lower()
        self.cues.append(f"casualties: '{text.strip()}' → {name} {n}")


_CASUALTY_WORDS = re.compile(
    r"kill|wound|injur|dead|died|hurt|lives|martyr|shot|gunned|massacred|left \w+|bodies|toll",
    re.IGNORECASE,
)


def casualties(sentence: str) -> Counts:
    """Figures as the sentence gives them, by group; 'people' is a total, never summed
    with the groups it includes."""
    counts = Counts()
    if not _CASUALTY_WORDS.search(sentence):
        return counts
    sentence = _spelled_numbers(sentence)
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= x or a >= y for x, y in taken)

    for m in _INCLUDING_AFTER.finditer(sentence):
        n, n2 = _number(m["n"]), _number(m["n2"])
        if n is None or n2 is None:
            continue
        counts.add("killed", n, m.group(), m["qual"])
        counts.add(_group(m["group2"]), n2, "", None)
        taken.append((m.start(), m.end()))
    for m in _LIST_AFTER.finditer(sentence):
        if not free(m.start(), m.end()):
            continue
        n, n2 = _number(m["n"]), _number(m["n2"])
        if n is None or n2 is None:
            continue
        counts.add(_group(m["group"]), n, m.group(), m["qual"])
        counts.add(_group(m["group2"]), n2, "", None)
        taken.append((m.start(), m.end()))
    for m in _KILL_AFTER.finditer(sentence):
        n = _number(m["n"])
        if n is None or not free(m.start(), m.end()):
            continue
        kind = (
            "injured" if m["verb"].lower() in {"wounded", "injured", "hurt"} else _group(m["group"])
        )
        counts.add(kind, n, m.group(), m["qual"])
        taken.append((m.start(), m.end()))
        more = _AND_INJURED.match(sentence[m.end() :])
        if kind != "injured" and more and _number(more["n"]) is not None:
            counts.add("injured", _number(more["n"]) or 0, more.group(), more["qual"])
            taken.append((m.end(), m.end() + more.end()))
    low = sentence.lower()
    for pattern, kind, word in (
        (_BODIES, "killed", "bodies"),
        (_TOLL, "killed", "toll"),
        (_WOUNDED_NOUN, "injured", "ed "),
    ):
        if word not in low:
            continue
        for m in pattern.finditer(sentence):
            n = _number(m["n"])
            if n is not None and free(m.start(), m.end()):
                counts.add(kind, n, m.group(), m["qual"])
                taken.append((m.start(), m.end()))
    for pattern, injured in ((_KILL_BEFORE, False), (_INJURE_BEFORE, True)):
        for m in pattern.finditer(sentence):
            n = _number(m["n"])
            if n is None or not free(m.start(), m.end()):
                continue
            if m["n"].lower() in {"a", "an"} and not m["group"]:
                continue
            kind = "injured" if injured else _group(m["group"])
            counts.add(kind, n, m.group(), m["qual"])
            taken.append((m.start(), m.end()))
            end = m.end()
            while True:  # '17 law enforcement personnel and 31 civilians'
                more = _AND_MORE.match(sentence[end:])
                if not more or _number(more["n"]) is None:
                    break
                kind2 = "injured" if injured else _group(more["group"])
                counts.add(kind2, _number(more["n"]) or 0, more.group(), more["qual"])
                taken.append((end, end + more.end()))
                end += more.end()
    return counts


AGENCIES = {
    "reuters": "Reuters",
    "ap": "Associated Press",
    "associated press": "Associated Press",
    "afp": "AFP",
    "agence france-presse": "AFP",
    "xinhua": "Xinhua",
    "app": "APP",
    "dpa": "dpa",
    "agencies": "Agencies",
    "ians": "IANS",
    "pti": "PTI",
    "anadolu": "Anadolu",
}
_AGENCY_RE = re.compile(
    r"\b(Reuters|AP|Associated Press|AFP|Agence France-Presse|Xinhua|APP|dpa|IANS|PTI|Anadolu)\b"
)
_WHO = (
    r"(?P<who>(?:the |a |an )?[A-Za-z][\w’'.-]*"
    r"(?: (?:[A-Za-z0-9][\w’'.-]*|\([A-Z][A-Za-z-]{1,10}\))){0,7})"
)
_SAID = (
    r"(?:said|says|told|added|confirmed|stated|reported|"
    r"(?:later |also )?put the (?:death |casualty )?toll at)"
)
# 'Jane Doe, a doctor at the district hospital, said' / 'The spokesman, Ali Khan, later put'
_APPOSITIVE = r"(?P<app>[^,;\"“”]{3,90})"
_ATTRIB = (
    re.compile(rf"\bquoted {_WHO} as saying\b", re.IGNORECASE),
    re.compile(rf"\bciting {_WHO}[,.]", re.IGNORECASE),
    re.compile(rf"\baccording to {_WHO}[,.]", re.IGNORECASE),
    re.compile(rf",[\"”’']?\s+{_WHO}\s+{_SAID}\b"),
    re.compile(rf"^{_WHO}\s+{_SAID}\b"),
    re.compile(rf"^{_WHO},\s+{_APPOSITIVE},\s+(?:later |also |on \w+ )?{_SAID}\b"),
    re.compile(rf"\b{_SAID} {_WHO}[,.]$"),
)
_NOT_WHO = re.compile(
    r"^(?:it|he|she|they|we|this|that|there|which|who|officials? said|but|and|as|while|when|"
    r"adding|earlier|later|no|nobody)$",
    re.IGNORECASE,
)


_CLAUSE_VERB = re.compile(r"\b(?:were|was|had|have|has|been|is|are)\b", re.IGNORECASE)


def attribution(sentence: str) -> tuple[str | None, str | None]:
    """(who said it, which agency reported it) — either may be None."""
    agency = None
    for m in _AGENCY_RE.finditer(sentence):
        agency = AGENCIES[m.group().lower()]
    who = None
    for pattern in _ATTRIB:
        for m in pattern.finditer(sentence):
            cand = m["who"].strip(" ,.")
            if cand.lower() in AGENCIES or _NOT_WHO.match(cand) or len(cand) < 2:
                continue
            if _CLAUSE_VERB.search(cand):  # 'said nine attackers were killed.': not a speaker
                continue
            cand = re.sub(r"^(?:Earlier|Later|Separately|Meanwhile),?\s+", "", cand)
            app = (m.groupdict().get("app") or "").strip()
            # 'X, an official at the hospital,' (the role) / 'The spokesman, Ali Khan,' (the
            # name) are part of who; 'requesting anonymity' / 'speaking to reporters' are not
            if app and not re.match(r"[a-z]+ing\b|who\b|which\b", app):
                cand = f"{cand}, {app}"
            who = cand
            break
        if who:
            break
    return who, agency


_BACKGROUND = re.compile(
    r"\b(?:in recent (?:years|months)|in the past (?:few )?(?:years|decades?)|years ago|"
    r"(?:have|has) been (?:hit|targeted|attacked) (?:by \w+ )?(?:before|previously|repeatedly))\b",
    re.IGNORECASE,
)
_YEAR = re.compile(
    r"\b(?:in|since|of) ((?:19|20)\d\d)\b|\b((?:19|20)\d\d) (?:[\w-]+ )?(?:attack|bombing|blast|assault)"
)


def _background(sentence: str, today: dt.date | None) -> bool:
    """A sentence recalling earlier attacks ('a bombing near X in 2024', 'hit by several
    attacks in recent years'): background, not an attack of this story."""
    if _BACKGROUND.search(sentence):
        return True
    if today is None:
        return False
    return any(int(m[1] or m[2]) < today.year for m in _YEAR.finditer(sentence))


def same_speaker(a: str, b: str) -> bool:
    """Attribution keys naming the same speaker: 'military' ~ 'pakistan military';
    'inter-services public relations (ispr)' ~ 'ispr'."""
    if not a or not b:
        return False
    if a == b or a.endswith(" " + b) or b.endswith(" " + a):
        return True
    for x, y in ((a, b), (b, a)):
        m = re.search(r"\(([a-z]{2,10})\)$", x)
        if m and (y == m[1] or y.endswith(" " + m[1])):
            return True
    return False


def attribution_key(who: str | None) -> str:
    """'the province's chief minister' ~ 'The chief minister'; 'Pakistan's military' ~ 'the
    military': compare the head words, without determiners and possessive owners."""
    if not who:
        return ""
    w = who.lower().replace("’", "'")
    w = re.sub(r"^(?:the|a|an)\s+", "", w)
    w = re.sub(r"^[\w-]+(?: [\w-]+)?'s\s+", "", w)
    return w.strip()


# --- place mentions -------------------------------------------------------------------------

_TOKEN = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*")
# capitalised words that may precede a place in the same phrase without making it a name
_FUNCTION = _words(
    "in at on near from to of and or but the a an outside inside across around between "
    "into towards toward by with off along elsewhere after before while as also meanwhile "
    "separately earlier later hours days nearby north south east west northern southern eastern "
    "western central upper lower greater old new"
)
_GEO_TAIL = _words(
    "district city town cantonment cantt port airport division tehsil agency bazaar village valley"
)
DEMONYMS = _words(
    "baloch balochi baluch pakistani pakistanis punjabi punjabis sindhi sindhis pashtun pashtuns "
    "pakhtun pathan afghan afghans indian indians iranian iranians chinese american british "
    "hazara hazaras brahui kashmiri kashmiris saraiki muhajir mohajir mehsud wazir"
)
# Provinces are never sites (an attack "across Balochistan" is not a point); the name is kept
# on an unlocated draft. Foreign places are never sites of a Pakistani story.
PROVINCES = {
    "balochistan": "Balochistan",
    "baluchistan": "Balochistan",
    "punjab": "Punjab",
    "sindh": "Sindh",
    "khyber pakhtunkhwa": "Khyber Pakhtunkhwa",
    "kp": "Khyber Pakhtunkhwa",
    "kpk": "Khyber Pakhtunkhwa",
    "gilgit-baltistan": "Gilgit-Baltistan",
    "gilgit baltistan": "Gilgit-Baltistan",
    "azad kashmir": "Azad Kashmir",
    "azad jammu and kashmir": "Azad Kashmir",
    "fata": "Federally Administered Tribal Areas",
}
FOREIGN = frozenset(
    {
        "pakistan", "india", "new delhi", "delhi", "afghanistan", "kabul", "kandahar", "iran",
        "tehran", "china", "beijing", "united states", "washington", "london", "britain",
        "moscow", "russia", "saudi arabia", "riyadh", "qatar", "doha", "dubai", "kashmir",
        "jammu", "srinagar", "mumbai", "jalalabad", "herat", "zahedan",
    }
)  # fmt: skip
_ROUTE_BEFORE = re.compile(
    r"\b(?i:from|to|towards?|bound for|between|via)\s+$|"
    # the other end: 'between Quetta and Sibi', 'links Quetta with Peshawar'
    r"\b(?:between|links?|linking|connects?|connecting|runs? from)\s+"
    r"[A-Z][\w'’.-]*(?:\s[A-Z][\w'’.-]*){0,2}\s+(?:and|with|to)\s+$",
)
_ATTRIB_BEFORE = re.compile(
    r"\b(?:police|officials?|authorities|administration|spokes(?:man|woman|person)|officers?)\s+(?:in|of|from)\s+$",
    re.IGNORECASE,
)
_ATTRIB_AFTER = re.compile(
    r"^\s*(?:(?:police|officials?|authorities|administration)\s+)?(?:said|told|say|says)\b",
    re.IGNORECASE,
)
_DISTRICT_AFTER = re.compile(r"^\s+(?:district|District|agency|Agency|tribal district)\b")
_LOCATIVE_BEFORE = re.compile(
    r"\b(?:in|near|at|outside|inside|on the outskirts of|of)\s+$", re.IGNORECASE
)

PROVINCE_LEVEL = frozenset({"province", "admin1", "adm1", "state", "region", "country"})
DISTRICT_LEVEL = frozenset({"district", "admin2", "adm2", "agency"})


def _level(cand: Any) -> str:
    kind = str(getattr(cand, "kind", "") or "").lower()
    prec = str(getattr(cand, "precision", "") or "").lower()
    if kind in PROVINCE_LEVEL or prec in PROVINCE_LEVEL:
        return "province"
    if kind in DISTRICT_LEVEL or prec == "district":
        return "district"
    return "town"


@dataclass
class Mention:
    surface: str
    start: int  # offsets in the whole text
    end: int
    candidates: list[Any]
    district_marked: bool = False
    route: bool = False
    attribution: bool = False
    locative: bool = False
    level: str = "town"

    def best(self, prefer: str | None = None) -> Any:
        cands = self.candidates
        if prefer:
            pref = [c for c in cands if _level(c) == prefer]
            if pref:
                cands = pref
        towns = [c for c in cands if _level(c) == "town"]
        return (towns or cands)[0]  # the gazetteer ranks by match score, kind, population


@dataclass
class Rejected:
    surface: str
    why: str


def _tokens(text: str, start: int, end: int) -> list[tuple[int, int, str]]:
    return [(m.start(), m.end(), m.group()) for m in _TOKEN.finditer(text, start, end)]


def _runs(text: str, toks: list[tuple[int, int, str]]) -> list[list[tuple[int, int, str]]]:
    """Capitalised phrases: capitalised tokens joined only by spaces (or the dots of
    initials, 'D.I. Khan'); a possessive ('Sindh's') ends its phrase."""
    runs: list[list[tuple[int, int, str]]] = []
    cur: list[tuple[int, int, str]] = []
    for tok in toks:
        a, b, word = tok
        cap = word[0].isupper()
        if cur:
            gap = text[cur[-1][1] : a]
            prev = cur[-1][2]
            joined = gap == " " or (gap in {".", ". "} and len(prev) == 1)
            if not (cap and joined) or prev.endswith(("'s", "’s")):
                runs.append(cur)
                cur = []
        if cap:
            cur.append(tok)
    if cur:
        runs.append(cur)
    return runs


def _strip_possessive(word: str) -> str:
    return word[:-2] if word.endswith(("'s", "’s")) else word


class PlaceFinder:
    """Finds place mentions in a sentence with the gazetteer's exact (normalised) lookup."""

    def __init__(self, gazetteer: Any, country: str = "PK", max_words: int = 5):
        self.gaz = gazetteer
        self.country = country
        self.max_words = max_words
        self._memo: dict[str, list[Any]] = {}

    def lookup(self, name: str) -> list[Any]:
        key = name.casefold()
        hit = self._memo.get(key)
        if hit is None:
            try:
                hit = list(self.gaz.exact(name, country=self.country))
            except (ValueError, KeyError):
                hit = []
            if len(self._memo) > 50_000:
                self._memo.clear()
            self._memo[key] = hit
        return hit

    def find(
        self, text: str, sentence: Sentence, exclude: Sequence[tuple[int, int]] = ()
    ) -> tuple[list[Mention], list[Rejected]]:
        mentions: list[Mention] = []
        rejected: list[Rejected] = []
        toks = _tokens(text, sentence.start, sentence.end)
        for run in _runs(text, toks):
            i = 0
            while i < len(run):
                hit = None
                for n in range(min(self.max_words, len(run) - i), 0, -1):
                    a = run[i][0]
                    last = run[i + n - 1]
                    b = last[1] - (2 if last[2].endswith(("'s", "’s")) else 0)
                    surface = text[a:b]
                    if any(x <= a < y for x, y in exclude):
                        continue
                    low = surface.casefold().replace("’", "'")
                    if n == 1 and (low in _FUNCTION or low in DEMONYMS):
                        continue
                    if low in PROVINCES:
                        hit = (n, surface, a, b, [], "a province, not a site")
                        break
                    if low in FOREIGN:
                        hit = (n, surface, a, b, [], "a country or a foreign place, not a site")
                        break
                    cands = self.lookup(surface)
                    if cands:
                        hit = (n, surface, a, b, cands, None)
                        break
                if hit is None:
                    i += 1
                    continue
                n, surface, a, b, cands, why = hit
                before = [t for t in run[:i] if t[2].casefold() not in _FUNCTION]
                after = [
                    t for t in run[i + n :] if _strip_possessive(t[2]).casefold() not in _GEO_TAIL
                ]
                if why is None and (before or after):
                    other = " ".join(t[2] for t in (before or after))
                    why = f"part of a name ('{other}'): a person or organisation"
                if why is None and all(_level(c) == "province" for c in cands):
                    why = "a province, not a site"
                if why is None and surface.casefold() in DEMONYMS:
                    why = "a demonym, not a place"
                if (
                    why is None
                    and n == 1
                    and surface.lower() in _COMMON_WORDS
                    and not _LOCATIVE_BEFORE.search(text[max(0, a - 30) : a])
                    and not _DISTRICT_AFTER.match(text[b : b + 20])
                ):
                    why = "a common word without 'in/near/at' before it"
                if why:
                    rejected.append(Rejected(surface, why))
                else:
                    pre = text[max(sentence.start, a - 40) : a]
                    post = text[b : min(sentence.end, b + 40)]
                    mentions.append(
                        Mention(
                            surface=surface,
                            start=a,
                            end=b,
                            candidates=cands,
                            district_marked=bool(_DISTRICT_AFTER.match(post)),
                            route=bool(_ROUTE_BEFORE.search(pre)),
                            attribution=bool(
                                _ATTRIB_BEFORE.search(pre) and _ATTRIB_AFTER.match(post)
                            )
                            or bool(re.match(r"^\s+(?:police|officials)\s+(?:said|told)\b", post)),
                            locative=bool(_LOCATIVE_BEFORE.search(pre)),
                        )
                    )
                i += n
        return mentions, rejected


# English words that are also names of places in Pakistan: only a place after 'in/near/at'.
_COMMON_WORDS = _words(
    "tank police army security officials hospital station market bazaar mission camp colony "
    "gate hub bar mir khan ali shah din kot garhi chak dera pind sui data wah lucky fort "
    "mall saddar cantonment city town village valley road airport port"
)


# --- geocoding a mention --------------------------------------------------------------------


@dataclass
class Site:
    mention: Mention
    place: str
    lon: float
    lat: float
    precision: GeoPrecision
    district: str | None
    province: str | None
    district_match: str | None
    cues: list[str]
    note: str | None = None


class Locator:
    """Mention → point, precision and district (point-in-polygon on the district layer)."""

    def __init__(self, layer: Any | None):
        self.layer = layer

    def _pip(self, lon: float, lat: float, cand: Any) -> tuple[str | None, str | None, str | None]:
        """The candidate's own district when the gazetteer gives one (point-in-polygon on the
        same layer, plus its rule that a town sharing a district's name is that district's
        headquarters); else point-in-polygon here."""
        district = getattr(cand, "district", None)
        if district:
            prov = self.layer.province(district) if self.layer is not None else None
            return district, prov or getattr(cand, "admin1", None), cand.district_match
        if self.layer is not None:
            found = self.layer.locate(lon, lat)
            return found.district, found.province, found.match
        return None, getattr(cand, "admin1", None), None

    def district_name(self, mention: Mention) -> str | None:
        """The boundary layer's spelling of a district the copy names."""
        for cand in mention.candidates:
            if _level(cand) == "district":
                name = getattr(cand, "district", None) or cand.name
                if self.layer is not None:
                    return self.layer.find(name) or self.layer.find(cand.name)
                return name
        if self.layer is not None:
            return self.layer.find(mention.surface)
        return None

    def site(
        self, mention: Mention, named_district: str | None = None, unknown: str | None = None
    ) -> Site | None:
        cues = []
        dname = self.district_name(mention) if unknown else None
        if unknown and dname:
            centre = self.layer.centre(dname) if self.layer is not None else None
            cand = mention.best("district")
            lon, lat = centre if centre else (cand.lon, cand.lat)
            prov = self.layer.province(dname) if self.layer is not None else None
            return Site(
                mention,
                unknown,
                lon,
                lat,
                GeoPrecision.district,
                dname,
                prov,
                "named",
                [
                    f'place: "{unknown}" (not in the gazetteer) in {dname} district → '
                    "marker at the district centre"
                ],
                f"The copy places this at {unknown}, which the gazetteer does not know; the "
                f"marker is at the centre of {dname} district. Move it to {unknown} if known.",
            )
        if mention.district_marked:
            dname = self.district_name(mention) or named_district
            town = None
            for cand in (c for c in mention.candidates if _level(c) == "town"):
                d, _, _ = self._pip(cand.lon, cand.lat, cand)
                if dname is None or d == dname:
                    town = cand
                    break
            if town is not None:
                d, p, _ = self._pip(town.lon, town.lat, town)
                dist = dname or d
                prov = self.layer.province(dist) if (self.layer is not None and dist) else p
                return Site(
                    mention,
                    town.name,
                    town.lon,
                    town.lat,
                    GeoPrecision.town,
                    dist,
                    prov,
                    "named",
                    [
                        f'place: "{mention.surface}" named as a district → {dist}; '
                        f"marker at {town.name} town"
                    ],
                    f"The copy names {dist} district, not the exact site; the marker is at "
                    f"{town.name} town.",
                )
            if dname is not None:
                centre = self.layer.centre(dname) if self.layer is not None else None
                cand = mention.best("district")
                lon, lat = centre if centre else (cand.lon, cand.lat)
                prov = self.layer.province(dname) if self.layer is not None else None
                return Site(
                    mention,
                    dname,
                    lon,
                    lat,
                    GeoPrecision.district,
                    dname,
                    prov,
                    "named",
                    [f'place: "{mention.surface}" named as a district → {dname} (district centre)'],
                    f"The copy names only {dname} district; the marker is at the district's centre.",
                )
        cand = mention.best()
        level = _level(cand)
        if level == "province":
            return None
        if level == "district":
            dname = self.district_name(mention) or getattr(cand, "district", None) or cand.name
            centre = self.layer.centre(dname) if self.layer is not None else None
            lon, lat = centre if centre else (cand.lon, cand.lat)
            prov = self.layer.province(dname) if self.layer is not None else None
            return Site(
                mention,
                dname,
                lon,
                lat,
                GeoPrecision.district,
                dname,
                prov,
                "named",
                [f'place: "{mention.surface}" → {dname} (district; marker at its centre)'],
                f"The copy names {dname}, a district; the marker is at the district's centre.",
            )
        d, p, match = self._pip(cand.lon, cand.lat, cand)
        gid = getattr(cand, "geonameid", None)
        ref = f", GeoNames {gid}" if gid else ""
        if not gid and "entered by hand" in (getattr(cand, "note", None) or ""):
            ref = ", approximate point entered by hand"
        cues.append(f'place: "{mention.surface}" → {cand.name} (town{ref})')
        note = None
        if named_district and d != named_district:
            cues.append(f"district as named in the copy: {named_district} (point falls in {d})")
            note = (
                f"The copy puts {cand.name} in {named_district} district; its point falls in {d}."
            )
            d, match = named_district, "named"
            p = self.layer.province(d) if self.layer is not None else p
        elif d:
            cues.append(f"district: {d} ({match})")
        return Site(
            mention,
            cand.name,
            float(cand.lon),
            float(cand.lat),
            GeoPrecision.town,
            d,
            p,
            match if match in {"inside", "nearest", "named", "manual"} else None,
            cues,
            note,
        )


# --- the whole article ----------------------------------------------------------------------


def _slug(text: str, limit: int = 40) -> str:
    s = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    s = re.sub(r"[^a-z0-9]+", "-", s).strip("-")
    return s[:limit].strip("-") or "x"


@lru_cache(maxsize=1)
def _default_gazetteer() -> Any:
    from geo.gazetteer import Gazetteer

    return Gazetteer.default()


def _default_layer() -> Any | None:
    from geo import districts as dmod

    try:
        return dmod.load(download=False, progress=False)
    except SitmapError:
        return None


@dataclass
class _Draft:
    sentence: Sentence
    index: int
    attack: Cues
    site: Site | None
    infra: list[Infrastructure]
    infra_cues: list[str]
    outcome: str | None
    outcome_cues: list[str]
    counts: Counts | None
    who: str | None
    agency: str | None
    unnamed: str | None = None
    province: str | None = None
    extra: list[Sentence] = field(default_factory=list)
    extra_cues: list[str] = field(default_factory=list)
    actor: str | None = None
    second: AttackType | None = None  # another attack type the copy gives this attack


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


_DATE_STAMP = re.compile(r"^\s*date:?\s+(?P<iso>(?:19|20)\d\d-\d\d-\d\d)\b[ \t]*\n?", re.IGNORECASE)


def extract_article(
    text: str,
    *,
    story_id: str | None = None,
    title: str | None = None,
    country: str = "PAK",
    districts: Any = None,
    gazetteer: Any = None,
    published: dt.date | str | None = None,
) -> Extraction:
    """Read one article and propose draft incidents (status 'draft') plus casualty claims.

    ``districts`` is a :class:`geo.districts.Districts` layer or a path to one (default: the
    configured layer; without one, districts come from the gazetteer). ``gazetteer`` defaults
    to :meth:`geo.gazetteer.Gazetteer.default`. ``published`` is the reference date (the
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

    gaz = gazetteer if gazetteer is not None else _default_gazetteer()
    if districts is None:
        layer = _default_layer() if country == "PAK" else None
    elif isinstance(districts, str | bytes) or hasattr(districts, "__fspath__"):
        from geo import districts as dmod

        layer = dmod.load(districts, download=False, progress=False)
    else:
        layer = districts
    if layer is None:
        notes.append("no district boundary file: districts come from the gazetteer")
    finder = _finder(gaz, country)
    locator = Locator(layer)

    dateline = find_dateline(text)
    skip = [(dateline.start, dateline.end)] if dateline else []
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

    drafts: list[_Draft] = []
    sent_cues: dict[int, Cues | None] = {}
    last_who: tuple[int, str] | None = None  # (sentence index, speaker) of the last attribution
    said: list[tuple[int, str, Counts]] = []  # every attributed death figure
    pending: list[tuple[int, Counts, str, str, str]] = []  # attributed figures in attack sentences
    claims: list[tuple[CasualtyClaim, str]] = []  # (claim, attribution key)
    responsibility: list[tuple[ResponsibilityClaim, Sentence, int]] = []
    for idx, sent in enumerate(sentences):
        s = sent.text
        placed_back = _place_back(drafts, sent, idx, s, finder, locator, text, skip)
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
        if cues is not None and (_background(s, filed.date or published) or _EARLIER.search(s)):
            continue  # 'the 2023 bombing in X', 'attacks in recent years': not this story's
        counts = casualties(s)
        if cues is None and not counts.any():
            continue
        who, agency = attribution(s)
        if last_who and last_who[0] == idx - 1 and _PRONOUN_SAID.match(s):
            who = last_who[1]  # 'It said 11 attackers were killed': the previous speaker
        if who:
            last_who = (idx, who)
        if who and _is_killing_total(counts):
            said.append((idx, attribution_key(who), counts))
        if cues is None:
            if _is_killing_total(counts):  # a story total: a claim
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
        back = ANAPHOR.search(s) or FOLLOW_UP.search(s)
        if (
            not sites
            and back
            and drafts
            and (
                drafts[-1].index >= idx - 2  # the sentence before may be a quote or a figure
                or (drafts[-1].extra and drafts[-1].extra[-1].start >= sentences[idx - 2].start)
            )
        ):
            for d in drafts:
                if d.index == drafts[-1].index:
                    d.extra.append(sent)
                    d.extra_cues.append(
                        f"sentence {idx + 1} refers back to this attack ('{back.group()}')"
                    )
            continue
        infra, infra_cues = infrastructure(s)
        out, out_cues = outcome(s)
        base = dict(
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
        if not sites:
            unnamed = UNNAMED_PLACES.search(s)
            d = _Draft(site=None, counts=counts if counts.any() else None, **base)  # type: ignore[arg-type]
            d.unnamed = unnamed.group(1) if unnamed else None
            d.province = province
            d.extra_cues = extra_cues
            drafts.append(d)
            continue
        shared = len(sites) > 1
        clauses = _clause_types(sent) if _TWO_PARTS.search(s) else []
        apart = bool(clauses) and bool(_APART.search(s))
        for site in sites:
            d = _Draft(
                site=site, counts=None if shared else (counts if counts.any() else None), **base
            )  # type: ignore[arg-type]
            d.extra_cues = list(extra_cues)
            if clauses:
                _second_type(d, clauses, sites, shared or apart, text, apart)
            if shared and counts.any():
                d.extra_cues.append(
                    "casualty figures cover all places in the sentence: not attached to one"
                )
            drafts.append(d)

    _link_lede(drafts, sentences, text, sent_cues)
    _merge_placeless(drafts)
    for idx, counts, who, agency, s in pending:
        if _conflicting(idx, attribution_key(who), counts, said):
            _add_claim(claims, counts, who, agency, s)
    _assign_actors(drafts, responsibility)
    whens = _dates(drafts, sentences, filed)
    incidents = _incidents(drafts, whens)
    sid = story_id or _story_id(title, text)
    story_title = title or _title(sentences, dateline)
    summary = _summary(dateline, filed_on, len(incidents))
    dated = [i for i in incidents if i.date]
    period = (
        {
            "start": min(i.date for i in dated),
            "end": max(i.date_end or i.date for i in dated),
        }
        if dated
        else None
    )
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


_FINDERS: dict[int, PlaceFinder] = {}


def _finder(gaz: Any, iso2: str) -> PlaceFinder:
    """One finder (and its lookup memo) per gazetteer object and country."""
    key = id(gaz)
    f = _FINDERS.get(key)
    if f is None or f.gaz is not gaz or f.country != iso2:
        f = PlaceFinder(gaz, iso2)
        if len(_FINDERS) > 8:
            _FINDERS.clear()
        _FINDERS[key] = f
    return f


_UNKNOWN_BEFORE = re.compile(
    r"\b(?:in|near|at|outside)\s+(?P<name>[A-Z][\w'’-]+(?: [A-Z][\w'’-]+){0,2}),?\s+"
    r"(?:in\s+(?:the\s+)?)?$"
)


def _unknown_place(
    text: str, sentence: Sentence, m: Mention, mentions: list[Mention]
) -> str | None:
    """'near Sui in Dera Bugti district' where the gazetteer lacks Sui: the copy's own,
    more precise place name in front of a district it names."""
    if not (m.district_marked or all(_level(c) == "district" for c in m.candidates)):
        return None
    found = _UNKNOWN_BEFORE.search(text, sentence.start, m.start)
    if not found:
        return None
    name = found["name"]
    if name.endswith(("'s", "’s")):
        return None  # "in Pakistan’s North Waziristan": the owner contains the place named
    low = name.casefold()
    if low in PROVINCES or low in FOREIGN or low in DEMONYMS or low in _FUNCTION:
        return None
    if any(o is not m and o.start < m.start and o.end > found.start("name") for o in mentions):
        return None
    return name


def _sites(
    mentions: list[Mention], locator: Locator, text: str, sentence: Sentence
) -> tuple[list[Site], list[str]]:
    """Which mentions are attack sites; apposition/'in X district' give the district."""
    dropped: list[str] = []
    named_for: dict[int, str] = {}
    consumed: set[int] = set()
    # 'Landi Kotal, in Khyber district' / 'Mir Ali, North Waziristan' / 'Sui in Dera Bugti district'
    for i, m in enumerate(mentions[:-1]):
        nxt = mentions[i + 1]
        gap_ok = nxt.start - m.end <= 6
        if not gap_ok:
            continue
        if nxt.district_marked or all(_level(c) == "district" for c in nxt.candidates):
            dname = locator.district_name(nxt)
            if dname and any(_level(c) == "town" for c in m.candidates):
                named_for[i] = dname
                consumed.add(i + 1)
                dropped.append(f'"{nxt.surface}" gives the district of {m.surface}')
    keep: list[Site] = []
    routes = [m for m in mentions if m.route]
    for i, m in enumerate(mentions):
        if i in consumed:
            continue
        if m.route:
            dropped.append(f'not a site: "{m.surface}" — start or end of a route')
            continue
        unknown = _unknown_place(text, sentence, m, mentions)
        site = locator.site(m, named_for.get(i), unknown)
        if site is None:
            dropped.append(f'not a site: "{m.surface}" — a province')
            continue
        keep.append(site)
    del routes
    # attribution places ('police in Swat said') and districts that contain a named town
    towns = [s for s in keep if s.precision == GeoPrecision.town and not s.mention.attribution]
    out: list[Site] = []
    for s in keep:
        inner = next(
            (
                t
                for t in towns
                if t is not s
                and text[s.mention.end : s.mention.end + 2] in ("'s", "’s")
                and 0 <= t.mention.start - s.mention.end <= 4
                and t.district == s.district
            ),
            None,
        )
        if inner is not None:  # "Karachi's Lyari neighbourhood": the city contains the site
            dropped.append(f'"{s.mention.surface}" contains {inner.place}, named after it')
            continue
        if s.precision == GeoPrecision.district and any(
            t.district == s.district for t in towns if t is not s
        ):
            dropped.append(f'"{s.mention.surface}" is the district of a town named in the sentence')
            continue
        if s.mention.attribution and len(keep) > 1:
            dropped.append(f'not a site: "{s.mention.surface}" — only says who reported it')
            continue
        if any(o.place == s.place for o in out):
            continue
        out.append(s)
    return out, dropped


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
_SEPARATE = re.compile(
    r"\b(?:separate|another|other|second|third|also|elsewhere|meanwhile|similar)\b", re.IGNORECASE
)
# earlier events told as background: 'Earlier this month', 'In early March', 'last week'
_EARLIER = re.compile(
    r"^(?:Last|In early|In late|In mid|In the same|Since|Over the past)\b|"
    r"\b(?:earlier this (?:month|year|week)|last (?:week|month|year)|(?:a|two|three|several) "
    r"(?:weeks|months|years) ago|in the same month|in the first week of)\b",
)


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


def _merge_placeless(drafts: list[_Draft]) -> None:
    """A placeless attack sentence in copy that tells an attack of that kind already is more
    of that attack ('The ambush was carried out by …', 'the attackers fled'), not a new
    incident — unless the copy marks it as another one ('In a separate incident …') or it
    happened in unnamed other places. One draft per real attack, not one per sentence."""
    for d in list(drafts):
        if d.site is not None or d.unnamed is not None or _SEPARATE.search(d.sentence.text):
            continue
        kin = [
            o
            for o in drafts
            if o is not d and _same_family(o.attack.attack_type, d.attack.attack_type)
        ]
        if not kin:
            continue
        before = [o for o in kin if o.index <= d.index]
        host = (before or kin)[-1] if before else kin[0]
        host.extra.append(d.sentence)
        host.extra_cues.append(
            f"sentence {d.index + 1} tells more of this attack (a {d.attack.attack_type.value} "
            "with no place of its own)"
        )
        if host.counts is None and d.counts is not None:
            host.counts = d.counts
        for i in d.infra:
            if i not in host.infra:
                host.infra.append(i)
        drafts.remove(d)


def _province_named(rejected: list[Rejected], mentions: list[Mention]) -> str | None:
    for r in rejected:
        if r.why == "a province, not a site":
            return PROVINCES.get(r.surface.casefold().replace("’", "'"), r.surface)
    return None


def _is_killing_total(counts: Counts) -> bool:
    return any(
        v is not None
        for v in (
            counts.killed,
            counts.militants_killed,
            counts.security_killed,
            counts.civilians_killed,
        )
    )


CONFLICT_WINDOW = 3  # sentences: how far apart two sources' figures for one attack may be


def deaths_total(counts: Any) -> int | None:
    """The dead in all: the total, else the group figures added up (one source's figures)."""
    if counts.killed is not None:
        return counts.killed
    groups = [
        v
        for v in (counts.militants_killed, counts.security_killed, counts.civilians_killed)
        if v is not None
    ]
    return sum(groups) if groups else None


def _conflicting(idx: int, key: str, counts: Counts, said: list[tuple[int, str, Counts]]) -> bool:
    """Another speaker gives a different death figure within a few sentences ('police said
    two were killed' … 'the minister said three'): the figures disagree, so each is kept as
    an attributed claim, side by side. A figure nobody contradicts stays on its incident."""
    for j, other_key, other in said:
        if abs(j - idx) > CONFLICT_WINDOW or same_speaker(key, other_key):
            continue
        fields = ("killed", "militants_killed", "security_killed", "civilians_killed")
        shared = [
            f for f in fields if getattr(counts, f) is not None and getattr(other, f) is not None
        ]
        if any(getattr(counts, f) != getattr(other, f) for f in shared) or (
            not shared and deaths_total(counts) != deaths_total(other)
        ):
            return True
    return False


_PERIOD = re.compile(
    r"\b(?:over (?:a|the) [\w-]+ period|in the (?:past|last) [\w-]+ (?:hours|days|weeks)|"
    r"(?:since|from) the start of the (?:month|year)|this (?:year|month|week)|in a single day)\b",
    re.IGNORECASE,
)


def _add_claim(
    claims: list[tuple[CasualtyClaim, str]],
    counts: Counts,
    who: str | None,
    agency: str,
    sentence: str,
) -> None:
    """A story-level total as a claim; a follow-up by the same speaker extends their claim."""
    key = attribution_key(who)
    period = _PERIOD.search(sentence)
    fields = {
        f: getattr(counts, f)
        for f in ("killed", "militants_killed", "security_killed", "civilians_killed", "injured")
        if getattr(counts, f) is not None
    }
    for i, (claim, ckey) in enumerate(claims):
        same = same_speaker(key, ckey)
        if same and all(getattr(claim, f) in (None, v) for f, v in fields.items()):
            data = claim.model_dump()
            data.update(fields)
            note = (claim.note or "") + " " + sentence
            data["note"] = note.strip()[:5000]
            if period and not data.get("period"):
                data["period"] = period.group()
            if counts.qualifier and not data.get("qualifier"):
                data["qualifier"] = counts.qualifier
            if who and len(who) > len(claim.attributed_to or ""):
                data["attributed_to"] = who
            claims[i] = (CasualtyClaim(**data), ckey)
            return
    claims.append(
        (
            CasualtyClaim(
                source=agency,
                attributed_to=who,
                qualifier=counts.qualifier,
                period=period.group() if period else None,
                note=sentence[:5000],
                **fields,
            ),
            key,
        )
    )


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
        evidence = [_evidence(d.sentence)] + [_evidence(e) for e in d.extra]
        out.append(
            Incident(
                id=uid,
                lon=d.site.lon if d.site else None,
                lat=d.site.lat if d.site else None,
                place=d.site.place if d.site else (d.unnamed or None),
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
