"""Publishable files for a story: embed HTML, GeoJSON, CSV, PNG.

One function for both the CLI (``sitmap export``) and the desk app's download buttons, so
an editor downloads exactly the bytes the command line writes. The renderers themselves
live in ``geo.embed`` and ``geo.exports``; this module only picks one and names the file.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo.atomicfile import atomic_write_bytes
from geo.errors import SitmapError
from geo.model import Story

FORMATS: dict[str, tuple[str, str]] = {
    "html": ("html", "text/html"),
    "geojson": ("geojson", "application/geo+json"),
    "csv": ("csv", "text/csv"),
    "png": ("png", "image/png"),
}


@dataclass(frozen=True)
class Published:
    data: bytes
    filename: str
    mime: str

    @property
    def text(self) -> str:
        return self.data.decode("utf-8")


def check_format(fmt: str) -> str:
    key = fmt.strip().lower()
    if key not in FORMATS:
        raise SitmapError(
            f"--format: '{fmt}' is not an export format; fix: use one of {', '.join(FORMATS)}"
        )
    return key


def filename(story: Story, fmt: str) -> str:
    return f"{story.id}.{FORMATS[check_format(fmt)][0]}"


def render(story: Story, fmt: str, *, districts: Any = None, basemap: str = "none") -> Published:
    """The file for ``fmt``; ``districts`` is a geo.districts.Districts layer (or None)."""
    key = check_format(fmt)
    ext, mime = FORMATS[key]
    name = f"{story.id}.{ext}"
    if key == "geojson":
        from geo.exports import to_geojson

        return Published(to_geojson(story).encode("utf-8"), name, mime)
    if key == "csv":
        from geo.exports import to_csv

        return Published(to_csv(story).encode("utf-8"), name, mime)
    from geo.embed import render_html

    html = render_html(story, districts, basemap=basemap)
    if key == "html":
        return Published(html.encode("utf-8"), name, mime)
    from geo.exports import to_png

    with tempfile.TemporaryDirectory(prefix="sitmap-png-") as tmp:
        page = Path(tmp) / f"{story.id}.html"
        page.write_text(html, encoding="utf-8")
        out = to_png(page, Path(tmp) / name)
        return Published(Path(out).read_bytes(), name, mime)


def iframe_snippet(url: str, title: str, height: int = 600) -> str:
    from geo.embed import iframe_snippet as snippet

    return snippet(url, title, height)


def write(published: Published, out: str | os.PathLike[str]) -> Path:
    """Write atomically next to the target (a reader never sees half a file)."""
    target = Path(out)
    if target.is_dir():
        target = target / published.filename
    return atomic_write_bytes(target, published.data)
