"""`sitmap geocode` as a desk editor runs it: real console script, real exit codes."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tests import nominatim_fake
from tests.test_cli import assert_clean_error
from tests.test_cli import run as run_sitmap


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return run_sitmap("geocode", *args, env=env)


def test_dalbandin_json_is_a_chagai_town():
    proc = run("Dalbandin", "--json")
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout)
    top = found[0]
    assert (top["name"], top["district"], top["precision"]) == ("Dalbandin", "Chagai", "town")
    assert top["lat"] == pytest.approx(28.88846) and top["lon"] == pytest.approx(64.40616)
    for key in ("kind", "admin1", "score"):
        assert key in top


def test_text_output_ranks_and_explains_ambiguity():
    proc = run("Hyderabad", "--limit", "4")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("note: 'Hyderabad' names places in")
    assert (
        lines[1].startswith("1. Hyderabad — city · Hyderabad district") and "Sindh · PK" in lines[1]
    )
    assert any("· IN" in line for line in lines)
    assert "precision town" in lines[1] and "score 100" in lines[1]


def test_country_option_and_only():
    proc = run("Hyderabad", "--country", "IN", "--only", "--json")
    found = json.loads(proc.stdout)
    assert found and {c["country"] for c in found} == {"IN"}


def test_no_match_exits_1_with_suggestions():
    proc = run("Dilbundeeno")
    assert proc.returncode == 1
    assert "no match for 'Dilbundeeno'" in proc.stderr and "Dalbandin" in proc.stderr
    proc = run("Dilbundeeno", "--json")
    assert proc.returncode == 1 and json.loads(proc.stdout) == []


def test_reverse_lookup():
    proc = run("--reverse", "25.27", "63.47")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Pasni (town, PK)") and "Gwadar district" in proc.stdout
    proc = run("--reverse", "28.9", "64.4", "--json")
    data = json.loads(proc.stdout)
    assert (data["name"], data["district"]) == ("Dalbandin", "Chagai")


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (("",), ("NAME", "empty")),
        (("x" * 10_000,), ("NAME", "too long")),
        (("Quetta\x07",), ("NAME", "control character")),
        (("Quetta 😀",), ("NAME", "symbol")),
        ((), ("NAME", "--reverse")),
        (("Quetta", "--country", "XX"), ("country", "ISO")),
        (("Quetta", "--bbox", "1,2,3"), ("--bbox",)),
        (("Quetta", "--limit", "0"), ("limit",)),
        (("--reverse", "95", "64"), ("LAT", "-90..90")),
    ],
)
def test_bad_input_is_one_line_exit_2(args, needles):
    # In-process (same code path as the console script) to keep the suite fast.
    from typer.testing import CliRunner

    from geo.cli import app

    result = CliRunner().invoke(app, ["geocode", *args])
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for needle in needles:
        assert needle in lines[0]


def test_bad_input_through_the_console_script():
    assert_clean_error(run("Quetta 😀"), "NAME", "symbol")


def test_online_opt_in_uses_the_configured_server(tmp_path):
    fake = nominatim_fake.start()
    try:
        # Online answers are cached in tmp_path; the gazetteer index stays in its warm cache.
        env = {**os.environ, "SITMAP_ONLINE_CACHE": str(tmp_path)}
        args = ("Mach Central Jail", "--json", "--nominatim-url", fake.url)
        offline = run(*args, env=env)
        assert offline.returncode == 1 and not fake.requests
        proc = run(*args, "--online", "--user-agent", "cli-test/1.0", env=env)
        assert proc.returncode == 0, proc.stderr
        top = json.loads(proc.stdout)[0]
        assert (top["source"], top["district"], top["precision"]) == ("nominatim", "Kachhi", "site")
        assert fake.requests[-1].user_agent == "cli-test/1.0"
        assert list(tmp_path.glob("*.json"))
    finally:
        fake.stop()
