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


# --- the store backends: a GeoPackage file and a real PostgreSQL + PostGIS server ----------


@pytest.fixture(scope="session")
def pg_server():
    """The session's PostgreSQL server. No PostgreSQL here is a failure naming the Debian
    packages, not a skip: the PostGIS backend must be tested."""
    from tests import pgcluster

    try:
        server = pgcluster.start()
    except pgcluster.ClusterError as e:
        pytest.fail(str(e), pytrace=False)
    try:
        yield server
    finally:
        server.close()


@pytest.fixture()
def pg_url(pg_server):
    """A fresh, empty database with PostGIS (dropped afterwards)."""
    url = pg_server.new_database()
    yield url
    from geo import store_pg

    store_pg._READY.discard(url)
    pg_server.drop(url)


BACKENDS = ["gpkg", "postgis"]


@pytest.fixture(params=BACKENDS)
def store_target(request, tmp_path):
    """Where a new store goes, once per backend: a GeoPackage path, then a PostGIS URL."""
    if request.param == "gpkg":
        return tmp_path / "sitmap.gpkg"
    return request.getfixturevalue("pg_url")


def raw_sql(store, statement: str) -> list[tuple]:
    """Run SQL on a store's tables behind its back (to make a state a test needs)."""
    from geo.store_pg import PostgresStore

    if isinstance(store, PostgresStore):
        import psycopg

        with psycopg.connect(store.url, autocommit=True) as con:
            con.execute("SET search_path TO sitmap, public")
            cur = con.execute(statement)
            return cur.fetchall() if cur.description else []
    import sqlite3
    from contextlib import closing

    with closing(sqlite3.connect(store.path)) as con, con:
        return con.execute(statement).fetchall()
