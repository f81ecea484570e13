"""Stage 1, clean: pasted text or HTML → normalised text; refuses what is not English copy."""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser
from typing import Any

from geo.errors import SitmapError
from geo.extract.rules import _words

MAX_CHARS = 200_000  # about 30,000 words: far more than one article, far less than a book
MIN_ENGLISH_SHARE = 0.08  # share of common English function words in running English ~0.3


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


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


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
    if _CONTROL.search(text):  # NUL, escape and other control characters: never copy
        text = _CONTROL.sub(" ", text)
        notes.append("control characters (NUL, escape, …) removed from the text")
    lines = [" ".join(line.split()) for line in text.split("\n")]
    kept, dropped = drop_furniture([line for line in lines if line])
    if dropped:
        notes.append(
            f"{dropped} line(s) of page furniture left out (link lines such as 'Read: …', "
            "tags, share buttons, related headlines after the article)"
        )
    return "\n".join(kept), notes


# Lines a web page puts around an article: link lines to other stories, tags, buttons.
_FURNITURE = re.compile(
    r"^(?:(?:also |must )?read(?: more| also)?|related(?: stories| articles?| news)?|see also|"
    r"tags?|topics?|share(?: this)?|follow us|advertisement|comments?|recommended|more on this|"
    r"trending|latest news|you may also like|watch)\b\s*(?:[:|»>-]|$)",
    re.IGNORECASE,
)
# a line that ends a sentence, or the copy's sign-off ('…the United States.-Agencies')
_ENDS_SENTENCE = re.compile(
    r"[.!?][\"'”’)]*$|[.!?][\"'”’)]*\s*[-–—]\s*[A-Z][\w.]*(?: [A-Z][\w.]*)?\s*$"
)


def _without_link_lists(lines: list[str]) -> list[str]:
    """Runs of two or more short lines without a sentence ending, after the article has
    begun, are lists of links (related stories, menus), not the story's text."""
    started = False
    out: list[str] = []
    i = 0
    while i < len(lines):
        j = i
        while (
            started
            and j < len(lines)
            and len(lines[j].split()) <= 12
            and not _ENDS_SENTENCE.search(lines[j])
        ):
            j += 1
        if j - i >= 2:
            i = j  # a list of links: left out
            continue
        started = started or bool(_ENDS_SENTENCE.search(lines[i]))
        out.append(lines[i])
        i += 1
    return out


def drop_furniture(lines: list[str]) -> tuple[list[str], int]:
    """The article's lines without link lines and tags anywhere, and without the run of
    headline-like lines (no sentence ending) that follows the article's last sentence:
    related stories, menus, footers. Their place names are not this story's."""
    kept = [line for line in lines if not _FURNITURE.match(line)]
    kept = _without_link_lists(kept)
    last = max((i for i, line in enumerate(kept) if _ENDS_SENTENCE.search(line)), default=-1)
    if last >= 0:
        tail = kept[last + 1 :]
        if tail and all(len(line.split()) <= 16 and ". " not in line for line in tail):
            kept = kept[: last + 1]
    return kept, len(lines) - len(kept)


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


_DATE_STAMP = re.compile(r"^\s*date:?\s+(?P<iso>(?:19|20)\d\d-\d\d-\d\d)\b[ \t]*\n?", re.IGNORECASE)
