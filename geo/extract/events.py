"""Events: which sentences tell an attack, of which type, against what, with what outcome."""

from __future__ import annotations

import re
from dataclasses import dataclass

from geo.extract.claims import _CASUALTY_WORDS, _CLAUSE_VERB
from geo.taxonomy import AttackType, Infrastructure

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
