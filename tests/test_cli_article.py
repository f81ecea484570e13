"""`sitmap extract` input: encodings detected (a UTF-16 article drafts exactly like its UTF-8
twin), and unusable input (empty, binary, too large, a GeoJSON passed by mistake …) is one
line on stderr with exit code 2 and no drafts file, never an empty drafts file and exit 0."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from geo.errors import SitmapError
from geo.extract import extract_article, read_article
from geo.extract.clean import MAX_CHARS
from tests.conftest import SEED_ARTICLE, SEED_ARTICLES, SEED_STORY
from tests.test_cli import assert_clean_error, run

ENCODINGS = {
    "utf-8-bom": lambda t: t.encode("utf-8-sig"),
    "utf-16-bom": lambda t: t.encode("utf-16"),  # BOM, this machine's byte order
    "utf-16-le": lambda t: t.encode("utf-16-le"),  # no BOM
    "utf-16-be": lambda t: t.encode("utf-16-be"),  # no BOM
    "utf-16-be-bom": lambda t: b"\xfe\xff" + t.encode("utf-16-be"),
    "utf-32-bom": lambda t: t.encode("utf-32"),
    "utf-8-crlf": lambda t: t.replace("\n", "\r\n").encode("utf-8"),
}


def _drafts(text: str) -> list[dict]:
    story = extract_article(text, story_id="twin").story
    return [i.model_dump(mode="json") for i in story.incidents] + [
        c.model_dump(mode="json") for c in story.claims
    ]


@pytest.mark.parametrize("article", SEED_ARTICLES, ids=lambda p: p.name)
@pytest.mark.parametrize("encoding", list(ENCODINGS))
def test_every_encoding_reads_like_the_utf8_twin(tmp_path, article, encoding):
    text = article.read_text(encoding="utf-8")
    twin = tmp_path / f"{encoding}.txt"
    twin.write_bytes(ENCODINGS[encoding](text))
    assert read_article(twin).replace("\r\n", "\n") == text
    assert _drafts(read_article(twin)) == _drafts(text)


def test_utf16_article_drafts_like_its_utf8_twin_through_the_cli(tmp_path):
    text = SEED_ARTICLE.read_text(encoding="utf-8")
    (tmp_path / "utf8.txt").write_bytes(text.encode("utf-8"))
    (tmp_path / "utf16.txt").write_bytes(text.encode("utf-16"))
    outs = []
    for name in ("utf8", "utf16"):
        out = tmp_path / f"{name}.geojson"
        proc = run("extract", str(tmp_path / f"{name}.txt"), "--out", str(out), "--story-id", "t")
        assert proc.returncode == 0, proc.stderr
        outs.append(json.loads(out.read_text(encoding="utf-8")))
    assert outs[0] == outs[1]
    assert len(outs[0]["features"]) >= 6


def test_windows_1252_copy_still_reads(tmp_path):
    path = tmp_path / "cp1252.txt"
    path.write_bytes(
        "QUETTA: Police said \x93four\x94 were killed \x96 officials.".encode("latin-1")
    )
    assert read_article(path) == "QUETTA: Police said “four” were killed – officials."


def test_a_stray_nul_or_end_of_file_mark_is_harmless(tmp_path):
    text = SEED_ARTICLE.read_text(encoding="utf-8")
    path = tmp_path / "padded.txt"
    path.write_bytes(text.encode("utf-8") + b"\x1a\x00\x00")
    assert _drafts(read_article(path)) == _drafts(text)


PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
UNUSABLE = {
    "empty.txt": (b"", "is empty; fix:"),
    "blank.txt": (b" \n\t\r\n\xe2\x80\x8b\n", "is empty (only spaces); fix:"),
    "photo.png": (PNG, "is not text (looks like PNG); fix:"),
    "scan.pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "looks like PDF"),
    "story.docx": (b"PK\x03\x04\x14\x00\x06\x00" + bytes(200), "looks like a ZIP archive"),
    "noise.bin": (bytes((i * 7919 + 13) % 256 for i in range(5000)), "is not text (binary data"),
    "long.txt": (b"word " * (MAX_CHARS // 5 + 10), "holds 200,050 characters"),
    "huge.txt": (b"word " * 400_000, "is 2.0 MB; extraction reads one article of at most"),
    "map.geojson": (SEED_STORY.read_bytes(), "is a GeoJSON file (a story or drafts file?)"),
    "data.json": (b'{"rows": [1, 2, 3]}', "is a JSON file, not an article"),
    "page.html": (b"<html><head><script>x()</script></head><body></body></html>", "no readable"),
    "urdu.txt": ("کوئٹہ میں دھماکہ ہوا۔ ".encode() * 20, "not in English"),
}


@pytest.mark.parametrize("name", list(UNUSABLE))
def test_unusable_input_is_refused_in_one_line(tmp_path, name):
    data, needle = UNUSABLE[name]
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(SitmapError) as err:
        read_article(path)
    message = str(err.value)
    assert message.startswith(f"ARTICLE: {path}") and needle in message
    assert "\n" not in message and len(message) < 400


@pytest.mark.parametrize("name", ["empty.txt", "photo.png", "noise.bin", "long.txt", "map.geojson"])
def test_extract_exits_2_with_the_reason_and_writes_nothing(tmp_path, name):
    data, needle = UNUSABLE[name]
    path = tmp_path / name
    path.write_bytes(data)
    out = tmp_path / "drafts.geojson"
    assert_clean_error(run("extract", str(path), "--out", str(out)), "ARTICLE:", needle)
    assert not out.exists()


def test_extract_refuses_a_folder_a_device_and_a_missing_file(tmp_path):
    out = tmp_path / "drafts.geojson"
    for arg, needle in [
        (str(tmp_path), "is a folder"),
        ("/dev/null", "is empty"),
        (str(tmp_path / "nope.txt"), "no such file"),
    ]:
        assert_clean_error(run("extract", arg, "--out", str(out)), needle)
    assert not out.exists()
    with pytest.raises(SitmapError, match="is over 800 KB"):
        read_article(Path("/dev/zero"))  # no size to check: the bounded read stops it


def test_extract_refuses_an_out_it_cannot_write_before_reading(tmp_path):
    article = tmp_path / "a.txt"
    article.write_text("Gunmen attacked a police post in Turbat on Monday.")
    missing = tmp_path / "no-such-folder" / "drafts.geojson"
    assert_clean_error(
        run("extract", str(article), "--out", str(missing)), "--out:", "does not exist"
    )
    assert not missing.parent.exists()  # no folder made behind the editor's back
    assert_clean_error(run("extract", str(article), "--out", str(tmp_path)), "is a folder")
