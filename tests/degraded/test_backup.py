"""Backups with retention and a tested restore, on SQLite and PostgreSQL; the day sheet on paper without the database."""

from __future__ import annotations

import datetime as dt
import stat
import subprocess
import sys

import pytest
from pypdf import PdfReader
from sqlalchemy import inspect, select, text

from core import snapshot
from core.db import make_engine, upgrade
from core.models import Base, Patient, Person
from core.services import people
from core.services.backup import BackupError, backup, backups, restore
from core.services.patients import get_or_create_patient
from tests.conftest import _fresh_postgres_database, make_runtime
from tests.support.arrange import book


def counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {
                t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar() for t in Base.metadata.tables
            }
    finally:
        engine.dispose()


def empty_database_like(url: str, request, tmp_path) -> str:
    if url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'restored.db'}"
    return _fresh_postgres_database(request.getfixturevalue("postgres_admin_url"))


def test_a_backup_restores_into_an_empty_database_with_the_same_rows(database_url, clock, tmp_path, request):
    rt = make_runtime(database_url, clock, tmp_path)
    with rt.session_factory.begin() as s:
        for i in range(50):
            people.person_for(
                s, get_or_create_patient(s, f"+1514555{3000 + i:04d}", "fr"), f"Patiente {i} Côté"
            )
    book(rt, "+15145553001", after=clock() + dt.timedelta(days=1), person="Patiente 1 Côté", lang="fr")
    before = counts(database_url)
    path = backup(database_url, tmp_path / "backups", keep=3)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    target = empty_database_like(database_url, request, tmp_path)

    restore(path, target)

    assert counts(target) == before
    assert before["patients"] == 50
    assert before["slots"] > 100
    engine = make_engine(target)
    with engine.connect() as conn:
        assert conn.execute(
            select(Person.first_name, Person.last_name).join(Patient).where(Patient.phone == "+15145553042")
        ).one() == ("Patiente", "42 Côté")
    assert inspect(engine).get_table_names()  # the schema came with it, migrations table included
    upgrade(engine)  # and it is at the head revision already
    engine.dispose()
    rt.dispose()


def test_retention_keeps_the_newest_backups(sqlite_url, clock, tmp_path):
    rt = make_runtime(sqlite_url, clock, tmp_path)
    made = [backup(sqlite_url, tmp_path / "b", keep=2, now=clock() + dt.timedelta(hours=h)) for h in range(4)]
    assert backups(tmp_path / "b") == made[-2:]
    with pytest.raises(BackupError):
        restore(
            made[-1], "postgresql+psycopg://postgres@127.0.0.1:1/x"
        )  # a SQLite backup is not for PostgreSQL
    rt.dispose()


def test_the_commands_back_up_and_restore_the_instance_database(sqlite_url, clock, tmp_path):
    rt = make_runtime(sqlite_url, clock, tmp_path)
    rt.dispose()
    env = {"DATABASE_URL": sqlite_url, "CLINICLINE_INSTANCE": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "clinicline.cli", "backup", "--keep", "2"],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "backup " in done.stdout
    assert "1 backup(s) kept" in done.stdout
    before = counts(sqlite_url)
    engine = make_engine(sqlite_url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM slots"))
    engine.dispose()
    done = subprocess.run(
        [sys.executable, "-m", "clinicline.cli", "restore", "--yes"], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert counts(sqlite_url) == before


def test_the_day_sheet_prints_from_the_snapshot_when_the_database_is_gone(sqlite_url, clock, tmp_path):
    rt = make_runtime(sqlite_url, clock, tmp_path)
    marie = book(rt, "+15145551234", after=clock() + dt.timedelta(days=1), person="Marie Tremblay", lang="fr")
    code, starts = marie.code, marie.starts_at
    snapshot.refresh(rt, force=True)
    rt.dispose()
    day = (starts - dt.timedelta(hours=5)).date().isoformat()
    out = tmp_path / "sheet.pdf"
    gone = "postgresql+psycopg://postgres@127.0.0.1:1/gone"
    env = {"DATABASE_URL": gone, "CLINICLINE_INSTANCE": str(tmp_path), "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "clinicline.cli",
            "daysheet",
            "--clinic",
            "parc",
            "--date",
            day,
            "--output",
            str(out),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert "1 appointment(s) from the snapshot" in done.stdout, done.stdout
    assert out.read_bytes().startswith(b"%PDF")
    words = PdfReader(out).pages[0].extract_text()
    assert code in words
    assert "Marie Tremblay" in words
    assert "…1234" in words
    assert "copie locale" in words
    env["DATABASE_URL"] = sqlite_url
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "clinicline.cli",
            "daysheet",
            "--clinic",
            "parc",
            "--date",
            day,
            "--output",
            str(out),
        ],
        env=env,
        capture_output=True,
        text=True,
    )
    assert "from the database" in done.stdout, done.stdout + done.stderr
