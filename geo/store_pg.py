"""PostgreSQL + PostGIS store: the newsroom's shared server backend behind the Store interface.

Why a server: several desk app instances (several editors, machines, a container platform)
must save the same stories safely; a SQLite file on a shared disk is not safe for that.
``--store postgresql://user:password@host:port/database`` (or ``$SITMAP_STORE``) selects it;
the GeoPackage stays the embedded default (geo.store.GeoPackageStore).

What it keeps from the GeoPackage store (the flows live once, in geo.store.Store): the same
revisions, history snapshots, conflicts and one-line faults. What the database enforces:

- one transaction per save (story row, all its incidents, the snapshot, the pruning);
- a revision check that cannot race: each save, delete or gazetteer write first takes a
  transaction-scoped advisory lock on the story id (so two first saves of a new id are
  serialised too) and reads the story row ``FOR UPDATE``;
- reads in one REPEATABLE READ snapshot (a story and its incidents from the same commit).

Schema: everything lives in the ``sitmap`` schema of the database (other tables of that
database are never touched), created and migrated by the tool: ``sitmap.schema_version``
records each applied migration; a newer schema than this code knows is refused. Points are
``geometry(Point, 4326)`` with GiST indexes. Text columns hold the same values as the
GeoPackage's (ISO dates, JSON text), so a ``sitmap store copy`` either way is lossless.

Connections: one per thread per store object (the desk app serves sessions from threads),
opened on first use and opened again when the server dropped an idle one; faults (server
down, wrong password, missing database, a connection lost mid-save) are one StoreError line
that never shows the password.
"""

from __future__ import annotations

import builtins
import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from geo.errors import ExtraMissing, StoreError
from geo.model import Incident
from geo.store import (
    INCIDENT_JSON,
    INCIDENT_TEXT,
    KEEP_REVISIONS,
    PLACE_COLUMNS,
    Store,
    StoreTarget,
    StoryRows,
    now_iso,
    place_from_row,
    place_values,
    resolve_target,
)
from geo.store import PlaceEntry as PlaceEntry  # re-exported for type hints

try:
    import psycopg
    from psycopg import errors as pgerrors
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict
    from psycopg.rows import dict_row
except ImportError:  # pragma: no cover - the 'postgres' extra is not installed
    psycopg = None  # type: ignore[assignment]

# psycopg logs what it could not clean up after a lost connection ("error ignored
# terminating <Copy>"); without a handler Python prints that on stderr next to our one line.
logging.getLogger("psycopg").addHandler(logging.NullHandler())

SCHEMA = "sitmap"
SCHEMA_VERSION = 2
CONNECT_TIMEOUT_S = 10
_LOCK_SCHEMA = 0x5_17_3A_90  # advisory lock key: one process creates/migrates at a time

_STORY_COLUMNS = (
    "story_id text PRIMARY KEY, title text NOT NULL, summary text, country text, region text, "
    "period_start text, period_end text, updated text, claims text, responsibility text, "
    "sources text, incident_count integer NOT NULL, located_count integer NOT NULL, "
    "revision integer NOT NULL, saved_at text NOT NULL, saved_by text"
)
_INCIDENT_VALUE_COLUMNS = ", ".join(f'"{c}" text' for c in (*INCIDENT_TEXT, *INCIDENT_JSON))

# version -> the statements that bring a store from version - 1 to it (never edited once
# released: a change to the schema is a new entry).
MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        f"CREATE TABLE {SCHEMA}.stories ({_STORY_COLUMNS})",
        f"CREATE TABLE {SCHEMA}.incidents ("
        "fid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, geom geometry(Point, 4326), "
        f"story_id text NOT NULL REFERENCES {SCHEMA}.stories ON DELETE CASCADE, "
        f"incident_id text NOT NULL, seq integer NOT NULL, {_INCIDENT_VALUE_COLUMNS}, "
        "UNIQUE (story_id, incident_id))",
        f"CREATE INDEX incidents_geom ON {SCHEMA}.incidents USING gist (geom)",
        f"CREATE INDEX incidents_story ON {SCHEMA}.incidents (story_id, seq)",
        f"CREATE TABLE {SCHEMA}.story_revisions (story_id text NOT NULL, "
        "revision integer NOT NULL, saved_at text NOT NULL, saved_by text, "
        "incident_count integer NOT NULL, geojson_zlib bytea NOT NULL, "
        "PRIMARY KEY (story_id, revision))",
        f"CREATE TABLE {SCHEMA}.newsroom_places ("
        "fid bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
        "geom geometry(Point, 4326) NOT NULL, name_key text NOT NULL UNIQUE, name text NOT NULL, "
        'aliases text, district text, province text, "precision" text NOT NULL, '
        "country text NOT NULL, added_by text, added_at text NOT NULL, story_id text, "
        "revision integer NOT NULL)",
        f"CREATE INDEX newsroom_places_geom ON {SCHEMA}.newsroom_places USING gist (geom)",
    ),
    2: (f"ALTER TABLE {SCHEMA}.stories ADD COLUMN description text",),  # Story.description
}
TABLES = ("stories", "incidents", "story_revisions", "newsroom_places")

_READY: set[str] = set()  # URLs whose schema this process found current


def _need_psycopg() -> None:
    if psycopg is None:
        raise ExtraMissing("postgres", "a postgresql:// store (PostgreSQL + PostGIS)")


def _ident(name: str) -> Any:
    return sql.Identifier(name)


def _table(name: str) -> Any:
    return sql.Identifier(SCHEMA, name)


def _cols(names: tuple[str, ...] | builtins.list[str]) -> Any:
    return sql.SQL(", ").join(_ident(c) for c in names)


class PostgresStore(Store):
    """Stories in a PostgreSQL + PostGIS database (the ``sitmap`` schema)."""

    def __init__(self, path: StoreTarget = None, *, create: bool = True):
        _need_psycopg()
        url = resolve_target(path)
        assert isinstance(url, str)
        self._bind(url)
        if url not in _READY:
            self._prepare(create)

    def _bind(self, url: str) -> None:
        """The store's address and per-thread connections, nothing asked of the server
        yet (``exists`` and ``staged`` make stores that must not prepare the schema)."""
        self.url = url
        self._parts = _parse(url)
        self.where = _display(self._parts)
        self._local = threading.local()

    def __repr__(self) -> str:
        return f"Store({self.where!r})"

    # connections ------------------------------------------------------------------------------

    @classmethod
    def exists(cls, url: str) -> bool:
        """Whether the database holds a sitmap store (connection faults: StoreError)."""
        _need_psycopg()
        store = object.__new__(cls)
        store._bind(url)
        with store._read() as con:
            found = con.execute(
                "SELECT to_regclass(%s) IS NOT NULL AS made", (f"{SCHEMA}.schema_version",)
            ).fetchone()
        store.close()
        return bool(found and found["made"])

    def _connection(self, doing: str) -> Any:
        con = getattr(self._local, "con", None)
        if con is not None and (con.closed or con.broken or self._local.pid != os.getpid()):
            con = None
        if con is None:
            try:
                con = psycopg.connect(
                    self.url,
                    connect_timeout=CONNECT_TIMEOUT_S,
                    application_name="sitmap",
                    row_factory=dict_row,
                )
            except psycopg.Error as e:
                raise self._fault(e, doing, connecting=True) from None
            self._local.con, self._local.pid = con, os.getpid()
        return con

    def close(self) -> None:
        """Close this thread's connection (others close when their threads end)."""
        con = getattr(self._local, "con", None)
        if con is not None:
            with suppress(psycopg.Error):
                con.close()
            self._local.con = None

    @contextmanager
    def _transaction(self, doing: str, write: bool) -> Iterator[Any]:
        level = "READ COMMITTED" if write else "REPEATABLE READ READ ONLY"
        for attempt in (0, 1):  # a connection the server dropped while idle: open a new one
            con = self._connection(doing)
            try:
                con.execute(f"SET TRANSACTION ISOLATION LEVEL {level}")
                break
            except psycopg.OperationalError as e:
                if attempt or not con.broken:
                    raise self._fault(e, doing) from None
                self.close()
        committing = False
        try:
            yield con
            committing = True
            con.commit()
        except BaseException as e:
            if not con.closed and not con.broken:
                with suppress(psycopg.Error):
                    con.rollback()
            if isinstance(e, psycopg.Error):
                raise self._fault(e, doing, committing=committing) from None
            raise

    def _read(self) -> Any:
        return self._transaction("read", write=False)

    def _write(self, doing: str = "save") -> Any:
        return self._transaction(doing, write=True)

    # schema: created and migrated by the tool -------------------------------------------------

    @classmethod
    def staged(cls, url: str) -> PostgresStore:
        """The store a streamed import writes: a database without sitmap's schema gets it
        in the import's own transaction (:meth:`_begin_import`), so an import that fails
        leaves the database as it was (no empty store)."""
        if url in _READY or cls.exists(url):
            return cls(url)
        store = object.__new__(cls)
        store._bind(url)
        store._unprepared = True
        return store

    _unprepared = False

    def _begin_import(self, con: Any) -> None:
        if self._unprepared:  # holds the schema lock until the import ends
            self._prepare_in(con, create=True)

    def _publish(self) -> None:
        if self._unprepared:
            self._unprepared = False
            _READY.add(self.url)

    def _prepare(self, create: bool) -> None:
        with self._write("open") as con:
            self._prepare_in(con, create)
        _READY.add(self.url)

    def _prepare_in(self, con: Any, create: bool) -> None:
        """Create or migrate the schema inside the caller's transaction."""
        con.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_SCHEMA,))
        row = con.execute(
            "SELECT to_regclass(%s) IS NOT NULL AS made", (f"{SCHEMA}.schema_version",)
        ).fetchone()
        version = 0
        if row["made"]:
            got = con.execute(
                sql.SQL("SELECT max(version) AS v FROM {}").format(_table("schema_version"))
            ).fetchone()
            version = got["v"] or 0
        elif not create:
            raise StoreError(
                f"store: no sitmap store in {self.where}; fix: import a story first "
                "(sitmap import STORY --store URL), or point --store / $SITMAP_STORE at the "
                "right database"
            )
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"store: {self.where} has schema version {version}, newer than this sitmap "
                f"knows ({SCHEMA_VERSION}); nothing was read or written; fix: upgrade sitmap"
            )
        if version < SCHEMA_VERSION:
            self._migrate(con, version)
        missing = [
            t
            for t in TABLES
            if not con.execute(
                "SELECT to_regclass(%s) IS NOT NULL AS ok", (f"{SCHEMA}.{t}",)
            ).fetchone()["ok"]
        ]
        if missing:
            raise StoreError(
                f"store: {self.where} was altered: it lacks table {SCHEMA}.{missing[0]}; "
                "fix: restore the database from a backup"
            )

    def _migrate(self, con: Any, version: int) -> None:
        if version == 0:
            self._postgis(con)
            con.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(_ident(SCHEMA)))
            con.execute(
                sql.SQL(
                    "CREATE TABLE {} (version integer PRIMARY KEY, applied_at text NOT NULL, "
                    "applied_by text)"
                ).format(_table("schema_version"))
            )
        for step in range(version + 1, SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[step]:
                con.execute(statement)
            con.execute(
                sql.SQL("INSERT INTO {} VALUES (%s, %s, current_user)").format(
                    _table("schema_version")
                ),
                (step, now_iso()),
            )

    def _postgis(self, con: Any) -> None:
        have = con.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").fetchone()
        if have:
            return
        try:
            with con.transaction():  # a savepoint: the message below, not an aborted tx
                con.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        except (pgerrors.InsufficientPrivilege, pgerrors.FeatureNotSupported) as e:
            raise StoreError(
                f"store: PostGIS is not enabled in {self.where} and this user may not enable it "
                f"({_clean(e, self._parts)}); fix: as a superuser run CREATE EXTENSION postgis "
                "in that database"
            ) from None
        except pgerrors.UndefinedFile:
            raise StoreError(
                f"store: the PostgreSQL server of {self.where} has no PostGIS; fix: install it "
                "on the server (Debian: apt-get install postgresql-15-postgis-3)"
            ) from None

    # reading ----------------------------------------------------------------------------------

    def _list_rows(self, con: Any) -> builtins.list[tuple[Any, ...]]:
        rows = con.execute(
            sql.SQL(
                "SELECT story_id, title, period_start, period_end, incident_count, "
                'located_count, revision, saved_at, saved_by FROM {} ORDER BY saved_at DESC, story_id COLLATE "C"'
            ).format(_table("stories"))
        ).fetchall()
        return [tuple(r.values()) for r in rows]

    def _story_record(self, con: Any, story_id: str) -> Any:
        return con.execute(
            sql.SQL("SELECT * FROM {} WHERE story_id = %s").format(_table("stories")), (story_id,)
        ).fetchone()

    def _incident_records(self, con: Any, story_id: str) -> builtins.list[Incident]:
        names = ("story_id", "incident_id", *INCIDENT_TEXT, *INCIDENT_JSON)
        rows = con.execute(
            sql.SQL(
                "SELECT {}, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM {} "
                "WHERE story_id = %s ORDER BY seq, fid"
            ).format(_cols(names), _table("incidents")),
            (story_id,),
        ).fetchall()
        return [self._incident(r, r["lon"], r["lat"]) for r in rows]

    def _history_rows(self, con: Any, story_id: str) -> builtins.list[tuple[Any, ...]]:
        rows = con.execute(
            sql.SQL(
                "SELECT revision, saved_at, saved_by, incident_count FROM {} "
                "WHERE story_id = %s ORDER BY revision DESC"
            ).format(_table("story_revisions")),
            (story_id,),
        ).fetchall()
        return [tuple(r.values()) for r in rows]

    def _snapshot_blob(self, con: Any, story_id: str, revision: int) -> bytes | None:
        row = con.execute(
            sql.SQL("SELECT geojson_zlib FROM {} WHERE story_id = %s AND revision = %s").format(
                _table("story_revisions")
            ),
            (story_id, revision),
        ).fetchone()
        return bytes(row["geojson_zlib"]) if row else None

    # writing ----------------------------------------------------------------------------------

    def _current(self, con: Any, story_id: str) -> tuple[Any, ...] | None:
        """Lock the story id (even one not stored yet), then its row, for this transaction."""
        con.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"sitmap:story:{story_id}",)
        )
        row = con.execute(
            sql.SQL(
                "SELECT revision, saved_at, saved_by FROM {} WHERE story_id = %s FOR UPDATE"
            ).format(_table("stories")),
            (story_id,),
        ).fetchone()
        return (row["revision"], row["saved_at"], row["saved_by"]) if row else None

    def _open_story(self, con: Any, story_id: str, new: bool, stamp: str) -> None:
        if new:  # the incidents reference their story: a placeholder row until _close_story
            con.execute(
                sql.SQL(
                    "INSERT INTO {} (story_id, title, incident_count, located_count, revision, "
                    "saved_at) VALUES (%s, '', 0, 0, 0, %s) ON CONFLICT (story_id) DO NOTHING"
                ).format(_table("stories")),
                (story_id, stamp),
            )
        con.execute(
            sql.SQL("DELETE FROM {} WHERE story_id = %s").format(_table("incidents")),
            (story_id,),
        )

    def _put_incidents(self, con: Any, rows: builtins.list[dict[str, Any]]) -> None:
        if not rows:
            return
        icols = list(rows[0])
        copy = sql.SQL("COPY {} ({}) FROM STDIN").format(_table("incidents"), _cols(icols))
        with con.cursor().copy(copy) as out:
            for r in rows:
                geom = r["geom"]
                point = f"SRID=4326;POINT({geom[0]!r} {geom[1]!r})" if geom else None
                out.write_row((point, *list(r.values())[1:]))

    def _close_story(self, con: Any, rows: StoryRows, revision: int, new: bool) -> None:
        cols = [*rows.story, "revision", "saved_at", "saved_by"]
        values = [*rows.story.values(), revision, rows.stamp, rows.editor]
        con.execute(  # a new story's row is the placeholder _open_story made
            sql.SQL("UPDATE {} SET {} WHERE story_id = %s").format(
                _table("stories"),
                sql.SQL(", ").join(sql.SQL("{} = %s").format(_ident(c)) for c in cols),
            ),
            [*values, rows.story_id],
        )
        con.execute(
            sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s, %s, %s)").format(
                _table("story_revisions")
            ),
            (rows.story_id, revision, rows.stamp, rows.editor, rows.incident_count, rows.snapshot),
        )
        con.execute(
            sql.SQL("DELETE FROM {} WHERE story_id = %s AND revision <= %s").format(
                _table("story_revisions")
            ),
            (rows.story_id, revision - KEEP_REVISIONS),
        )

    def _remove_story(self, con: Any, story_id: str) -> None:
        for table in ("story_revisions", "stories"):  # incidents go with the story (cascade)
            con.execute(
                sql.SQL("DELETE FROM {} WHERE story_id = %s").format(_table(table)), (story_id,)
            )

    def _revision_rows(self, con: Any, story_id: str) -> builtins.list[tuple[Any, ...]]:
        rows = con.execute(
            sql.SQL(
                "SELECT revision, saved_at, saved_by, incident_count, geojson_zlib FROM {} "
                "WHERE story_id = %s ORDER BY revision"
            ).format(_table("story_revisions")),
            (story_id,),
        ).fetchall()
        return [(*list(r.values())[:4], bytes(r["geojson_zlib"])) for r in rows]

    def _put_revisions(self, con: Any, story_id: str, rows: builtins.list[tuple[Any, ...]]) -> None:
        table = _table("story_revisions")
        con.execute(sql.SQL("DELETE FROM {} WHERE story_id = %s").format(table), (story_id,))
        with con.cursor() as cur:
            cur.executemany(
                sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s, %s, %s)").format(table),
                [(story_id, *r) for r in rows],
            )

    # the newsroom gazetteer -------------------------------------------------------------------

    def _place_entries(self, con: Any) -> builtins.list[PlaceEntry]:
        names = tuple(c for c in PLACE_COLUMNS if c != "geom")
        rows = con.execute(
            sql.SQL(
                "SELECT {}, ST_X(geom) AS lon, ST_Y(geom) AS lat FROM {} "
                'ORDER BY name_key COLLATE "C", fid'
            ).format(_cols(names), _table("newsroom_places"))
        ).fetchall()
        return [place_from_row(r, r["lon"], r["lat"], self._json_column) for r in rows]

    def _place_state(self, con: Any, key: str) -> tuple[Any, ...] | None:
        con.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"sitmap:place:{key}",)
        )
        row = con.execute(
            sql.SQL(
                "SELECT revision, added_by, added_at FROM {} WHERE name_key = %s FOR UPDATE"
            ).format(_table("newsroom_places")),
            (key,),
        ).fetchone()
        return (row["revision"], row["added_by"], row["added_at"]) if row else None

    def _put_place(self, con: Any, stored: PlaceEntry, new: bool) -> None:
        values = (stored.lon, stored.lat, *place_values(stored))
        rest = PLACE_COLUMNS[1:]
        point = sql.SQL("ST_SetSRID(ST_MakePoint(%s, %s), 4326)")
        if new:
            statement = sql.SQL("INSERT INTO {} ({}) VALUES ({}, {})").format(
                _table("newsroom_places"),
                _cols(PLACE_COLUMNS),
                point,
                sql.SQL(", ").join(sql.Placeholder() * len(rest)),
            )
            con.execute(statement, values)
        else:
            sets = sql.SQL(", ").join(sql.SQL("{} = %s").format(_ident(c)) for c in rest)
            con.execute(
                sql.SQL("UPDATE {} SET geom = {}, {} WHERE name_key = %s").format(
                    _table("newsroom_places"), point, sets
                ),
                (*values, stored.key),
            )

    def _remove_place_row(self, con: Any, key: str) -> None:
        con.execute(
            sql.SQL("DELETE FROM {} WHERE name_key = %s").format(_table("newsroom_places")),
            (key,),
        )

    # faults -----------------------------------------------------------------------------------

    def _damaged(self, detail: str) -> StoreError:
        return StoreError(
            f"store: {self.where} holds damaged data ({' '.join(detail.split())[:160]}); "
            "nothing was written; fix: restore the database from a backup"
        )

    def _fault(
        self, error: Exception, doing: str, *, connecting: bool = False, committing: bool = False
    ) -> StoreError:
        """One line for a failed connect/read/save: what happened and the fix."""
        return StoreError(_fault_text(error, doing, self._parts, connecting, committing))


# --- URLs and messages ----------------------------------------------------------------------


def _parse(url: str) -> dict[str, str]:
    try:
        parts = {k: str(v) for k, v in conninfo_to_dict(url).items() if v is not None}
    except psycopg.ProgrammingError as e:
        shown = url.split("@")[-1] if "@" in url else url
        raise StoreError(
            f"store: '{shown[:80]}' is not a valid PostgreSQL URL ({_scrub(str(e), url)}); "
            "fix: write it as postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
        ) from None
    return {**parts, "_url": url}


def display_url(url: str) -> str:
    """A postgresql:// URL as messages show it (no password)."""
    try:
        return _display(_parse(url))
    except Exception:  # not a URL libpq reads, or no psycopg: show no part of it
        return "postgresql://…"


def _display(parts: dict[str, str]) -> str:
    """The URL without its password: postgresql://user@host:port/database."""
    user = f"{parts['user']}@" if parts.get("user") else ""
    host = parts.get("host") or "localhost"
    port = f":{parts['port']}" if parts.get("port") else ""
    return f"postgresql://{user}{host}{port}/{parts.get('dbname') or ''}"


def _scrub(text: str, url: str) -> str:
    for secret in (url, *[v for v in (_password(url),) if v]):
        text = text.replace(secret, "…")
    return " ".join(text.split())


def _password(url: str) -> str | None:
    with suppress(Exception):
        return str(conninfo_to_dict(url).get("password") or "") or None
    return None


def _clean(error: Exception, parts: dict[str, str]) -> str:
    return _scrub(str(error), parts["_url"])[:200]


def _fault_text(
    error: Exception, doing: str, parts: dict[str, str], connecting: bool, committing: bool
) -> str:
    where = _display(parts)
    text = _clean(error, parts)
    low = text.lower()
    host = f"{parts.get('host') or 'localhost'}:{parts.get('port') or 5432}"
    kept = (
        " nothing was changed (the store keeps its last saved revision);"
        if doing in ("save", "delete")
        else ""
    )
    if "password authentication failed" in low or "no password supplied" in low:
        return (
            f"store: PostgreSQL at {host} refused the login of user '{parts.get('user', '')}' "
            f"(wrong or missing password); fix: check the user and password in the URL "
            "(or ~/.pgpass)"
        )
    if "does not exist" in low and "database" in low:
        db = parts.get("dbname", "")
        return (
            f"store: PostgreSQL at {host} has no database '{db}'; fix: create it (createdb -h "
            f"{parts.get('host') or 'localhost'} -p {parts.get('port') or 5432} {db}) or fix "
            "the database name in the URL"
        )
    if "role" in low and "does not exist" in low:
        return (
            f"store: PostgreSQL at {host} has no user '{parts.get('user', '')}'; fix: check the "
            "user name in the URL"
        )
    if connecting and ("failed to resolve host" in low or "could not translate host" in low):
        return f"store: cannot find the host of {where} ({text}); fix: check the host in the URL"
    if connecting and isinstance(error, psycopg.ProgrammingError):
        return (
            f"store: {where} is not a valid PostgreSQL URL ({text}); fix: write it as "
            "postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
        )
    if connecting:
        return (
            f"store: cannot connect to PostgreSQL at {host} ({text});{kept} fix: start the server (pg_ctlcluster 15 main start, or systemctl start "
            "postgresql) or fix the host and port in the URL"
        )
    if committing and isinstance(error, psycopg.OperationalError):
        return (
            f"store: the connection to PostgreSQL at {host} was lost while committing the "
            f"{doing} ({text}); the server may or may not have stored it; fix: check the server, "
            "then list the stories (sitmap stories) to see which revision is stored"
        )
    if isinstance(error, pgerrors.InsufficientPrivilege):
        return (
            f"store: {where}: no permission to {doing} ({text});{kept} fix: ask for access to "
            f"the {SCHEMA} schema (GRANT ... ON ALL TABLES IN SCHEMA {SCHEMA})"
        )
    if isinstance(error, pgerrors.ReadOnlySqlTransaction):
        return (
            f"store: {where} is read-only (a standby server?);{kept} fix: point --store at the "
            "primary server"
        )
    if isinstance(error, pgerrors.DiskFull):
        return f"store: the disk of the PostgreSQL server at {host} is full;{kept} fix: free space on the server"
    if isinstance(error, pgerrors.UndefinedTable | pgerrors.UndefinedColumn):
        return f"store: {where} was altered ({text});{kept} fix: restore the database from a backup"
    if isinstance(error, psycopg.OperationalError):
        return (
            f"store: the connection to PostgreSQL at {host} was lost ({text});{kept} fix: check "
            "that the server is running and try again"
        )
    return f"store: {where}: cannot {doing} ({text});{kept} fix: check the server and try again"
