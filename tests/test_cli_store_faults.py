"""Store faults through the real console script: a full disk, a read-only mount, a missing
folder, /dev/null, another program's database, a damaged file. Each is one line on stderr,
exit code 2, no traceback; the file is left as it was."""

from __future__ import annotations

import sqlite3
from contextlib import closing

from tests.conftest import SEED_STORY
from tests.fsfaults import fill, remount_ro, tmpfs
from tests.test_cli import assert_clean_error, run

SEED_ID = "balochistan-2026-02-01"


def test_import_on_a_full_disk(tmp_path):
    with tmpfs(tmp_path / "small", "2m") as disk:
        store = disk / "sitmap.gpkg"
        assert run("import", str(SEED_STORY), "--store", str(store)).returncode == 0
        fill(disk)
        proc = run("import", str(SEED_STORY), "--store", str(store), "--replace")
        assert_clean_error(proc, "disk is full", "nothing was changed", "fix: free space")
        listed = run("stories", "--store", str(store))
        assert listed.returncode == 0 and f"{SEED_ID}\t" in listed.stdout
        assert_clean_error(
            run("import", str(SEED_STORY), "--store", str(disk / "new.gpkg")), "disk is full"
        )


def test_import_on_a_read_only_mount(tmp_path):
    with tmpfs(tmp_path / "ro", "4m") as disk:
        store = disk / "sitmap.gpkg"
        assert run("import", str(SEED_STORY), "--store", str(store)).returncode == 0
        remount_ro(disk)
        proc = run("import", str(SEED_STORY), "--store", str(store), "--replace")
        assert_clean_error(proc, "read-only file system", "fix: remount it read-write")
        exported = run("export", SEED_ID, "--store", str(store))  # reading still works
        assert exported.returncode == 0 and '"FeatureCollection"' in exported.stdout


def test_missing_folder_dev_null_and_a_folder(tmp_path):
    missing = tmp_path / "nope" / "sitmap.gpkg"
    assert_clean_error(
        run("import", str(SEED_STORY), "--store", str(missing)), "does not exist", "mkdir -p"
    )
    assert not missing.parent.exists()
    for args in (("import", str(SEED_STORY)), ("stories",), ("export", SEED_ID)):
        assert_clean_error(run(*args, "--store", "/dev/null"), "/dev/null is not a regular file")
    assert_clean_error(run("stories", "--store", str(tmp_path)), "is a folder")


def test_another_programs_database_is_left_alone(tmp_path):
    path = tmp_path / "crm.sqlite"
    with closing(sqlite3.connect(path)) as con:
        con.execute("CREATE TABLE contacts (id INTEGER PRIMARY KEY, email TEXT)")
        con.commit()
    before = path.read_bytes()
    for args in (("import", str(SEED_STORY)), ("stories",)):
        assert_clean_error(
            run(*args, "--store", str(path)), "not a sitmap store", "contacts", "left unchanged"
        )
    assert path.read_bytes() == before


def test_truncated_store(tmp_path):
    store = tmp_path / "sitmap.gpkg"
    assert run("import", str(SEED_STORY), "--store", str(store)).returncode == 0
    data = store.read_bytes()
    store.write_bytes(data[: len(data) // 2])
    for args in (("stories",), ("export", SEED_ID), ("import", str(SEED_STORY), "--replace")):
        assert_clean_error(run(*args, "--store", str(store)), "is damaged", "fix: restore")
    assert store.read_bytes() == data[: len(data) // 2]


# --- PostgreSQL: a server that is down, a connection killed mid-save, bad URLs --------------


def _other_url(url: str, **parts: str) -> str:
    from psycopg.conninfo import conninfo_to_dict

    have = {**conninfo_to_dict(url), **parts}
    return (
        f"postgresql://{have['user']}:{have['password']}@{have['host']}:{have['port']}/"
        f"{have['dbname']}"
    )


def _password(url: str) -> str:
    from psycopg.conninfo import conninfo_to_dict

    return str(conninfo_to_dict(url)["password"])


def test_a_stopped_postgresql_is_one_line_and_the_data_is_there_after_a_restart():
    from tests import pgcluster

    cluster = pgcluster.create()
    try:
        url = cluster.url()
        assert run("import", str(SEED_STORY), "--store", url).returncode == 0
        cluster.stop()
        for args in (("stories",), ("import", str(SEED_STORY), "--replace"), ("export", SEED_ID)):
            proc = run(*args, "--store", url)
            assert_clean_error(
                proc, f"cannot connect to PostgreSQL at 127.0.0.1:{cluster.port}", "fix: start"
            )
            assert cluster.password not in proc.stderr
        cluster.start()
        listed = run("stories", "--store", url)
        assert listed.returncode == 0 and f"{SEED_ID}\t" in listed.stdout
    finally:
        cluster.destroy()


def test_bad_url_wrong_password_missing_database_are_one_line(pg_url):
    secret = _password(pg_url)
    cases = [
        ("postgresql://editor:s3cret@[::1/sitmap", "is not a valid PostgreSQL URL", "fix: write"),
        (_other_url(pg_url, password="wrong-password"), "refused the login", "password"),
        (_other_url(pg_url, dbname="no_such_db"), "has no database 'no_such_db'", "createdb"),
        (_other_url(pg_url, host="no-such-host.invalid"), "cannot find the host", "fix: check"),
    ]
    for url, *needles in cases:
        for args in (("stories",), ("import", str(SEED_STORY))):
            proc = run(*args, "--store", url)
            assert_clean_error(proc, *needles)
            assert "s3cret" not in proc.stderr and secret not in proc.stderr
            assert "wrong-password" not in proc.stderr


def test_connection_killed_mid_save_is_one_line_and_nothing_is_half_saved(
    pg_url, tmp_path, seed_story
):
    import json
    import os
    import subprocess
    import sys
    import time

    import psycopg

    from geo.model import dumps_story
    from geo.store import Store
    from tests.test_store import big_story

    Store(pg_url).import_story(seed_story, editor="seed")
    big = tmp_path / "big.geojson"
    big.write_text(dumps_story(big_story(seed_story, 8_000)))
    env = {**os.environ}
    cmd = [sys.executable, "-m", "geo.cli", "import", str(big), "--replace", "--store", pg_url]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    killed = None
    try:
        with psycopg.connect(pg_url, autocommit=True) as admin:
            deadline = time.monotonic() + 90
            while killed is None and proc.poll() is None:
                assert time.monotonic() < deadline, "the import never started its save"
                row = admin.execute(
                    "SELECT pid FROM pg_stat_activity WHERE application_name = 'sitmap' "
                    "AND xact_start IS NOT NULL AND query ~ '(FOR UPDATE|^UPDATE|^DELETE|^COPY)'"
                ).fetchone()
                if row:
                    admin.execute("SELECT pg_terminate_backend(%s)", (row[0],))
                    killed = row[0]
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert killed is not None, "the save finished before it could be killed"
    done = subprocess.CompletedProcess(cmd, proc.returncode, out, err)
    assert_clean_error(done, "connection to PostgreSQL at 127.0.0.1", "was lost")
    assert _password(pg_url) not in err
    stored = Store(pg_url).load(SEED_ID)
    assert stored.revision == 1 and len(stored.story.incidents) == 8  # the old story, whole
    assert json.loads(Store(pg_url).export_geojson(SEED_ID))["story"]["id"] == SEED_ID
    # and the next save on a new connection works
    assert run("import", str(SEED_STORY), "--replace", "--store", pg_url).returncode == 0
    assert Store(pg_url).load(SEED_ID).revision == 2


# --- `build --out` on a read-only mount and a full disk: one line, nothing half-written ----


def test_build_out_on_a_read_only_mount_is_one_line(tmp_path):
    with tmpfs(tmp_path / "ro", "2m") as disk:
        old = disk / "map.html"
        old.write_text("<!doctype html><title>yesterday</title>")
        remount_ro(disk)
        for target in (disk / "new.html", old):
            proc = run("build", str(SEED_STORY), "--out", str(target))
            assert_clean_error(proc, "read-only file system", "fix:")
        assert sorted(p.name for p in disk.iterdir()) == ["map.html"]
        assert old.read_text() == "<!doctype html><title>yesterday</title>"


def test_build_out_on_a_full_disk_is_one_line_and_leaves_no_part_file(tmp_path):
    with tmpfs(tmp_path / "full", "1m") as disk:
        old = disk / "map.html"
        old.write_text("<!doctype html><title>yesterday</title>")
        fill(disk)
        for target in (disk / "new.html", old):
            proc = run("build", str(SEED_STORY), "--out", str(target))
            assert_clean_error(proc, "disk", "full", "fix: free space")
        assert sorted(p.name for p in disk.iterdir()) == ["filler.bin", "map.html"]
        assert old.read_text() == "<!doctype html><title>yesterday</title>"


def test_a_postgresql_store_without_psycopg_names_the_extra():
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['psycopg'] = None; sys.argv = ['sitmap', 'stories', "
        "'--store', 'postgresql://editor:pw@127.0.0.1:5432/newsroom']; "
        "from geo.cli import main; main()"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert_clean_error(proc, "needs the 'postgres' extra", "pip install 'sitmap[postgres]'")
