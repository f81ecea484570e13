"""Mentions: place names in a sentence, which of them are attack sites, and where they are."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from geo.errors import SitmapError
from geo.extract.document import Sentence
from geo.extract.rules import _words
from geo.taxonomy import GeoPrecision

if TYPE_CHECKING:
    from geo.geocode import GeocoderChain

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
    r"\b(?i:from|to|towards?|bound for|between|via)\s+(?:the\s+)?$|"
    # the other end: 'between Quetta and Sibi', 'links Quetta with Peshawar'
    r"\b(?:between|links?|linking|connects?|connecting|runs? from)\s+"
    r"[A-Z][\w'’.-]*(?:\s[A-Z][\w'’.-]*){0,2}\s+(?:and|with|to)\s+$|"
    # where something was going or what a place is near: not where the attack was
    r"\b(?i:headed (?:for|to)|heading (?:for|to)|en route to|supplying \w+ to|bordering|borders|"
    r"near the border (?:with|of))\s+$|"
    # '140km south of the provincial capital Quetta', 'southeast of Quetta'
    r"\b(?i:(?:north|south|east|west)(?:-?(?:east|west))?(?:ern)?) of (?:the )?"
    r"(?:(?:provincial |federal )?capital,? )?$",
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
VARIANT_SCORE = 80.0  # gazetteer score of a close spelling (fuzzy ratio × 0.9): 'Barkan' → Barkhan
UNKNOWN_PLACE = "a place the gazetteer does not know"
_PLACE_WORD_AFTER = re.compile(
    r"^\s*(?:,\s*)?(?:district|tehsil|town|village|area|city|bazaar|cantonment|sub-division|"
    r"subdivision|locality|region|valley|pass|dam|tunnel|camp|fort)\b",
    re.IGNORECASE,
)
# where the wounded were taken is not where the attack was: 'shifted to the District
# Headquarters Hospital in Parachinar', 'airlifted to the Combined Military Hospital in Quetta'
_TAKEN_TO = re.compile(
    r"\b(?:airlifted|shifted|taken|rushed|moved|flown|evacuated|brought|referred|transported|"
    r"admitted)\s+(?:to|at)\s+[^.;,]{0,50}?\b(?:in|at)\s+$",
    re.IGNORECASE,
)
_UNKNOWN_LOCATIVE = re.compile(r"\b(?:in|near|at|outside)\s+(?:the\s+)?$")
_CALENDAR = _words(
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday ramadan eid muharram"
)
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
    """Finds place mentions in a sentence through the geocoding chain (geo.geocode): its
    exact names first, its close spellings where the copy says a word is a place — the same
    lookup the CLI and the desk use, so a place taught to the chain is found here too."""

    def __init__(self, places: GeocoderChain, country: str = "PK", max_words: int = 5):
        self.places = places
        self.country = country
        self.max_words = max_words
        self._memo: dict[str, list[Any]] = {}

    def lookup(self, name: str) -> list[Any]:
        key = name.casefold()
        hit = self._memo.get(key)
        if hit is None:
            try:
                hit = list(self.places.exact(name, country=self.country))
            except (ValueError, KeyError):
                hit = []
            if len(self._memo) > 50_000:
                self._memo.clear()
            self._memo[key] = hit
        return hit

    def variant(self, name: str) -> list[Any]:
        """A spelling the gazetteer does not hold exactly ('Barkan', 'Bajur'): its close
        Pakistani spelling, when one is close enough and starts with the same letter."""
        key = "~" + name.casefold()
        hit = self._memo.get(key)
        if hit is None:
            hit = []
            try:
                found = self.places.close_spellings(name, country=self.country, limit=3)
            except (ValueError, KeyError):
                found = []
            for cand in found:
                if (
                    cand.score >= VARIANT_SCORE
                    and cand.name[:1].casefold() == name[:1].casefold()
                    and _level(cand) in ("town", "district")
                ):
                    hit = [cand]
                    break
            self._memo[key] = hit
        return hit

    def _variant_or_unknown(
        self,
        text: str,
        run: list[tuple[int, int, str]],
        i: int,
        sentence: Sentence,
        rejected: list[Rejected],
    ) -> tuple[int, str, int, int, list[Any], str | None] | None:
        """A one-word name the gazetteer lacks, where the copy says it is a place ('in
        Daraban', 'Barkan district'): its close spelling when there is one; else it is
        kept as a named place the gazetteer does not know (never silently dropped)."""
        if len(run) - i != 1 or i != 0:
            return None  # only a name standing alone in its phrase
        a, b, word = run[i]
        if word.endswith(("'s", "’s")):
            b -= 2
        surface = text[a:b]
        low = surface.casefold()
        if len(surface) < 4 or low in _FUNCTION or low in DEMONYMS or low in _COMMON_WORDS:
            return None
        pre = text[max(sentence.start, a - 30) : a]
        post = text[b : min(sentence.end, b + 20)]
        placed = bool(
            _LOCATIVE_BEFORE.search(pre)
            or _UNKNOWN_LOCATIVE.search(pre)
            or _DISTRICT_AFTER.match(post)
            or _PLACE_WORD_AFTER.match(post)
        )
        if not placed or _ROUTE_BEFORE.search(pre) or low in PROVINCES or low in FOREIGN:
            return None
        # a close spelling only where the copy says the word is a district ('Barkan
        # district'): elsewhere a small place the gazetteer lacks ('Kalmat') would be taken
        # for a bigger one spelled alike ('Kalat')
        cands = self.variant(surface) if _DISTRICT_AFTER.match(post) else []
        cands = [c for c in cands if _level(c) == "district"]
        if cands:
            return (1, surface, a, b, cands, None)
        if low in _CALENDAR or not (_PLACE_WORD_AFTER.match(post) or _UNKNOWN_LOCATIVE.search(pre)):
            return None
        rejected.append(Rejected(surface, UNKNOWN_PLACE))
        return None

    def find(
        self, text: str, sentence: Sentence, exclude: Sequence[tuple[int, int]] = ()
    ) -> tuple[list[Mention], list[Rejected]]:
        mentions: list[Mention] = []
        rejected: list[Rejected] = []
        toks = _tokens(text, sentence.start, sentence.end)
        for run in _runs(text, toks):
            i = 0
            while i < len(run):
                hit: tuple[int, str, int, int, list[Any], str | None] | None = None
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
                    hit = self._variant_or_unknown(text, run, i, sentence, rejected)
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
                            route=bool(_ROUTE_BEFORE.search(pre))
                            or bool(_TAKEN_TO.search(text[max(sentence.start, a - 90) : a])),
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

    def _district_centre(
        self, mention: Mention, dname: str, place: str, cue: str, note: str
    ) -> Site:
        """A site marked at a district's centre (district precision, never more)."""
        centre = self.layer.centre(dname) if self.layer is not None else None
        cand = mention.best("district")
        lon, lat = centre if centre else (cand.lon, cand.lat)
        prov = self.layer.province(dname) if self.layer is not None else None
        return Site(
            mention, place, lon, lat, GeoPrecision.district, dname, prov, "named", [cue], note
        )

    def site(
        self, mention: Mention, named_district: str | None = None, unknown: str | None = None
    ) -> Site | None:
        cues = []
        dname = self.district_name(mention) if unknown else None
        if unknown and dname:
            return self._district_centre(
                mention,
                dname,
                unknown,
                f'place: "{unknown}" (not in the gazetteer) in {dname} district → '
                "marker at the district centre",
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
                return self._district_centre(
                    mention,
                    dname,
                    dname,
                    f'place: "{mention.surface}" named as a district → {dname} (district centre)',
                    f"The copy names only {dname} district; the marker is at the district's centre.",
                )
        cand = mention.best()
        level = _level(cand)
        if level == "province":
            return None
        if level == "district":
            dname = self.district_name(mention) or getattr(cand, "district", None) or cand.name
            return self._district_centre(
                mention,
                dname,
                dname,
                f'place: "{mention.surface}" → {dname} (district; marker at its centre)',
                f"The copy names {dname}, a district; the marker is at the district's centre.",
            )
        d, p, match = self._pip(cand.lon, cand.lat, cand)
        gid = getattr(cand, "geonameid", None)
        ref = f", GeoNames {gid}" if gid else ""
        if not gid and "entered by hand" in (getattr(cand, "note", None) or ""):
            ref = ", approximate point entered by hand"
        # a newsroom entry an editor placed as a site (a post, a station) is that site: the
        # copy names it, and the editor fixed its point; every other place is a town
        site = (
            getattr(cand, "source", None) == "newsroom" and getattr(cand, "precision", "") == "site"
        )
        precision = GeoPrecision.site if site else GeoPrecision.town
        cues.append(f'place: "{mention.surface}" → {cand.name} ({precision.value}{ref})')
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
            precision,
            d,
            p,
            match if match in {"inside", "nearest", "named", "manual"} else None,
            cues,
            note,
        )


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


_FINDERS: dict[int, PlaceFinder] = {}
_CHAINS: dict[int, GeocoderChain] = {}


def chain_for(gazetteer: Any) -> GeocoderChain:
    """The offline geocoding chain over one gazetteer (one per gazetteer object)."""
    chain = _CHAINS.get(id(gazetteer))
    if chain is None or chain.offline.gazetteer is not gazetteer:
        from geo.geocode import GeocoderChain, OfflineGeocoder

        chain = GeocoderChain(OfflineGeocoder(gazetteer))
        if len(_CHAINS) > 8:
            _CHAINS.clear()
        _CHAINS[id(gazetteer)] = chain
    return chain


def _finder(places: Any, iso2: str) -> PlaceFinder:
    """One finder (and its lookup memo) per geocoding chain and country; a gazetteer is
    wrapped in its offline chain."""
    from geo.geocode import GeocoderChain

    chain = places if isinstance(places, GeocoderChain) else chain_for(places)
    key = id(chain)
    f = _FINDERS.get(key)
    if f is None or f.places is not chain or f.country != iso2:
        f = PlaceFinder(chain, iso2)
        if len(_FINDERS) > 8:
            _FINDERS.clear()
        _FINDERS[key] = f
    return f


_UNKNOWN_BEFORE = re.compile(
    r"\b(?:in|near|at|outside|of)\s+(?:the\s+)?(?P<name>[A-Z][\w'’-]+(?: [A-Z][\w'’-]+){0,2})"
    r"(?:\s+(?:area|village|town|tehsil|bazaar|market|locality))?,?\s+"
    r"(?:in\s+(?:the\s+)?(?:(?:tribal|border|mountainous|remote)\s+)?(?:area\s+of\s+)?)?$"
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


def _province_named(rejected: list[Rejected], mentions: list[Mention]) -> str | None:
    for r in rejected:
        if r.why == "a province, not a site":
            return PROVINCES.get(r.surface.casefold().replace("’", "'"), r.surface)
    return None
