"""The package installs anywhere: a built wheel carries everything sitmap reads at run time.

A new user runs ``pip install sitmap`` and ``sitmap build`` from any folder. This test builds
the wheel from the source tree, installs it into a fresh virtual environment (its
dependencies come from the test machine's site-packages: no network) and builds the seed
map from a folder far from the source tree, with caches and the store pointed at empty
folders, so nothing can be read from the checkout.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
        + ["-w", str(out), str(ROOT)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    (whl,) = out.glob("sitmap-*.whl")
    return whl


def test_wheel_holds_templates_manifest_and_seed_story(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "geo/templates/map.html",
        "geo/templates/map.js",
        "geo/data/districts/manifest.json",
        "geo/data/stories/balochistan-2026-02-01.geojson",
        "geo/py.typed",
        "geo/extract/rules/attack.toml",
        "geo/extract/rules/casualties.toml",
    ):
        assert needed in names, needed
    assert not any(n.startswith(("tests/", "benchmarks/", "data/")) for n in names)


def test_installed_wheel_builds_the_seed_map_outside_the_source_tree(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run(
        [sys.executable, "-m", "venv", "--system-site-packages", str(venv)],
        check=True,
        timeout=120,
    )
    py = venv / "bin" / "python"
    subprocess.run(
        [str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
        timeout=300,
    )
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PYTHONPATH", "SITMAP_STORE", "SITMAP_CACHE")
    }
    env |= {
        "SITMAP_CACHE": str(tmp_path / "cache"),
        "XDG_DATA_HOME": str(tmp_path / "xdg-data"),
    }
    where = subprocess.run(
        [
            str(py),
            "-c",
            "import geo, geo.paths; print(geo.__file__); print(geo.paths.seed_story())",
        ],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert all(str(venv) in w for w in where), where  # the wheel's files, not the checkout's

    def sitmap(*args: str) -> None:
        proc = subprocess.run(
            [str(venv / "bin" / "sitmap"), *args],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert proc.returncode == 0, proc.stderr

    sitmap("build", "balochistan-2026-02-01", "--out", "map.html")
    html = (work / "map.html").read_text(encoding="utf-8")
    assert "Mastung" in html and "Boundaries: geoBoundaries" in html
    # drafting from copy works from the wheel too (its rule files are package data)
    article = work / "article.txt"
    article.write_text((ROOT / "tests" / "articles" / "seed-retold.txt").read_text("utf-8"))
    sitmap("extract", "article.txt", "--out", "drafts.geojson")
    assert "Mastung" in (work / "drafts.geojson").read_text(encoding="utf-8")
    assert not (work / "data").exists()  # no cache or store written into the cwd
    assert ROOT.joinpath("data").exists() is False or not any(ROOT.joinpath("data").iterdir())
