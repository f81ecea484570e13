"""Shared fixtures. Tests use the offline boundary mirror via SITMAP_DISTRICTS (set by .ci/run;
falls back to ../shared/data when run by hand).

Article text: the seed story retold in our own words (same facts, places and figures) is
committed as ``tests/articles/seed-retold.txt``; the original wire copy is not ours to
commit, so the tests also read it when ``SITMAP_SEED_ARTICLE`` points at it (.ci/run sets it
from ../shared/seed)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEED_STORY = ROOT / "geo" / "data" / "stories" / "balochistan-2026-02-01.geojson"
SEED_ARTICLE = ROOT / "tests" / "articles" / "seed-retold.txt"
ORIGINAL_SEED_ARTICLE = os.environ.get("SITMAP_SEED_ARTICLE")
SEED_ARTICLES = [SEED_ARTICLE] + ([Path(ORIGINAL_SEED_ARTICLE)] if ORIGINAL_SEED_ARTICLE else [])
MIRROR = ROOT.parent / "shared" / "data" / "boundaries" / "geoBoundaries-PAK-ADM2.geojson"

if not os.environ.get("SITMAP_DISTRICTS") and MIRROR.is_file():
    os.environ["SITMAP_DISTRICTS"] = str(MIRROR)


@pytest.fixture(scope="session")
def districts_path() -> Path:
    path = Path(os.environ["SITMAP_DISTRICTS"])
    assert path.is_file(), "SITMAP_DISTRICTS must point at the PAK ADM2 boundary file"
    return path


@pytest.fixture(scope="session")
def layer(districts_path):
    from geo import districts

    return districts.load(districts_path)


@pytest.fixture()
def seed_doc() -> dict:
    return json.loads(SEED_STORY.read_text(encoding="utf-8"))


@pytest.fixture()
def seed_story():
    from geo.model import load_story

    return load_story(SEED_STORY)
