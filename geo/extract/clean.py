"""Stage 1, clean: pasted text or HTML → normalised text; refuses what is not English copy."""

from __future__ import annotations

import json
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


MAX_FILE_BYTES = 4 * MAX_CHARS + 4  # MAX_CHARS characters in the widest encoding (UTF-32)

_BOMS = (  # longest first: the UTF-32 LE mark begins with the UTF-16 LE one
    (b"\xff\xfe\x00\x00", "utf-32-le", "UTF-32"),
    (b"\x00\x00\xfe\xff", "utf-32-be", "UTF-32"),
    (b"\xef\xbb\xbf", "utf-8", "UTF-8"),
    (b"\xff\xfe", "utf-16-le", "UTF-16"),
    (b"\xfe\xff", "utf-16-be", "UTF-16"),
)
# file signatures of what is often passed for an article by mistake
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"\xff\xd8\xff", "JPEG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
    (b"%PDF-", "PDF"),
    (b"PK\x03\x04", "a ZIP archive: a Word .docx or OpenDocument file?"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "an old Word .doc or Office file"),
    (b"{\\rtf", "RTF"),
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip"),
    (b"Rar!\x1a\x07", "RAR"),
    (b"SQLite format 3\x00", "an SQLite database: a GeoPackage store?"),
    (b"\x7fELF", "a program (ELF)"),
)
# control characters a text file may carry harmlessly in small numbers (a trailing NUL, a
# DOS end-of-file mark; clean_text removes them); many of them mean binary data
_ARTICLE_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_INVISIBLE = re.compile(r"[\s\u200b-\u200d\ufeff]+")
_BINARY_SHARE = 0.01
_NOT_TEXT_FIX = (
    "fix: give the article as a text or HTML file (copy the text out and save it as .txt)"
)


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1_000_000 else f"{n / 1e3:.0f} KB"


def _utf16_without_bom(sample: bytes) -> str | None:
    """UTF-16 copy saved without a byte-order mark: English text has a NUL in every other
    byte (the high byte of each ASCII character), on the odd bytes for little-endian."""
    pairs = len(sample) // 2
    if pairs < 2:
        return None
    even = sample[0 : 2 * pairs : 2].count(0)
    odd = sample[1 : 2 * pairs : 2].count(0)
    if odd >= 0.3 * pairs and even <= 0.02 * pairs:
        return "utf-16-le"
    if even >= 0.3 * pairs and odd <= 0.02 * pairs:
        return "utf-16-be"
    return None


def _decode_article(data: bytes, where: str) -> str:
    """Bytes → text: a byte-order mark (UTF-8, UTF-16, UTF-32) decides, else UTF-16 told by
    its NUL bytes, else UTF-8, else Windows-1252 as old wire systems write it. A known binary
    format (PNG, PDF, a .docx …) is refused by its signature."""
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(codec)
            except UnicodeDecodeError as e:
                raise SitmapError(
                    f"ARTICLE: {where} starts as {label} text but is not valid {label} "
                    f"(byte {e.start + len(bom)}); {_NOT_TEXT_FIX}"
                ) from None
    for magic, kind in _MAGIC:
        if data.startswith(magic):
            raise SitmapError(f"ARTICLE: {where} is not text (looks like {kind}); {_NOT_TEXT_FIX}")
    utf16 = _utf16_without_bom(data[:4096]) if b"\x00" in data else None
    if utf16:
        try:
            return data.decode(utf16)
        except UnicodeDecodeError:
            pass  # NUL bytes that are not UTF-16 text: _check_article counts them
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _looks_like_json(text: str) -> str | None:
    head = text.lstrip()[:1]
    if head not in ("{", "["):
        return None
    try:
        doc = json.loads(text)
    except (ValueError, RecursionError):
        doc = None
    if isinstance(doc, dict) and doc.get("type") in ("FeatureCollection", "Feature"):
        return "a GeoJSON file (a story or drafts file?)"
    if doc is None and head == "{" and re.search(r'"type"\s*:\s*"Feature', text[:5000]):
        return "a GeoJSON file (a story or drafts file?)"
    if isinstance(doc, dict | list):
        return "a JSON file"
    return None


def _check_article(text: str, where: str) -> str:
    """The decoded file as copy the pipeline can read, or one line saying why it is not."""
    controls = _ARTICLE_CONTROL.findall(text)
    if controls and len(controls) > max(8, _BINARY_SHARE * len(text)):
        first = _ARTICLE_CONTROL.search(text)
        assert first is not None
        raise SitmapError(
            f"ARTICLE: {where} is not text (binary data: {len(controls):,} control bytes, the "
            f"first U+{ord(first.group()):04X} at character {first.start() + 1:,}); "
            f"{_NOT_TEXT_FIX}"
        )
    if not _INVISIBLE.sub("", _ARTICLE_CONTROL.sub("", text)):
        raise SitmapError(
            f"ARTICLE: {where} is empty{' (only spaces)' if text else ''}; "
            "fix: give the file that holds the article's text"
        )
    if len(text) > MAX_CHARS:
        raise SitmapError(
            f"ARTICLE: {where} holds {len(text):,} characters; extraction reads one article of "
            f"at most {MAX_CHARS:,}; fix: give a single article (a text or HTML file)"
        )
    kind = _looks_like_json(text)
    if kind:
        raise SitmapError(
            f"ARTICLE: {where} is {kind}, not an article; fix: give the article's text (.txt "
            "or .html); to check a story file, run: sitmap validate FILE"
        )
    cleaned, _ = clean_text(text)
    if not _INVISIBLE.sub("", cleaned):
        raise SitmapError(
            f"ARTICLE: {where} has no readable text once HTML tags and page furniture are "
            "removed; fix: give the article's text"
        )
    foreign = not_english(cleaned)
    if foreign:
        raise SitmapError(f"ARTICLE: {where}: {foreign}")
    return text


def read_article(path: Any) -> str:
    """An article file as text, or SitmapError (one line: what is wrong, and the fix).

    Decoding: a byte-order mark (UTF-8, UTF-16, UTF-32), else UTF-16 told by its NUL bytes,
    else UTF-8, else Windows-1252 as old wire systems write it. Refused: a folder, an empty
    file, a binary file (PNG, PDF, a .docx …, or mostly control bytes), more than
    ``MAX_CHARS`` characters, a JSON/GeoJSON file passed by mistake, HTML without text, and
    copy that is not English. A few stray control characters (a NUL, a DOS end-of-file mark)
    are left for clean_text to remove."""
    from pathlib import Path

    p = Path(path)
    try:
        if p.is_dir():
            raise SitmapError(f"ARTICLE: {p} is a folder; fix: give the article's text file")
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise SitmapError(
                f"ARTICLE: {p} is {_size(size)}; extraction reads one article of at most "
                f"{MAX_CHARS:,} characters; fix: give a single article (a text or HTML file)"
            )
        with p.open("rb") as fh:  # a bounded read: a device or pipe has no size to check
            data = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise SitmapError(f"ARTICLE: {p}: no such file; fix: check the path") from None
    except PermissionError:
        raise SitmapError(f"ARTICLE: {p}: not readable; fix: check its permissions") from None
    except OSError as e:
        raise SitmapError(
            f"ARTICLE: {p}: cannot be read ({e.strerror}); fix: check the path"
        ) from None
    if len(data) > MAX_FILE_BYTES:
        raise SitmapError(
            f"ARTICLE: {p} is over {_size(MAX_FILE_BYTES)}; extraction reads one article of at "
            f"most {MAX_CHARS:,} characters; fix: give a single article (a text or HTML file)"
        )
    return _check_article(_decode_article(data, str(p)), str(p))


_DATE_STAMP = re.compile(r"^\s*date:?\s+(?P<iso>(?:19|20)\d\d-\d\d-\d\d)\b[ \t]*\n?", re.IGNORECASE)
