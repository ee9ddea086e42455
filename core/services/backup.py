"""Backups of the database into a folder, with retention, and their restore.

SQLite: the online backup API (`sqlite3.Connection.backup`) copies a consistent image while the line keeps
serving. PostgreSQL: `pg_dump --format=custom` (compressed, restorable table by table) and `pg_restore`.
A backup is written under a temporary name and renamed when complete, mode 0600: a half-written file is
never taken for a backup, and only the service user reads patients' data.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

PREFIX = "clinicline-"
SUFFIXES = {"sqlite": ".sqlite3", "postgresql": ".pgdump"}
FILE_MODE = 0o600


class BackupError(RuntimeError):
    """A backup or a restore that did not complete; the message says why."""


def kind_of(database_url: str) -> str:
    """ "sqlite" or "postgresql"."""
    backend = make_url(database_url).get_backend_name()
    if backend not in SUFFIXES:
        raise BackupError(f"no backup method for {backend} databases")
    return backend


def _sqlite_path(database_url: str) -> Path:
    database = make_url(database_url).database
    if not database or database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(database)


def _pg_tool(name: str) -> str:
    """pg_dump / pg_restore: on the PATH, else the newest installed PostgreSQL's."""
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    if not found:
        raise BackupError(f"{name} was not found: install the PostgreSQL client (Debian: postgresql-client)")
    return found


def _libpq(database_url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection URL without the password, and an environment carrying it (not on the command line)."""
    url = make_url(database_url)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = url.password
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(
            f"{Path(command[0]).name} failed ({done.returncode}): {done.stderr.strip()[-2000:]}"
        )


def backups(folder: Path) -> list[Path]:
    """The complete backups in a folder, oldest first."""
    if not folder.is_dir():
        return []
    return sorted(
        p
        for p in folder.iterdir()
        if p.name.startswith(PREFIX) and p.suffix in SUFFIXES.values() and not p.name.endswith(".tmp")
    )


def backup(database_url: str, folder: Path, keep: int = 14, now: dt.datetime | None = None) -> Path:
    """Back the database up into `folder` and keep only the `keep` newest backups; returns the new file."""
    if keep < 1:
        raise BackupError("keep at least one backup")
    kind = kind_of(database_url)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    target = folder / f"{PREFIX}{stamp}{SUFFIXES[kind]}"
    partial = target.with_name(target.name + ".tmp")
    try:
        if kind == "sqlite":
            _sqlite_copy(_sqlite_path(database_url), partial)
        else:
            url, env = _libpq(database_url)
            _run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(partial), url], env)
        os.chmod(partial, FILE_MODE)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    for old in backups(folder)[:-keep]:
        old.unlink()
    return target


def _sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database through the online backup API."""
    if not source.exists():
        raise BackupError(f"no database at {source}")
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    os.close(fd)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    finally:
        dst.close()
        src.close()


def restore(path: Path, database_url: str) -> None:
    """Replace the database's content with a backup (stop the line first: this overwrites everything)."""
    if not path.is_file():
        raise BackupError(f"no backup at {path}")
    kind = kind_of(database_url)
    if SUFFIXES[kind] != path.suffix:
        raise BackupError(f"{path.name} is not a {kind} backup")
    if kind == "sqlite":
        target = _sqlite_path(database_url)
        target.parent.mkdir(parents=True, exist_ok=True)
        src = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)  # page by page into the live file, under its own lock
        finally:
            dst.close()
            src.close()
        return
    url, env = _libpq(database_url)
    _run(
        [
            _pg_tool("pg_restore"),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--exit-on-error",
            "--single-transaction",
            "--dbname",
            url,
            str(path),
        ],
        env,
    )
