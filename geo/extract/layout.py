"""Stage 2, layout: the dateline (where the copy was filed, never a site) and the filing date."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from geo.dates import (
    MONTH_RE,
    Anchor,
    anchor,
    header_date,
    parse_month_day,
)
from geo.extract import rules

_DATELINE = re.compile(
    r"(?:[A-Z][A-Za-z]+(?: [A-Za-z]+){0,2} [Rr]eport(?:er)?\s*[:|/-]\s*)?"  # 'Dawn report: '
    r"(?P<place>[A-Z][A-Za-z'’.]+(?:[ -][A-Z][A-Za-z'’.]+){0,3})"
    r"(?:,\s*(?P<region>[A-Z][A-Za-z]+(?: [A-Z][A-Za-z]+)?)|\s*\((?P<region_p>[A-Z][A-Za-z]+)\))?"
    rf"(?:,?\s*(?P<date>{MONTH_RE}\s*\d{{1,2}}(?:,?\s*(?:19|20)\d\d)?|"
    rf"\d{{1,2}}\s+{MONTH_RE}(?:,?\s*(?:19|20)\d\d)?))?"
    r"\s*(?:\((?P<agency>[A-Za-z .&/]{2,30})\))?"
    r"(?:\s*(?P<sep>:|—|–|--|-)\s+|(?<=\))\s+(?=[A-Z]))"  # 'Peshawar, Jun 6 (PTI) Gunmen'"
)


_RULES = rules.load("datelines")
_NOT_DATELINE = frozenset(_RULES["not_dateline"])
_DATELINE_COUNTRIES = frozenset(_RULES["countries"])
AGENCIES: dict[str, str] = dict(_RULES["agencies"])


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


HEAD_LINES = 12  # headline, byline, date, caption and menu lines may come before the dateline


def find_dateline(text: str) -> Dateline | None:
    """'Islamabad, Feb. 1:' / 'PESHAWAR, Pakistan (AP) —' at the start of one of the first
    lines: where the story was filed, not where anything happened."""
    pos = 0
    for _ in range(HEAD_LINES):
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
        if end < 0 or _BODY_LINE.match(text, pos, line_end):
            break  # the body has begun: a dateline comes before it
        pos = end + 1
    return None


# a paragraph of running text (25 words or more ending a sentence): the body, not the head
_BODY_LINE = re.compile(r"(?:\S+\s+){24,}\S*[.!?][\"'”’]?\s*$")


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
    if dateline and dateline.month and dateline.day:
        dl = (dateline.month, dateline.day, dateline.year)
        return anchor(dl, dateline.date_text, header, published)
    return anchor(None, None, header, published)
