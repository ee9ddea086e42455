"""Backup and restore of a year of a busy clinic, on a SQLite file and on PostgreSQL.

Usage: python bench/backup.py [--postgres-url ADMIN_URL] [--only sqlite|postgresql]
                              [--appointments 60000] [--tickets 40000] [--messages 200000]

Each database is migrated, gets the demo clinics, then a year of activity by bulk inserts: patients,
slots and their appointments (--appointments), walk-in days and tickets (--tickets), outbound messages
(--messages), audit entries. Then `clinicline backup`'s code backs it up, restores it into an empty
database of the same kind, checks every table's row count and a sample of rows of each big table, and
prints the times. Reference measured in the same run: copying the database file (SQLite) or the dump
file (PostgreSQL) with a plain file copy, and the bulk fill itself; the ratios say what the backup costs
above moving the bytes.
PostgreSQL: the server of --postgres-url (an admin URL; fresh databases are created on it), else one
started from its binaries for the run, as the tests do (tests/support/servers.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, select, text  # noqa: E402

from core.clinics_file import EXAMPLE_FILE, load_clinics  # noqa: E402
from core.db import make_engine, make_session_factory, upgrade  # noqa: E402
from core.models import (  # noqa: E402
    Appointment,
    AuditEntry,
    Base,
    OutboundMessage,
    Patient,
    Practitioner,
    Slot,
    WalkinDay,
    WalkinTicket,
)
from core.services.backup import backup, restore  # noqa: E402

START = dt.datetime(2025, 12, 1, 13, 0, tzinfo=dt.UTC)
BATCH = 5000
SAMPLED = {
    "appointments": Appointment,
    "walkin_tickets": WalkinTicket,
    "outbound_messages": OutboundMessage,
    "patients": Patient,
}


def fresh_database(kind: str, postgres_admin: str | None, workdir: Path, label: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{workdir / f'{label}-{uuid.uuid4().hex[:8]}.db'}"
    name = f"bench_{label}_" + uuid.uuid4().hex[:8]
    admin = create_engine(postgres_admin, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return postgres_admin.rsplit("/", 1)[0] + "/" + name


def _chunks(rows: list[dict]):
    for i in range(0, len(rows), BATCH):
        yield rows[i : i + BATCH]


def fill(url: str, appointments: int, tickets: int, messages: int) -> dict[str, int]:
    """A year of a busy clinic, by bulk inserts; returns the row counts."""
    rnd = random.Random(2026)
    engine = make_engine(url)
    upgrade(engine)
    with make_session_factory(engine).begin() as session:
        load_clinics(session, EXAMPLE_FILE, START, 1)
        practitioners = session.scalars(select(Practitioner.id).where(Practitioner.clinic_id == "parc")).all()
    patients_n = max(appointments // 4, 1000)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM slots"))  # the demo calendar: the year's slots replace it
        conn.execute(
            insert(Patient),
            [
                {
                    "phone": f"+1514{2000000 + i:07d}",
                    "name": f"Patient {i} Bélanger",
                    "lang": "fr" if i % 4 else "en",
                    "opted_out": False,
                    "notify_by": "sms" if i % 9 else "call",
                    "created_at": START,
                }
                for i in range(patients_n)
            ],
        )
        patient_ids = conn.execute(select(Patient.id).order_by(Patient.id)).scalars().all()
        slots, appts = [], []
        for i in range(appointments):
            starts = START + dt.timedelta(days=i // 170, minutes=3 * (i % 170))  # 170 a day
            practitioner = practitioners[i % len(practitioners)]
            slots.append(
                {
                    "id": i + 1,
                    "clinic_id": "parc",
                    "practitioner_id": practitioner,
                    "starts_at": starts,
                    "ends_at": starts + dt.timedelta(minutes=15),
                    "status": "booked",
                }
            )
            appts.append(
                {
                    "id": i + 1,
                    "clinic_id": "parc",
                    "slot_id": i + 1,
                    "patient_id": rnd.choice(patient_ids),
                    "status": "booked" if i % 11 else "cancelled",
                    "channel": "sms" if i % 3 else "voice",
                    "code": f"{i:06d}",
                    "starts_at": starts,
                    "created_at": starts - dt.timedelta(days=3),
                }
            )
        for chunk in _chunks(slots):
            conn.execute(insert(Slot), chunk)
        for chunk in _chunks(appts):
            conn.execute(insert(Appointment), chunk)
        days = max(tickets // 130, 1)
        conn.execute(
            insert(WalkinDay),
            [
                {
                    "id": d + 1,
                    "clinic_id": "parc",
                    "day": (START + dt.timedelta(days=d)).date(),
                    "capacity": 140,
                    "issued": 0,
                }
                for d in range(days)
            ],
        )
        per_day: dict[int, int] = {}
        rows = []
        for i in range(tickets):
            day = i % days + 1
            per_day[day] = per_day.get(day, 0) + 1
            joined = START + dt.timedelta(days=day - 1, minutes=per_day[day])
            rows.append(
                {
                    "walkin_day_id": day,
                    "clinic_id": "parc",
                    "patient_id": patient_ids[(i * 7919) % len(patient_ids)],
                    "number": per_day[day],
                    "status": "served",
                    "channel": "sms",
                    "notify_by": "sms",
                    "joined_at": joined,
                    "served_at": joined + dt.timedelta(hours=1),
                    "ended_at": joined + dt.timedelta(hours=1),
                }
            )
        for chunk in _chunks(rows):
            conn.execute(insert(WalkinTicket), chunk)
        for day, issued in per_day.items():
            conn.execute(text("UPDATE walkin_days SET issued = :n WHERE id = :d"), {"n": issued, "d": day})
        rows = []
        for i in range(messages):
            at = START + dt.timedelta(seconds=i * 150)
            rows.append(
                {
                    "clinic_id": "parc",
                    "patient_id": patient_ids[i % len(patient_ids)],
                    "to": f"+1514{2000000 + i % len(patient_ids):07d}",
                    "kind": "sms",
                    "purpose": ("reminder", "confirmation_booked", "queue_notice")[i % 3],
                    "body": f"Clinique du Parc: rappel de votre rendez-vous, code {i % 1000000:06d}.",
                    "subject": f"appointment:{i % appointments + 1}",
                    "dedupe_key": f"bench:{i}",
                    "status": "delivered",
                    "send_after": at,
                    "attempts": 1,
                    "twilio_sid": f"SM{i:032x}",
                    "created_at": at,
                    "sent_at": at,
                    "updated_at": at,
                    "from_number": "+15145550100",
                    "lang": "fr",
                }
            )
        for chunk in _chunks(rows):
            conn.execute(insert(OutboundMessage), chunk)
        rows = [
            {
                "at": START + dt.timedelta(seconds=i * 300),
                "clinic_id": "parc",
                "action": "walkin.joined",
                "channel": "sms",
                "detail": {"n": i},
            }
            for i in range(tickets)
        ]
        for chunk in _chunks(rows):
            conn.execute(insert(AuditEntry), chunk)
        if engine.dialect.name == "postgresql":
            for table in ("slots", "appointments", "walkin_days"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
                    )
                )
    found = counts(engine)
    engine.dispose()
    return found


def counts(engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar() for t in Base.metadata.tables}


def sample(engine, seed: int = 7) -> dict[str, list[tuple]]:
    """Every 997th row of each big table, all its columns, by primary key."""
    found = {}
    with engine.connect() as conn:
        for name, model in SAMPLED.items():
            table = model.__table__
            rows = conn.execute(
                select(table).where(table.c.id % 997 == seed % 997).order_by(table.c.id)
            ).all()
            found[name] = [tuple(r) for r in rows]
    return found


def size_of(url: str) -> int:
    engine = make_engine(url)
    try:
        if engine.dialect.name == "sqlite":
            return Path(engine.url.database).stat().st_size
        with engine.connect() as conn:
            return conn.execute(text("SELECT pg_database_size(current_database())")).scalar()
    finally:
        engine.dispose()


def run(kind: str, admin: str | None, workdir: Path, args) -> dict:
    source = fresh_database(kind, admin, workdir, "year")
    started = time.perf_counter()
    rows = fill(source, args.appointments, args.tickets, args.messages)
    filled = time.perf_counter() - started
    started = time.perf_counter()
    path = backup(source, workdir / f"backups-{kind}", keep=2)
    backed = time.perf_counter() - started
    copy_from = Path(make_engine(source).url.database) if kind == "sqlite" else path
    started = time.perf_counter()
    shutil.copyfile(copy_from, workdir / "plain-copy")
    copied = time.perf_counter() - started
    target = fresh_database(kind, admin, workdir, "restored")
    started = time.perf_counter()
    restore(path, target)
    restored = time.perf_counter() - started
    source_engine, target_engine = make_engine(source), make_engine(target)
    same_counts = counts(source_engine) == counts(target_engine)
    same_rows = sample(source_engine) == sample(target_engine)
    sampled = sum(len(v) for v in sample(target_engine).values())
    source_engine.dispose()
    target_engine.dispose()
    return {
        "kind": kind,
        "rows": rows,
        "database_mb": size_of(source) / 1e6,
        "backup_mb": path.stat().st_size / 1e6,
        "fill_s": filled,
        "backup_s": backed,
        "copy_s": copied,
        "restore_s": restored,
        "same_counts": same_counts,
        "same_rows": same_rows,
        "sampled": sampled,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--appointments", type=int, default=60_000)
    parser.add_argument("--tickets", type=int, default=40_000)
    parser.add_argument("--messages", type=int, default=200_000)
    args = parser.parse_args()
    kinds = [args.only] if args.only else ["sqlite", "postgresql"]
    server = None
    admin = args.postgres_url
    if "postgresql" in kinds and not admin:
        from tests.support.servers import PostgresServer

        server = PostgresServer().start()
        admin = server.admin_url
    ok = True
    try:
        with tempfile.TemporaryDirectory(prefix="clinicline-backup-") as tmp:
            for kind in kinds:
                r = run(kind, admin, Path(tmp), args)
                rows = r["rows"]
                print(
                    f"{kind:<10} {rows['appointments']:,} appointments, {rows['walkin_tickets']:,} tickets, "
                    f"{rows['outbound_messages']:,} messages, {rows['patients']:,} patients, "
                    f"{sum(rows.values()):,} rows; database {r['database_mb']:.0f} MB, backup {r['backup_mb']:.0f} MB"
                )
                print(
                    f"{'':<10} fill {r['fill_s']:.1f} s | backup {r['backup_s']:.2f} s | restore {r['restore_s']:.2f} s "
                    f"| plain copy of the {'database file' if kind == 'sqlite' else 'dump'} {r['copy_s']:.2f} s"
                )
                print(
                    f"{'':<10} restore / fill {r['restore_s'] / r['fill_s']:.2f}x | backup / plain copy "
                    f"{r['backup_s'] / max(r['copy_s'], 1e-6):.1f}x | counts equal: {r['same_counts']} | "
                    f"{r['sampled']} sampled rows equal: {r['same_rows']}"
                )
                ok = ok and r["same_counts"] and r["same_rows"]
    finally:
        if server is not None:
            server.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
