"""A throwaway PostgreSQL server for the test session, started from Debian's binaries.

`postgres_url` starts one cluster per session (initdb + pg_ctl in a temporary folder, on a
free TCP port, trust authentication) and stops it at the end; `pg_db` gives each test a fresh
database of its own. initdb refuses to run as root, so as root the cluster runs as the
`postgres` system user. Without the binaries the PostgreSQL tests are skipped, unless
`CI=true`, where a missing server is a failure.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from formwork.store.database import Database

SERVER_USER = "postgres"


def _binaries() -> Path | None:
    """The bin folder of the highest PostgreSQL version installed, if any."""
    found = [Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin") if Path(p, "pg_ctl").exists()]
    found.sort(key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)
    return found[-1] if found else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _unavailable(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"PostgreSQL is required on CI: {message}")
    pytest.skip(message)


def _runner(folder: Path) -> list[str]:
    """The command prefix that runs a server binary: as `postgres` when we are root."""
    if os.geteuid() != 0:
        return []
    if shutil.which("runuser") is None:
        _unavailable("running as root needs `runuser` to start PostgreSQL as the postgres user")
    shutil.chown(folder, user=SERVER_USER)
    return ["runuser", "-u", SERVER_USER, "--"]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """The URL of a PostgreSQL server running for this test session."""
    bin_dir = _binaries()
    if bin_dir is None:
        _unavailable(
            "no PostgreSQL binaries under /usr/lib/postgresql/*/bin (apt install postgresql)"
        )
    root = Path(tempfile.mkdtemp(prefix="formwork-pg-"))
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    as_server = _runner(root)
    if as_server:
        shutil.chown(sockets, user=SERVER_USER)
    port = _free_port()

    def run(*args: str) -> None:
        subprocess.run([*as_server, *args], check=True, capture_output=True, cwd=root)

    try:
        run(str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8")
        options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
        run(
            str(bin_dir / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(root / "log"),
            "-w",
            "start",
        )
    except subprocess.CalledProcessError as exc:
        shutil.rmtree(root, ignore_errors=True)
        _unavailable(f"could not start PostgreSQL: {exc.stderr.decode(errors='replace')}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        run(str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def pg_db(postgres_url: str) -> Iterator[Database]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        db = Database(sa.make_url(postgres_url).set(database=name).render_as_string(False))
        try:
            yield db
        finally:
            db.dispose()
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.dispose()
