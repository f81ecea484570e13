"""Stage 3, sentences: exact-offset sentence splitting that knows abbreviations and initials."""

from __future__ import annotations

import re
from collections.abc import Iterable

from geo.extract.document import Sentence
from geo.extract.rules import _words

_ABBREV = _words(
    "jan feb mar apr jun jul aug sep sept oct nov dec mr mrs ms dr gen lt col maj capt brig "
    "sgt st no govt gov sen rep prof inc ltd co jr sr vs etc dept est approx fig ref"
)
_BOUNDARY = re.compile(r"[.!?]+[\"'”’)\]]*\s+(?=[\"'“‘(]?[A-Z0-9])")


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
