"""A real PostgreSQL + PostGIS server for the tests, .ci/run and the benchmarks.

Debian's server binaries (``postgresql``, ``postgresql-15-postgis-3``) run as the
``postgres`` user (PostgreSQL refuses root) in a data directory of the caller's own, on
127.0.0.1 and a free port, with password logins (so a wrong password can be tested).
``python -m tests.pgcluster start DIR`` prints the URL (for .ci/run); ``stop DIR`` stops it.
"""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PG_BIN = Path(os.environ.get("SITMAP_PG_BIN", "/usr/lib/postgresql/15/bin"))
PACKAGES = "postgresql postgresql-15-postgis-3"
POSTGIS_CONTROL = Path("/usr/share/postgresql/15/extension/postgis.control")
USER = "postgres"


class ClusterError(RuntimeError):
    pass


def _as_postgres(*cmd: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    prefix = [] if os.geteuid() != 0 else ["runuser", "-u", USER, "--"]
    return subprocess.run([*prefix, *cmd], capture_output=True, text=True, timeout=timeout, cwd="/")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def check_binaries() -> None:
    missing = [p for p in (PG_BIN / "initdb", PG_BIN / "pg_ctl") if not p.exists()]
    if missing or not POSTGIS_CONTROL.exists():
        what = ", ".join(str(p) for p in missing) or str(POSTGIS_CONTROL)
        raise ClusterError(
            f"PostgreSQL/PostGIS are not installed ({what} missing); fix: apt-get install "
            f"{PACKAGES} (or set SITMAP_TEST_POSTGRES to a server's URL)"
        )


@dataclass
class Cluster:
    base: Path
    port: int
    password: str

    @property
    def data(self) -> Path:
        return self.base / "data"

    def url(self, database: str = "postgres", password: str | None = None) -> str:
        pw = self.password if password is None else password
        return f"postgresql://postgres:{pw}@127.0.0.1:{self.port}/{database}"

    def running(self) -> bool:
        return _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "status").returncode == 0

    def start(self) -> None:
        done = _as_postgres(
            str(PG_BIN / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.base / "server.log"),
            "-w",
            "-t",
            "60",
            "-o",
            f"-c listen_addresses=127.0.0.1 -p {self.port} "
            f"-c unix_socket_directories={self.base} -c max_connections=60",
            "start",
        )
        if done.returncode != 0:
            log = (self.base / "server.log").read_text(errors="replace")[-800:]
            raise ClusterError(f"pg_ctl start failed: {done.stderr.strip()} {log}")

    def stop(self) -> None:
        if self.data.exists():
            _as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def destroy(self) -> None:
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)


def create(base: Path | None = None, port: int | None = None) -> Cluster:
    """initdb + start a new cluster in ``base`` (a fresh folder under /tmp by default)."""
    check_binaries()
    if base is None:  # pytest's tmp folders are root-only: the server needs its own
        base = Path(tempfile.mkdtemp(prefix="sitmap-pg-"))
    base.mkdir(parents=True, exist_ok=True)
    password = secrets.token_hex(12)
    (base / "pw").write_text(password)
    if os.geteuid() == 0:
        shutil.chown(base, USER, USER)
        shutil.chown(base / "pw", USER, USER)
    done = _as_postgres(
        str(PG_BIN / "initdb"),
        "-D",
        str(base / "data"),
        "-U",
        USER,
        "--auth=scram-sha-256",
        f"--pwfile={base / 'pw'}",
        "--no-sync",
        "-E",
        "UTF8",
        "--locale=C.UTF-8",
    )
    if done.returncode != 0:
        raise ClusterError(f"initdb failed: {done.stderr.strip()[-600:]}")
    cluster = Cluster(base, port or free_port(), password)
    cluster.start()
    return cluster


def wait_for(url: str, seconds: float = 30) -> None:
    import psycopg

    deadline = time.monotonic() + seconds
    while True:
        try:
            psycopg.connect(url, connect_timeout=3).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


class Server:
    """A PostgreSQL + PostGIS server (``start``) handing out fresh databases: each test or
    benchmark step gets its own, cloned from a template that already has PostGIS (fast,
    and isolated)."""

    TEMPLATE = "sitmap_test_template"

    def __init__(self, admin_url: str, cluster=None) -> None:
        import psycopg

        self.admin_url = admin_url
        self.cluster = cluster
        self._n = 0
        with psycopg.connect(admin_url, autocommit=True) as con:
            con.execute(f"DROP DATABASE IF EXISTS {self.TEMPLATE} WITH (FORCE)")
            con.execute(f"CREATE DATABASE {self.TEMPLATE}")
        with psycopg.connect(self.url(self.TEMPLATE), autocommit=True) as con:
            con.execute("CREATE EXTENSION IF NOT EXISTS postgis")

    def url(self, database: str) -> str:
        from urllib.parse import quote

        from psycopg.conninfo import conninfo_to_dict

        parts = conninfo_to_dict(self.admin_url)
        user = quote(str(parts.get("user") or ""), safe="")
        password = parts.get("password")
        auth = f"{user}:{quote(str(password), safe='')}@" if password else f"{user}@"
        host = parts.get("host") or "127.0.0.1"
        port = parts.get("port") or 5432
        return f"postgresql://{auth}{host}:{port}/{database}"

    def new_database(self) -> str:
        import psycopg

        self._n += 1
        name = f"sitmap_test_{os.getpid()}_{self._n}"
        with psycopg.connect(self.admin_url, autocommit=True) as con:
            con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            con.execute(f"CREATE DATABASE {name} TEMPLATE {self.TEMPLATE}")
        return self.url(name)

    def drop(self, url: str) -> None:
        """Drop a database ``new_database`` made (its connections closed first)."""
        import psycopg
        from psycopg.conninfo import conninfo_to_dict

        name = conninfo_to_dict(url)["dbname"]
        with psycopg.connect(self.admin_url, autocommit=True) as con:
            con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")

    def close(self) -> None:
        """Stop and remove the cluster of our own, if this server is one."""
        if self.cluster is not None:
            self.cluster.destroy()


def start() -> Server:
    """The server to use: $SITMAP_TEST_POSTGRES (a superuser URL) when set, else a new
    cluster of our own (``ClusterError`` names the missing Debian packages); it answers
    before this returns."""
    url = os.environ.get("SITMAP_TEST_POSTGRES")
    cluster = None
    if not url:
        cluster = create()
        url = cluster.url()
    try:
        wait_for(url)
        return Server(url, cluster)
    except BaseException:
        if cluster is not None:
            cluster.destroy()
        raise


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "start":
        cluster = create(Path(argv[1]))
        (cluster.base / "port").write_text(str(cluster.port))
        print(cluster.url())
        return 0
    if len(argv) == 2 and argv[0] == "stop":
        base = Path(argv[1])
        Cluster(base, 0, "").destroy()
        return 0
    print("usage: python -m tests.pgcluster start|stop DIR", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
