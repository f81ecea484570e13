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
