"""Events: which sentences tell an attack, of which type, against what, with what outcome."""

from __future__ import annotations

import re
from dataclasses import dataclass

from geo.extract import rules
from geo.extract.claims import _CASUALTY_WORDS, _CLAUSE_VERB
from geo.extract.tokens import Token, tokenize
from geo.taxonomy import AttackType, Infrastructure

_DEFINITE = re.compile(
    r"(?:\b[Tt]he|\b[Tt]his|\b[Tt]hat|\b[Tt]hese|\b[Tt]hose|\b[Ss]uch|’s|'s)\s+(?:[\w-]+\s+)?$"
)


ATTACK_RULES = rules.entries("attack")  # priority order: the first found names the type
INFRA_RULES = rules.entries("targets")
OUTCOME_RULES = rules.entries("outcomes")
# Every attack rule needs one of these words: a cheap first pass over each sentence.
_ATTACK_WORDS = re.compile(
    r"\b(?:" + rules.load("attack")["cheap"] + ")", re.IGNORECASE
)  # at word starts


def _matches(rule: rules.Entry, sentence: str, toks: tuple[Token, ...]) -> tuple[int, int] | None:
    """The rule's first match that counts: a noun cue must not be a definite back-reference
    ('the bomb' is a bomb told before)."""
    if not rule.noun:
        return rule.search(sentence, toks)
    rx = rule.compiled
    if rx is None or (rule.requires and not rules._compile(rule.requires).search(sentence)):
        return rule.search(sentence, toks) if rx is None else None
    for m in rx.finditer(sentence):
        if not _DEFINITE.search(sentence[max(0, m.start() - 40) : m.start()]):
            return m.span()
    return None


_FREED = re.compile(
    r"\b(?:freed|released|escaped with|set(?: free)?)\s+(?P<q>(?:more than|at least|over|nearly|about|some|around)\s+)?"
    r"(?P<n>\d[\d,]*|[a-z]+)\s+(?:inmates|prisoners)",
    re.IGNORECASE,
)

OVERVIEW = re.compile(
    r"\b(?:series of|wave of|spate of|string of|coordinated|across (?:the )?(?:province|country|region)|"
    r"across (?:[A-Z][\w-]+))",
)


@dataclass
class Cues:
    attack_type: AttackType
    cues: list[str]
    overview: bool


_BOMB_BACKREF = re.compile(
    r"\b(?:[Tt]he|[Tt]his|[Tt]hat)\s+(?:[\w-]+\s+)?(?:blast|bomb|bombing|explosion|IED)\b"
)


def attack_cues(sentence: str) -> Cues | None:
    """The attack type a sentence describes, with the words that show it; None if none.

    Only event language counts: 'stormed a prison', 'a bomb exploded', 'attempts to attack'.
    A definite back-reference ('the attacks', 'the Bannu bombing') is not a new event."""
    if not _ATTACK_WORDS.search(sentence):
        return None
    toks = tokenize(sentence)
    found: list[tuple[rules.Entry, str]] = []
    for rule in ATTACK_RULES:
        span = _matches(rule, sentence, toks)
        if span is not None:
            found.append((rule, sentence[span[0] : span[1]]))
    if not found:
        return None
    rule, words = found[0]
    if rule.label == "damage to infrastructure" and (back := _BOMB_BACKREF.search(sentence)):
        # 'The blast hit the train, derailing four carriages': the damage is the bombing's
        return Cues(
            AttackType.bombing,
            [
                f"attack: '{back.group()}' (a bombing told before) → bombing (strongest cue)",
                f"attack: '{words}' → sabotage (what the blast did)",
            ],
            bool(OVERVIEW.search(sentence)),
        )
    cues = [f"attack: '{w}' → {r.value}" for r, w in found[:3]]
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
_SAYS = re.compile(r"\b(?:said|says|told|added|according)\b")  # a speaker may be named here


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
    toks = tokenize(sentence)
    for rule in INFRA_RULES:
        span = rule.search(sentence, toks)
        if span is None:
            continue
        if Infrastructure(rule.value) not in values:
            values.append(Infrastructure(rule.value))
            cues.append(f"target: '{sentence[span[0] : span[1]]}' → {rule.value}")
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
    for rule in OUTCOME_RULES:
        if rule.label not in parts and rule.search(sentence, ()) is not None:
            parts.append(rule.label)
    return ("; ".join(parts) or None), [f"outcome: {p}" for p in parts]
