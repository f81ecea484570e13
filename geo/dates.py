"""Dates in wire copy: the day the copy was filed, and each attack's date from its words.

Wire copy rarely gives an attack's calendar date. It gives a dateline ("ISLAMABAD, Feb. 1
(Reuters) -") and relative day words ("on Saturday", "late Friday", "overnight", "hours
later", "over a 40-hour period"). This module turns those into the story format's ``date``,
``date_end`` and ``date_precision``, deterministically and honestly:

- ``day`` only when a day is stated ("on Jan. 31") or derivable from a weekday and the
  filing date ("on Saturday" in copy filed Sunday 1 Feb 2026 is 31 Jan 2026);
- ``range`` when the words only bound it ("overnight": the filing day or the day before;
  "over a 40-hour period": the calendar days those hours can touch) or when the copy says
  nothing about this attack (the span of the copy's dated events up to the filing date);
- no date at all, with a cue saying why, when there is no filing date to count from.

The filing date's year comes from the dateline or a date line at the top of the copy, else
from a reference date the caller gives (the publication date, ``sitmap extract --date``),
never from today's clock. Every result carries a one-line cue naming the words it came from.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass

from geo.taxonomy import DatePrecision

MONTH_RE = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
#: How a cue for a draft left without a date starts (the reason follows).
NOT_SET = "date: not set — "
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_ORD = r"(?:st|nd|rd|th)?"
_YEAR_RE = r"(?:19|20)\d\d"

# "Feb. 1", "February 1, 2026", "1 February 2026", "2026-02-01"
_MDY = re.compile(
    rf"\b(?P<mon>{MONTH_RE})\s+(?P<day>\d{{1,2}}){_ORD}\b(?:,?\s+(?P<year>{_YEAR_RE})\b)?"
)
_DMY = re.compile(
    rf"\b(?P<day>\d{{1,2}}){_ORD}\s+(?:of\s+)?(?P<mon>{MONTH_RE})(?![a-z])"
    rf"(?:,?\s+(?P<year>{_YEAR_RE})\b)?"
)
# "night 8/9 April" (ISPR press releases): the night between two days
_NIGHT_OF = re.compile(
    rf"\bnight (?:of )?(?P<d1>\d{{1,2}})\s*/\s*(?P<d2>\d{{1,2}})\s+(?P<mon>{MONTH_RE})"
    rf"(?:,?\s+(?P<year>{_YEAR_RE}))?\b"
)
_ISO = re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<mon>\d\d)-(?P<day>\d\d)\b")
_NUMERIC = re.compile(r"^(?P<a>\d{1,2})[/.](?P<b>\d{1,2})[/.](?P<year>(?:19|20)\d\d)$")
_WEEKDAY_NAME = r"(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day"
_HEADER_LINE = re.compile(
    rf"^(?:{_WEEKDAY_NAME},?\s+)?(?:(?:{MONTH_RE})\s+\d{{1,2}}{_ORD},?\s+{_YEAR_RE}|"
    rf"\d{{1,2}}{_ORD}\s+(?:{MONTH_RE}),?\s+{_YEAR_RE}|{_YEAR_RE}-\d\d-\d\d|"
    rf"\d{{1,2}}[/.]\d{{1,2}}[/.]{_YEAR_RE})$"
)

# Words that put a day word on a statement, not on the attack: "the minister said Sunday".
_SPEECH_BEFORE = re.compile(
    r"\b(?:said|says|told|announced|added|reported|confirmed|stated|declared|tweeted|"
    r"posted|statement|briefing|briefed|news conference)\s+(?:\w+\s+)?(?:on\s+|late\s+|"
    r"early\s+|late on\s+|early on\s+)?$",
    re.IGNORECASE,
)
_WEEKDAY = re.compile(
    rf"\b(?P<pre>(?:since|from|until|till|next|last|this)\s+)?(?P<wd>{_WEEKDAY_NAME})(?:['’]s)?"
    r"(?:\s+(?P<part>morning|afternoon|evening|night))?\b"
)
_SAME_DAY = re.compile(
    r"\b(?:today|tonight|this (?:morning|afternoon|evening)|earlier (?:today|in the day))\b",
    re.IGNORECASE,
)
_YESTERDAY = re.compile(r"\b(?:yesterday|last night)\b", re.IGNORECASE)
_NIGHT = re.compile(
    r"\b(?:overnight|during the night|in the night|(?:just )?before dawn|pre-?dawn|"
    r"at dawn|in the early hours)\b",
    re.IGNORECASE,
)
_WEEKEND = re.compile(r"\b(?:over|at|during) the weekend\b", re.IGNORECASE)
_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "twelve": 12, "twenty-four": 24,
    "thirty-six": 36, "forty": 40, "forty-eight": 48, "seventy-two": 72, "few": 3,
    "several": 7,
}  # fmt: skip
_SPAN_N = (
    r"(?P<n>\d{1,3}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|twelve|"
    r"twenty-four|thirty-six|forty|forty-eight|seventy-two|few|several)[- ]"
    r"(?P<unit>hours?|days?)(?:[- ]long)?(?:\s+period)?\b"
)
# A window the copy's events fall in, ending at filing: 'over a 40-hour period', 'in the
# past 24 hours' (not a duration such as 'suspended for several hours').
_SPAN = re.compile(
    rf"\b(?:(?:over|during)\s+(?:the\s+|a\s+)?(?:past\s+|last\s+|previous\s+)?|"
    rf"in\s+the\s+(?:past|last|previous)\s+){_SPAN_N}",
    re.IGNORECASE,
)
# Words that date an attack by the one before it in the copy.
_AFTER_PREVIOUS = re.compile(
    r"\b(?P<hours>(?:hours|minutes|moments) later|shortly (?:after|afterwards)|soon after)\b|"
    r"\b(?P<same>later (?:that|the same) (?:day|morning|afternoon|evening|night)|"
    r"later in the day|the same day|on the same day)\b|"
    r"\b(?P<next>(?:a|one) day later|the (?:next|following) day)\b",
    re.IGNORECASE,
)


def month_number(word: str) -> int | None:
    return MONTHS.get(word.rstrip(".")[:3].lower())


def _safe(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def nearest_year(month: int, day: int, near: dt.date) -> dt.date | None:
    """The date with this month and day closest to ``near`` (Dec. 31 filed near 1 Jan →
    the previous year)."""
    options = [d for y in (near.year - 1, near.year, near.year + 1) if (d := _safe(y, month, day))]
    return min(options, key=lambda d: (abs((d - near).days), d)) if options else None


def parse_month_day(text: str) -> tuple[int, int, int | None] | None:
    """(month, day, year or None) from 'Feb. 1', 'February 1, 2026', '1 Feb 2026'."""
    m = _MDY.search(text) or _DMY.search(text)
    if not m:
        return None
    month = month_number(m["mon"])
    if month is None:
        return None
    return month, int(m["day"]), int(m["year"]) if m["year"] else None


def header_date(line: str, month: int | None = None, day: int | None = None) -> tuple:
    """A line that is only a date ('02/01/2026', 'Sunday, February 1, 2026', '2026-02-01')
    → (full date or None, year or None). A numeric date is read day-first or month-first
    only where that is unambiguous or agrees with the dateline's month and day."""
    line = line.strip()
    if not line or len(line) > 40 or not _HEADER_LINE.match(line):
        return None, None
    if m := _ISO.search(line):
        d = _safe(int(m["year"]), int(m["mon"]), int(m["day"]))
        return d, int(m["year"])
    if m := _NUMERIC.match(line):
        a, b, year = int(m["a"]), int(m["b"]), int(m["year"])
        readings = {r for r in (_safe(year, a, b), _safe(year, b, a)) if r}
        if month and day:
            agree = [r for r in readings if (r.month, r.day) == (month, day)]
            return (agree[0] if agree else None), year
        return (readings.pop() if len(readings) == 1 else None), year
    found = parse_month_day(line)
    if found and found[2]:
        return _safe(found[2], found[0], found[1]), found[2]
    return None, None


@dataclass(frozen=True)
class Anchor:
    """The day relative words count from (the filing date), or why there is none."""

    date: dt.date | None
    how: str  # where the date came from, or why there is no date


def anchor(
    dateline_date: tuple[int, int, int | None] | None,
    dateline_text: str | None,
    header: tuple[dt.date | None, int | None, str] | None,
    published: dt.date | None,
) -> Anchor:
    """The filing date: the dateline's day with its own year, the year of a date line at the
    top of the copy, or the year nearest the reference (publication) date; else the
    reference date itself; else none, with the reason."""
    said = f"'{dateline_text}'" if dateline_text else "the dateline"
    hdate, hyear, hline = header if header else (None, None, "")
    if dateline_date:
        month, day, year = dateline_date
        if year:
            d = _safe(year, month, day)
            if d:
                return Anchor(d, f"dateline {said}")
        d = None
        if hdate:
            d = nearest_year(month, day, hdate)
        elif hyear:
            d = _safe(hyear, month, day)
        if d:
            return Anchor(d, f"dateline {said}, year from the date line '{hline}'")
        if published:
            d = nearest_year(month, day, published)
            if d:
                return Anchor(d, f"dateline {said}, year from the reference date {published}")
        return Anchor(
            None,
            f"the dateline {said} has no year; give the publication date "
            "(sitmap extract --date YYYY-MM-DD)",
        )
    if hdate:
        return Anchor(hdate, f"the date line '{hline}' at the top of the copy")
    if published:
        return Anchor(published, f"the reference date {published} (no date in the dateline)")
    return Anchor(
        None,
        "the copy has no dateline date and no reference date was given; give the "
        "publication date (sitmap extract --date YYYY-MM-DD)",
    )


@dataclass(frozen=True)
class When:
    """An attack's date as the copy supports it."""

    start: dt.date | None
    end: dt.date | None
    precision: DatePrecision
    cue: str
    own: bool = True  # from this attack's own words (False: the copy's span, or blank)

    @property
    def date_end(self) -> dt.date | None:
        return self.end if self.end and self.start and self.end > self.start else None


def _fmt(d: dt.date) -> str:
    return f"{d.strftime('%a')} {d.isoformat()}"


def _day(d: dt.date, words: str, why: str) -> When:
    return When(d, d, DatePrecision.day, f"date: {d.isoformat()} (day) — '{words}': {why}")


def _range(a: dt.date, b: dt.date, words: str, why: str, own: bool = True) -> When:
    if a >= b:
        return _day(b, words, why)
    return When(
        a,
        b,
        DatePrecision.range,
        f"date: {a.isoformat()} to {b.isoformat()} (range) — '{words}': {why}",
        own,
    )


def span_days(sentence: str) -> tuple[int, str] | None:
    """'over a 40-hour period' → (2, words): the calendar days back from the filing day
    that the period can reach (40 hours ending on a day can start two days earlier)."""
    m = _SPAN.search(sentence)
    if not m:
        return None
    raw = m["n"].lower()
    n = int(raw) if raw.isdigit() else _NUMBER_WORDS.get(raw)
    if not n:
        return None
    back = math.ceil(n / 24) if m["unit"].lower().startswith("hour") else n
    return (back, m.group()) if 0 < back <= 31 else None


def sentence_date(sentence: str, filed: Anchor) -> When | None:
    """The date an attack sentence states or implies, counted from the filing date; None
    when it says nothing about when (or only about when someone spoke)."""
    base = filed.date
    hits: list[tuple[dt.date, dt.date, str, str]] = []  # (start, end, words, why)
    taken: list[tuple[int, int]] = []

    def speech(start: int) -> bool:
        return bool(_SPEECH_BEFORE.search(sentence[max(0, start - 40) : start]))

    def free(a: int, b: int) -> bool:
        return all(b <= x or a >= y for x, y in taken)

    blank: list[str] = []
    for m in _NIGHT_OF.finditer(sentence):  # a press release's 'On night 8/9 April 2026'
        month = month_number(m["mon"])
        if month is None:
            continue
        year: int | None = None
        if m["year"]:
            year = int(m["year"])
        elif base:
            near = nearest_year(month, int(m["d2"]), base)
            year = near.year if near else None
        first = _safe(year, month, int(m["d1"])) if year else None
        second = _safe(year, month, int(m["d2"])) if year else None
        if first and second and first <= second:
            taken.append((m.start(), m.end()))
            hits.append((first, second, m.group(), "the night the copy names"))
    for pattern in (_ISO, _MDY, _DMY):
        for m in pattern.finditer(sentence):
            if not free(m.start(), m.end()) or speech(m.start()):
                continue
            taken.append((m.start(), m.end()))
            mon = m["mon"]
            month = int(mon) if mon.isdigit() else month_number(mon)
            if month is None:
                continue
            if m["year"]:
                d = _safe(int(m["year"]), month, int(m["day"]))
                why = "stated in the copy"
            elif base:
                d = nearest_year(month, int(m["day"]), base)
                why = f"stated; year from the filing date ({filed.how})"
            else:
                blank.append(m.group())
                continue
            if d:
                hits.append((d, d, m.group(), why))
    for m in _WEEKDAY.finditer(sentence):
        if not free(m.start(), m.end()) or speech(m.start()):
            continue
        pre = (m["pre"] or "").strip().lower()
        if pre == "next":
            continue
        if base is None:
            blank.append(m.group())
            continue
        wd = WEEKDAYS.index(m["wd"])
        back = (base.weekday() - wd) % 7
        d = base - dt.timedelta(days=back)
        how = f"the {m['wd']} on or before the filing date {_fmt(base)} ({filed.how})"
        if pre in {"since", "from"}:
            hits.append((d, base, m.group(), f"from {how} to the filing date"))
        else:
            hits.append((d, d, m.group(), how))
        taken.append((m.start(), m.end()))
    if not hits and not blank:
        for pattern, back, label in (
            (_SAME_DAY, 0, "the filing date"),
            (_YESTERDAY, 1, "the day before the filing date"),
        ):
            found = pattern.search(sentence)
            if found and not speech(found.start()):
                if base is None:
                    blank.append(found.group())
                    break
                d = base - dt.timedelta(days=back)
                hits.append((d, d, found.group(), f"{label} {_fmt(base)} ({filed.how})"))
                break
    if not hits and not blank:
        found = _NIGHT.search(sentence)
        if found and not speech(found.start()):
            if base is None:
                blank.append(found.group())
            else:
                hits.append(
                    (
                        base - dt.timedelta(days=1),
                        base,
                        found.group(),
                        f"the night before the filing date {_fmt(base)} ({filed.how})",
                    )
                )
        found = _WEEKEND.search(sentence)
        if found and base is not None and not hits:
            sunday = base - dt.timedelta(days=(base.weekday() - 6) % 7)
            hits.append((sunday - dt.timedelta(days=1), sunday, found.group(), "the last weekend"))
    if not hits:
        if blank:
            return When(
                None,
                None,
                DatePrecision.day,
                f"{NOT_SET}the copy says '{blank[0]}', but {filed.how}",
            )
        return None
    start = min(h[0] for h in hits)
    end = max(h[1] for h in hits)
    if base is not None:
        end = min(end, base) if start <= base else end
    words = "', '".join(h[2] for h in hits)
    if start == end:
        return _day(start, words, hits[0][3])
    return _range(start, end, words, "; ".join(dict.fromkeys(h[3] for h in hits)))


def after_previous(sentence: str, previous: When | None, filed: Anchor) -> When | None:
    """'Hours later' / 'later that day' / 'the next day': dated by the attack before it."""
    m = _AFTER_PREVIOUS.search(sentence)
    if not m or previous is None or previous.start is None:
        return None
    a, b = previous.start, previous.end or previous.start
    one = dt.timedelta(days=1)
    if m["hours"]:
        a2, b2 = a, b + one
        why = "after the attack before it in the copy (the same day or the next)"
    elif m["same"]:
        a2, b2 = a, b
        why = "the same day as the attack before it in the copy"
    else:
        a2, b2 = a + one, b + one
        why = "the day after the attack before it in the copy"
    if filed.date is not None:
        b2 = min(b2, filed.date)  # nothing reported happened after the copy was filed
        a2 = min(a2, b2)
        why += f", not after the filing date {filed.date.isoformat()}"
    return _range(a2, b2, m.group(), why) if a2 < b2 else _day(a2, m.group(), why)


def within_span(filed: Anchor, back: int, words: str) -> When | None:
    """An attack sentence that gives only a window: 'in the past 24 hours'."""
    if filed.date is None:
        return None
    start = filed.date - dt.timedelta(days=back)
    return _range(
        start, filed.date, words, f"the period ending on the filing date {_fmt(filed.date)} "
        f"({filed.how})"
    )  # fmt: skip


def undated(filed: Anchor, start: dt.date | None, span_words: str | None) -> When:
    """An attack the copy gives no date for: the span of the copy's dated events (at least
    the filing day and the day before) up to the filing date — or blank, with why."""
    if filed.date is None:
        return When(None, None, DatePrecision.day, NOT_SET + filed.how, own=False)
    end = filed.date
    first = min(start or end, end - dt.timedelta(days=1))
    if span_words:
        why = (
            f"not stated for this attack; the copy's '{span_words}' ending on the filing date "
            f"{_fmt(end)} ({filed.how})"
        )
    else:
        why = (
            "not stated for this attack; from the copy's earliest dated event (or the day "
            f"before filing) to the filing date {_fmt(end)} ({filed.how})"
        )
    return When(
        first,
        end,
        DatePrecision.range,
        f"date: {first.isoformat()} to {end.isoformat()} (range) — {why}",
        own=False,
    )
