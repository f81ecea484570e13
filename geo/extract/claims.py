"""Claims: casualty figures by group, who gave them, and which become story claims."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from geo.extract import rules
from geo.extract.layout import AGENCIES
from geo.model import (
    CasualtyClaim,
)

_WORDNUM = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17,
    "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50,
    "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
    "dozen": 12, "a dozen": 12,
}  # fmt: skip
_NUM = (
    r"(?:(?!(?:19|20)\d\d\b)\d[\d,]*|a dozen|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|"
    r"thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|"
    r"sixty|seventy|eighty|ninety|hundred)"
)
_QUAL = (
    r"(?:(?P<qual>at least|more than|over|nearly|almost|about|around|some|up to|as many as)\s+)?"
)


def _group_pattern(value: str) -> str:
    vocab = rules.vocabulary("casualties", value)
    terms = rules.alternation(vocab.terms)
    if vocab.prefixes:
        return rf"(?:(?:{rules.alternation(vocab.prefixes)}) )?(?:{terms})"
    return rf"(?:{terms})"


_GROUP_SECURITY = _group_pattern("security")
_GROUP_MILITANT = _group_pattern("militants")
_GROUP_CIVILIAN = _group_pattern("civilians")
_DEAD = rules.alternation(rules.vocabulary("casualties", "dead_after").terms)
_NOUN = rf"(?:(?:[\w-]+ ){{0,2}}?(?P<group>{_GROUP_SECURITY}|{_GROUP_MILITANT}|{_GROUP_CIVILIAN}|people|persons|others))"
_KILL_BEFORE = re.compile(
    rf"\b(?:killing|killed|to kill|claimed the lives of|left|leaving|shot dead|gunned down|massacred|"
    rf"(?:including|among them))\s+{_QUAL}(?P<n>{_NUM}|an?)\b(?:\s+{_NOUN})?",
    re.IGNORECASE,
)
_KILL_AFTER = re.compile(
    rf"\b{_QUAL}(?P<n>{_NUM})\s+{_NOUN}(?:\s+of the [\w -]{{1,30}}?(?= were| was| had))?(?:,[^,]{{0,40}},)?\s+"
    rf"(?:were|was|had been|have been|are|being|got|had|have)?\s*"
    rf"(?P<verb>{_DEAD}|wounded|injured|hurt)\b",
    re.IGNORECASE,
)
# 'two brave sons of soil, Naik X (age 31 years, …) and Sepoy Y (…), having fought
# gallantly, embraced shahadat': a press release lists the dead between number and verb
_LISTED_AFTER = re.compile(
    rf"\b{_QUAL}(?P<n>{_NUM})\s+{_NOUN},[^.;]{{0,240}}?,\s+(?:having [^,]{{0,40}},\s+)?"
    r"(?P<verb>embraced (?:shahadat|martyrdom)|were martyred|lost their lives)\b",
    re.IGNORECASE,
)
# one named soldier or policeman: 'Sailor Muhammad Usman (age 26 years, …) embraced shahadat'
_NAMED_AFTER = re.compile(
    r"\b(?:Sailor|Sepoy|Naik|Lance Naik|Havildar|Constable|Head Constable|Captain|Major|"
    r"Lieutenant|Subedar|Sub-Inspector|Inspector|ASI|SHO)\s+(?:[A-Z][\w'’-]+\s+){1,3}"
    r"(?:\([^)]{0,80}\)\s*)?(?:,\s+)?(?:was\s+)?(?:embraced (?:shahadat|martyrdom)|martyred)\b"
)
# '17 law enforcement personnel and 31 civilians lost their lives': one verb for a list
_LIST_AFTER = re.compile(
    rf"\b{_QUAL}(?P<n>{_NUM}|an?)\s+{_NOUN}\s+and\s+(?P<qual2>at least\s+)?(?P<n2>{_NUM})\s+"
    rf"(?:[\w-]+ ){{0,2}}?(?P<group2>{_GROUP_SECURITY}|{_GROUP_MILITANT}|{_GROUP_CIVILIAN}|people|"
    rf"persons|others)\s+(?:were|had been|have been|are)?\s*"
    rf"(?:{_DEAD})\b",
    re.IGNORECASE,
)
# 'twelve people, including ten soldiers, were killed': a total and the group inside it
_INCLUDING_AFTER = re.compile(
    rf"\b{_QUAL}(?P<n>{_NUM})\s+(?:people|persons)\s*,?\s+including\s+(?P<n2>{_NUM}|an?)\s+"
    rf"(?:[\w-]+ ){{0,2}}?(?P<group2>{_GROUP_SECURITY}|{_GROUP_MILITANT}|{_GROUP_CIVILIAN})\s*,?\s+"
    rf"(?:were|had been|have been|are)?\s*(?:{_DEAD})\b",
    re.IGNORECASE,
)
_INJURE_BEFORE = re.compile(
    rf"\b(?:wounding|injuring|wounded|injured|hurting)\s+{_QUAL}(?P<n>{_NUM})\b(?:\s+{_NOUN})?",
    re.IGNORECASE,
)
# 'were killed and 12 injured' / 'and 12 others were wounded': the injured after the dead
_AND_INJURED = re.compile(
    rf"^\s*(?:,\s*)?and\s+(?:{_QUAL}(?P<n>{_NUM})|(?P<one>another))\s+(?:others?\s+|more\s+)?"
    r"(?:were\s+|are\s+|was\s+|have been\s+)?(?:wounded|injured|hurt|sustained injuries)\b",
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
    rf"\b(?:(?:death|casualty) )?toll (?:[^.;]{{0,80}}?\b)?(?:at|to|(?:had |has )?(?:risen|rose|climbed|jumped|gone up) to|stood at|reached)\s+{_QUAL}(?P<n>{_NUM})\b",
    re.IGNORECASE,
)  # 'put the toll at 20', 'the death toll from Thursday's attack … has risen to 10'
# '22 injured had also been brought to the hospital'
_BROUGHT_IN = re.compile(
    rf"\b{_QUAL}(?P<n>{_NUM})\s+(?:injured|wounded)(?:\s+(?:people|persons))?\s+(?:had|have|were)\s+"
    r"(?:also\s+)?(?:been\s+)?(?:brought|taken|shifted|admitted|rushed)\b",
    re.IGNORECASE,
)
_AND_MORE = re.compile(
    rf"^\s*(?:,\s*)?(?:and|,|along with)\s+{_QUAL}(?P<n>{_NUM}|an?)\s+{_NOUN}", re.IGNORECASE
)
# 'carrying police recruits, four of whom were killed': the group named before the number
_OF_WHOM = re.compile(
    rf"{_NOUN},\s+{_QUAL}(?P<n>{_NUM}) of (?:whom|them)\s+(?:were|had been|have been)\s+(?:{_DEAD})\b",
    re.IGNORECASE,
)  # '… three officers and a passer-by'


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


COUNT_FIELDS = CasualtyClaim.COUNT_FIELDS  # the figures a Counts holds, as a claim names them


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
        return any(getattr(self, f) is not None for f in COUNT_FIELDS)

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


_CASUALTY_WORDS = re.compile(  # word starts only: a cheap first pass
    r"\b(?:kill|wound|injur|dead|died|hurt|lives|martyr|shot|gunned|massacred|left \w+|bodies|toll|"
    r"shahadat|sent to hell|neutrali|perish|succumb)",
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

    low = sentence.lower()

    def having(*words: str) -> bool:  # a cheap test before a costly pattern
        return any(w in low for w in words)

    for m in _OF_WHOM.finditer(sentence) if having(" of whom", " of them") else ():
        n = _number(m["n"])
        if n is not None and free(m.start(), m.end()):
            counts.add(_group(m["group"]), n, m.group(), m["qual"])
            taken.append((m.start(), m.end()))
            more = _AND_MORE.match(sentence[m.end() :])
            if more and _number(more["n"]) is not None:
                counts.add(_group(more["group"]), _number(more["n"]) or 0, more.group(), None)
                taken.append((m.end(), m.end() + more.end()))
    for m in _LISTED_AFTER.finditer(sentence) if having("shahadat", "martyr", "lives") else ():
        n = _number(m["n"])
        if n is not None and free(m.start(), m.end()):
            counts.add(_group(m["group"]), n, m.group(), m["qual"])
            taken.append((m.start(), m.end()))
    for m in _NAMED_AFTER.finditer(sentence) if having("shahadat", "martyr") else ():
        if free(m.start(), m.end()):
            counts.add("security", 1, m.group(), None)
            taken.append((m.start(), m.end()))
    for m in _INCLUDING_AFTER.finditer(sentence) if having("including") else ():
        n, n2 = _number(m["n"]), _number(m["n2"])
        if n is None or n2 is None:
            continue
        counts.add("killed", n, m.group(), m["qual"])
        counts.add(_group(m["group2"]), n2, "", None)
        taken.append((m.start(), m.end()))
    for m in _LIST_AFTER.finditer(sentence) if having(" and ") else ():
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
        hurt = (1 if more["one"] else _number(more["n"])) if more else None
        if kind != "injured" and more and hurt is not None:
            counts.add("injured", hurt, more.group(), more["qual"])
            taken.append((m.end(), m.end() + more.end()))
    for pattern, kind, word in (
        (_BODIES, "killed", "bodies"),
        (_TOLL, "killed", "toll"),
        (_WOUNDED_NOUN, "injured", "ed "),
        (_BROUGHT_IN, "injured", "ed "),
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


_AGENCY_RE = re.compile(
    r"\b("
    + rules.alternation([re.escape(n) for n in rules.load("datelines")["agency_names"]])
    + r")\b"
)
_WHO = (
    r"(?P<who>(?:the |a |an )?[A-Za-z][\w’'.-]*"
    r"(?: (?:[A-Za-z0-9][\w’'.-]*|\([A-Z][A-Za-z-]{1,10}\))){0,7})"
)
_SAID = (
    r"(?:said|says|say|told|added|confirmed|stated|reported|"
    r"(?:later |also )?put the (?:death |casualty )?toll at)"
)
# 'Jane Doe, a doctor at the district hospital, said' / 'The spokesman, Ali Khan, later put'
_APPOSITIVE = r"(?P<app>[^,;\"“”]{3,90})"
_ATTRIB = (
    re.compile(rf"\bquoted {_WHO} as saying\b", re.IGNORECASE),
    re.compile(rf"\b(?:citing|quoting) {_WHO}[,.]", re.IGNORECASE),
    re.compile(rf"\baccording to {_WHO}[,.]", re.IGNORECASE),
    re.compile(rf",[\"”’']?\s+{_WHO}\s+(?:had |has |have )?{_SAID}\b"),
    re.compile(rf"^{_WHO}\s+(?:had |has |have )?{_SAID}\b"),
    re.compile(rf"^{_WHO},\s+{_APPOSITIVE},\s+(?:later |also |on \w+ )?{_SAID}\b"),
    re.compile(
        rf"\b{_SAID} {_WHO}(?:,\s+{_APPOSITIVE})?[,.]$"
    ),  # '…, said Hasil Khan, a local administrator.'
    # '…, the military's media wing, Inter-Services Public Relations (ISPR), said'
    re.compile(rf",\s+(?P<who>[A-Z][^,;]{{2,80}}\([A-Z]{{2,10}}\)),\s+{_SAID}\b"),
)
_WHEN_SAID = re.compile(
    r"\s+on\s+(?:(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)|"
    r"[A-Z][a-z]+\.? \d{1,2}|\d{1,2} [A-Z][a-z]+)$"
)
_NOT_WHO = re.compile(
    r"^(?:it|he|she|they|we|this|that|there|which|who|officials? said|but|and|as|while|when|"
    r"adding|earlier|later|no|nobody)$|"
    r"^(?:in|on|at|from|to|by|with|after|before|during|for|over|while)\b|\d|\b(?:and|but|toll)$",
    re.IGNORECASE,
)


_CLAUSE_VERB = re.compile(r"\b(?:were|was|had|have|has|been|is|are)\b", re.IGNORECASE)


_TITLES: dict[str, str] = rules.load("datelines")["titles"]
_TITLE_RE = re.compile(r"\b(" + "|".join(sorted(_TITLES, key=len, reverse=True)) + r")\b")


_SPELLED_OUT = re.compile(r"\s*\((?:" + "|".join(re.escape(v) for v in _TITLES.values()) + r")\)$")


def _spelled_titles(who: str) -> str:
    """'the DPO' → 'the DPO (district police officer)': the first abbreviated title spelled
    out, unless the speaker's words already say it or explain it ('… Relations (ISPR)')."""
    m = _TITLE_RE.search(who)
    if m is None or f"({m[1]})" in who:
        return who
    words = _TITLES[m[1]]
    return who if words.lower() in who.lower() else f"{who} ({words})"


def attribution(sentence: str) -> tuple[str | None, str | None]:
    """(who said it, which agency reported it) — either may be None."""
    agency = None
    for m in _AGENCY_RE.finditer(sentence):
        agency = AGENCIES[m.group().lower()]
    who = None
    for pattern in _ATTRIB:
        for m in pattern.finditer(sentence):
            cand = _WHEN_SAID.sub("", m["who"].strip(" ,."))  # 'the army on July 27' said
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
            who = _spelled_titles(
                re.sub(r",?\s+(?:however|though|meanwhile|too|also|later|earlier)$", "", cand)
            )
            break
        if who:
            break
    return who, agency


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
    w = _SPELLED_OUT.sub("", who).lower().replace("’", "'")  # our own gloss is not the speaker
    w = re.sub(r"^(?:the|a|an)\s+", "", w)
    w = re.sub(r"^[\w-]+(?: [\w-]+)?'s\s+", "", w)
    return w.strip()


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
    fields = {f: getattr(counts, f) for f in COUNT_FIELDS if getattr(counts, f) is not None}
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
