"""Start-up: a command that needs no geometry does not import the geometry stack.

``sitmap --help`` imports neither numpy nor pydantic; ``validate`` and the GeoJSON/CSV
builds check points with shapely and the cached grid, never geopandas (with pandas and
pyarrow, ~0.3 s of import), folium or the downloader. Each command runs in a fresh
interpreter, as a user starts it; the modules it loaded are read from ``sys.modules``.
The seconds themselves are measured in ``benchmarks/bench_startup.py``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from tests.conftest import SEED_STORY

GEOMETRY_STACK = ("geopandas", "pandas", "pyarrow", "pyogrio", "folium", "branca", "pooch")
PROBE = (
    "import json, sys\n"
    "from geo.cli import app\n"
    "try:\n"
    "    app(sys.argv[1:])\n"
    "except SystemExit as e:\n"
    "    code = e.code or 0\n"
    "print('\\nMODULES ' + json.dumps([code, sorted(m.split('.')[0] for m in sys.modules)]))\n"
)


def loaded(*args: str, env: dict[str, str] | None = None) -> tuple[int, set[str], str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=None if env is None else {**os.environ, **env},
    )
    line = out.stdout.rsplit("MODULES ", 1)[-1]
    code, modules = json.loads(line)
    return code, set(modules), out.stdout + out.stderr


def test_help_imports_no_numpy_pydantic_or_rich():
    code, modules, text = loaded("--help")
    assert code == 0 and "validate" in text and "import-acled" in text
    heavy = modules & {"numpy", "pydantic", "shapely", "rich", *GEOMETRY_STACK}
    assert not heavy, heavy


@pytest.mark.parametrize(
    "args",
    [
        ("validate", str(SEED_STORY)),
        ("build", str(SEED_STORY), "--out", "{tmp}/seed.geojson"),
        ("build", str(SEED_STORY), "--out", "{tmp}/seed.csv"),
        ("districts", "locate", "67.0", "30.18"),
    ],
    ids=["validate", "build-geojson", "build-csv", "locate"],
)
def test_point_checks_do_not_import_geopandas_or_folium(args, tmp_path, districts_path):
    args = tuple(a.format(tmp=tmp_path) for a in args)
    code, modules, text = loaded(*args, "--districts", str(districts_path))
    assert code == 0, text
    assert "shapely" in modules  # the points really were checked against the districts
    heavy = modules & set(GEOMETRY_STACK)
    assert not heavy, heavy


def page(path) -> str:
    """The page without its per-build nonce and element ids."""
    text = re.sub(r"nonce-[A-Za-z0-9_-]+|nonce=\"[A-Za-z0-9_-]+\"", "N", path.read_text())
    return re.sub(r"\b([a-z_]+)_[0-9a-f]{32}\b", r"\1_ID", text)


def test_the_map_build_reuses_its_encoded_borders(tmp_path, districts_path):
    """The first HTML build simplifies and encodes the borders (with geopandas) and keeps
    them in the user's cache; later builds read them back — no geopandas, and no folium
    either (the page is put together from its parts), the same page — and a damaged cache
    file is made again, never shown."""
    env = {"SITMAP_CACHE": str(tmp_path / "cache")}
    args = ("build", str(SEED_STORY), "--districts", str(districts_path), "--out")
    code, first, text = loaded(*args, str(tmp_path / "a.html"), env=env)
    assert code == 0 and "geopandas" in first, text
    (cached,) = (tmp_path / "cache").rglob("*-map-*.json")
    code, again, text = loaded(*args, str(tmp_path / "b.html"), env=env)
    assert code == 0, text
    assert not again & set(GEOMETRY_STACK), again & set(GEOMETRY_STACK)  # nor folium, pandas
    assert page(tmp_path / "b.html") == page(tmp_path / "a.html")
    cached.write_text('{"names": [', encoding="utf-8")
    code, _, text = loaded(*args, str(tmp_path / "c.html"), env=env)
    assert code == 0, text
    assert page(tmp_path / "c.html") == page(tmp_path / "a.html")
    assert json.loads(cached.read_text(encoding="utf-8"))["names"]  # made again
