"""Story exports for other tools: GeoJSON, CSV with ACLED-like columns, PNG of the map.

* GeoJSON is the story interchange format itself (round-trips through ``load_story``),
  written compact (no indentation: a 200k-incident export is a quarter the pretty size) one
  feature at a time, never as a whole-story dict beside the story.
* CSV follows ACLED's column names so desks can line our events up with ACLED/GTD data.
  ``fatalities`` is filled only when the reporting gives one unambiguous figure for the
  incident; every claim is kept with its attribution in ``fatalities_reported`` (never
  summed across sources). Text cells that a spreadsheet would run as a formula are
  prefixed with an apostrophe (CSV injection). It is published data (the embed offers the
  same file as "Get the data"), so it is the reader's story (``mapview.reader_story``): no
  editors' notes, and a draft's status reads "reported".
* PNG is a screenshot of the embed in headless Chromium (Debian's package, driven by
  Playwright), so print/social images are the same drawing readers see.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from geo.atomicfile import atomic_write_bytes
from geo.errors import ExtraMissing, SitmapError
from geo.model import CasualtyClaim, Incident, Story, bulk, incident_to_feature
from geo.taxonomy import ATTACK_TYPES, INFRASTRUCTURE, PRECISIONS, DatePrecision

CSV_COLUMNS = (
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "event_type",
    "sub_event_type",
    "actor1",
    "country",
    "admin1",
    "admin2",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "notes",
    "fatalities",
    "fatalities_reported",
    "attack_type",
    "infrastructure",
    "gtd_attacktype1",
    "location_precision",
    "event_date_end",
    "status",
    "story_id",
)
KILLED_FIELDS = ("killed", "militants_killed", "security_killed", "civilians_killed")
COUNTRY_NAMES = {"PAK": "Pakistan", "AFG": "Afghanistan", "IRN": "Iran", "IND": "India"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def to_geojson(story: Story) -> str:
    """The story as RFC 7946 GeoJSON (metadata in the ``story`` foreign member), compact:
    the same document as ``geo.model.story_to_geojson``, without the whitespace."""
    writer = GeoJSONWriter()
    writer.add(story.incidents)
    return writer.finish(story)


class GeoJSONWriter:
    """:func:`to_geojson` a chunk of incidents at a time (a story file read in chunks,
    geo.ops.render_file): each chunk's features become text at once, the models go."""

    def __init__(self) -> None:
        self._dump = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
        self._parts: list[bytes] = []  # UTF-8 at once: never the whole text as a string

    def add(self, incidents: Sequence[Incident]) -> None:
        if incidents:
            with bulk():
                text = ",".join(self._dump(incident_to_feature(i)) for i in incidents)
                self._parts.append(text.encode("utf-8"))

    def finish_bytes(self, story: Story) -> bytes:
        """The document as UTF-8, with ``story``'s metadata (its incidents are those
        added)."""
        meta = story.model_dump(mode="json", exclude={"incidents"}, exclude_none=True)
        head = self._dump({"type": "FeatureCollection", "story": meta})
        pieces = [head[:-1].encode("utf-8"), b',"features":[']
        for n, part in enumerate(self._parts):
            pieces += (b",", part) if n else (part,)
        pieces.append(b"]}\n")
        return b"".join(pieces)  # one join: the document is never made twice

    def finish(self, story: Story) -> str:
        return self.finish_bytes(story).decode("utf-8")


def _cell(value: object) -> str:
    """Text for a CSV cell; a leading =, +, -, @ would run as a formula in Excel/Sheets."""
    if value is None:
        return ""
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _claim_text(claim: CasualtyClaim) -> str:
    from geo.mapview import claim_by, claim_figures

    q = f"{claim.qualifier} " if claim.qualifier else ""
    return f"{q}{', '.join(claim_figures(claim))} ({claim_by(claim)})"


def fatalities(incident: Incident) -> int | None:
    """One figure only when the reporting gives one: a single claim with a total, or with a
    single killed category. Several sources' figures are never combined."""
    if len(incident.casualties) != 1:
        return None
    claim = incident.casualties[0]
    if claim.killed is not None:
        return claim.killed
    given = [getattr(claim, f) for f in KILLED_FIELDS[1:] if getattr(claim, f) is not None]
    return given[0] if len(given) == 1 else None


def _time_precision(inc: Incident) -> int:
    if inc.date_precision == DatePrecision.day and not (inc.date_end and inc.date_end != inc.date):
        return 1
    if inc.date_precision == DatePrecision.month:
        return 3
    return 2


def csv_rows(story: Story) -> list[dict[str, object]]:
    return list(iter_csv_rows(story))


def iter_csv_rows(story: Story) -> Iterator[dict[str, object]]:
    """One row per incident as readers get it (no editors' notes, no draft status: see
    mapview.reader_incident), made as it is written (a 200k-row export holds one row)."""
    return _rows(story.incidents, story.id, story.country)


def _rows(
    incidents: Iterable[Incident], story_id: str, country: str
) -> Iterator[dict[str, object]]:
    from geo.mapview import reader_incident

    country_name = COUNTRY_NAMES.get(country, country)
    for inc in map(reader_incident, incidents):
        info = ATTACK_TYPES[inc.attack_type]
        notes = inc.summary + (f" Outcome: {inc.outcome}." if inc.outcome else "")
        yield {
            "event_id_cnty": inc.id,
            "event_date": inc.date.isoformat() if inc.date else "",
            "year": inc.date.year if inc.date else "",
            "time_precision": _time_precision(inc) if inc.date else "",
            "event_type": info.acled_event_type,
            "sub_event_type": info.acled_sub_event_type,
            "actor1": inc.actor or "",
            "country": country_name,
            "admin1": inc.province or "",
            "admin2": inc.district or "",
            "location": inc.place or "",
            "latitude": "" if inc.lat is None else f"{inc.lat:.5f}",
            "longitude": "" if inc.lon is None else f"{inc.lon:.5f}",
            "geo_precision": PRECISIONS[inc.geo_precision].acled_geo_precision or "",
            "source": "; ".join(s.name for s in inc.sources),
            "notes": notes,
            "fatalities": "" if fatalities(inc) is None else fatalities(inc),
            "fatalities_reported": " | ".join(_claim_text(c) for c in inc.casualties),
            "attack_type": inc.attack_type.value,
            "infrastructure": ";".join(k.value for k in inc.infrastructure),
            "gtd_attacktype1": info.gtd_attacktype1,
            "location_precision": inc.geo_precision.value,
            "event_date_end": inc.date_end.isoformat() if inc.date_end else "",
            "status": inc.status.value,
            "story_id": story_id,
        }


def to_csv(story: Story) -> str:
    """One row per incident (located or not) with ACLED-like columns; UTF-8, CRLF rows."""
    head, rows = csv_lines(story)
    return head + "".join(rows)


def csv_lines(story: Story) -> tuple[str, list[str]]:
    """The CSV's header line and one text per incident (in story order), so the embed can
    offer the rows of the incidents a reader has filtered to (their concatenation is
    :func:`to_csv`)."""
    writer = CSVWriter(story)
    writer.add(story.incidents)
    return writer.head, writer.lines


class CSVWriter:
    """:func:`csv_lines` a chunk of incidents at a time. ``story`` gives every row its
    story id and country (its metadata; None: the story will be refused, rows unnamed)."""

    NUMERIC = frozenset(
        {"year", "time_precision", "latitude", "longitude", "geo_precision", "fatalities"}
    )

    def __init__(self, story: Story | None) -> None:
        self.story_id, self.country = (story.id, story.country) if story else ("", "")
        self._buf = io.StringIO()
        self._writer = csv.DictWriter(self._buf, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
        self._writer.writeheader()
        self.head = self._buf.getvalue()
        self.lines: list[str] = []

    def add(self, incidents: Sequence[Incident]) -> None:
        buf, numeric = self._buf, self.NUMERIC
        with bulk():
            for row in _rows(incidents, self.story_id, self.country):
                buf.seek(0)
                buf.truncate()
                self._writer.writerow({k: v if k in numeric else _cell(v) for k, v in row.items()})
                self.lines.append(buf.getvalue())

    def data(self) -> bytes:
        """The CSV as UTF-8, a line at a time (never the whole text as a string)."""
        return b"".join([self.head.encode("utf-8"), *(line.encode("utf-8") for line in self.lines)])


def infrastructure_labels(incident: Incident) -> str:
    return ", ".join(INFRASTRUCTURE[k].label for k in incident.infrastructure)


# --- PNG ----------------------------------------------------------------------------------

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str:
    """Debian's chromium ($SITMAP_CHROMIUM, then PATH, then /usr/bin/chromium)."""
    path = os.environ.get("SITMAP_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(path).exists():
        raise SitmapError(
            f"png: Chromium not found at {path}; fix: apt-get install chromium, "
            "or set SITMAP_CHROMIUM to a Chromium binary"
        )
    return path


def to_png(
    html_or_path: str | os.PathLike[str],
    out_path: str | os.PathLike[str],
    width: int = 1200,
    height: int = 800,
    *,
    scale: float = 1.0,
    offline: bool = False,
    timeout_s: float = 30.0,
) -> Path:
    """Screenshot of the map graphic (title, legend, map, credit) at width × height.

    ``html_or_path`` is an HTML document or the path of one. The page is opened in its
    static mode (no controls, no lists), which sizes the map to fill the image. With
    ``offline`` every non-file request is aborted (basemap tiles then stay blank).
    """
    if not (200 <= width <= 5000 and 200 <= height <= 5000):
        raise SitmapError(f"png: size {width}×{height} is out of range; fix: use 200–5000 px")
    out = Path(out_path)
    text = os.fspath(html_or_path) if isinstance(html_or_path, str) else None
    with tempfile.TemporaryDirectory(prefix="sitmap-png-") as tmp:
        if text is not None and text.lstrip()[:1] == "<":
            page_path = Path(tmp) / "map.html"
            page_path.write_text(text, encoding="utf-8")
        else:
            page_path = Path(html_or_path).resolve()
            if not page_path.is_file():
                raise SitmapError(f"png: {page_path}: no such HTML file; fix: check the path")
        shot = Path(tmp) / "shot.png"
        # Playwright's sync API refuses to start inside a running event loop or a second
        # sync session (Streamlit, a test browser): a worker thread has neither.
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(
                _screenshot, page_path, shot, width, height, scale, offline, timeout_s
            ).result()
        atomic_write_bytes(out, shot.read_bytes())
    return out


def _screenshot(
    page_path: Path,
    shot: Path,
    width: int,
    height: int,
    scale: float,
    offline: bool,
    timeout_s: float,
) -> None:
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise ExtraMissing("png", "png: PNG export") from None

    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            try:
                context = browser.new_context(
                    viewport={"width": width, "height": height}, device_scale_factor=scale
                )
                if offline:
                    context.route(
                        "**/*",
                        lambda route: (
                            route.continue_()
                            if route.request.url.startswith(("file:", "data:", "about:"))
                            else route.abort()
                        ),
                    )
                page = context.new_page()
                page.goto(page_path.as_uri() + "#static", timeout=timeout_s * 1000)
                page.wait_for_selector(".sitmap[data-ready='1']", timeout=timeout_s * 1000)
                with contextlib.suppress(PlaywrightError):  # slow tiles: take what has drawn
                    page.wait_for_load_state("networkidle", timeout=min(10.0, timeout_s) * 1000)
                page.screenshot(path=str(shot), full_page=False)
            finally:
                browser.close()
    except PlaywrightError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise SitmapError(f"png: Chromium could not render the map ({first})") from None
