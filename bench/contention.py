"""Contention on the booking core: many patients at once, on a SQLite file and on PostgreSQL.

Usage: python bench/contention.py [--postgres-url URL] [--only sqlite|postgresql]
                                  [--threads 200] [--slots 20] [--patients 500] [--places 30]

Two runs per database, each on a fresh database with the demo clinics, every patient in its own thread
and its own transaction, all released together by a barrier (as concurrent webhooks arrive):
- booking: --threads patients race for --slots slots (Tuesday at the Clinique du Parc); a patient who is
  refused tries the next slot, until they have one or every slot is gone. Reports how many were booked,
  how many slots ended with two live appointments ("doubles"), and whether slot states agree.
- walk-in: --patients patients join a --places-place walk-in queue at 09:00. Reports how many got a
  ticket, whether the numbers are unique and gapless (1..N), and whether capacity held.
PostgreSQL: the server of --postgres-url (an admin URL; a fresh database is created on it), else one
started from its binaries for the run, as the tests do (tests/support/servers.py).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, select, text, update  # noqa: E402

from core.clinics_file import EXAMPLE_FILE, load_clinics  # noqa: E402
from core.db import make_engine, make_session_factory, upgrade  # noqa: E402
from core.errors import DomainError  # noqa: E402
from core.models import Appointment, Clinic, Patient, Slot, SlotStatus, WalkinDay, WalkinTicket  # noqa: E402
from core.services import booking, walkin  # noqa: E402
from core.services.patients import get_or_create_patient  # noqa: E402
from core.timeutil import local_to_utc  # noqa: E402

TZ = "America/Toronto"
NOW = local_to_utc(dt.date(2026, 12, 7), dt.time(9), TZ)  # Monday 09:00: walk-in open
TUESDAY = dt.date(2026, 12, 8)


def fresh_database(kind: str, postgres_admin: str | None, workdir: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{workdir / f'contention-{uuid.uuid4().hex[:8]}.db'}"
    name = "bench_" + uuid.uuid4().hex[:10]
    admin = create_engine(postgres_admin, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return postgres_admin.rsplit("/", 1)[0] + "/" + name


def prepared(url: str, patients: int, places: int):
    """A migrated database with the demo clinics and the patients; returns (engine, sessions, patient ids)."""
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    with sessions.begin() as s:
        load_clinics(s, EXAMPLE_FILE, NOW, 30)
        s.execute(update(Clinic).where(Clinic.id == "parc").values(walkin_capacity=places))
        ids = [get_or_create_patient(s, f"+1438{5550000 + n:07d}").id for n in range(patients)]
    return engine, sessions, ids


def race(n: int, work) -> tuple[list, float]:
    """work(i) in n threads released together; returns the results and the seconds from release to last."""
    barrier = threading.Barrier(n + 1)
    results: list = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as exc:  # reported in the table as an error
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    return results, time.perf_counter() - start


def bench_booking(url: str, threads: int, slot_count: int) -> dict:
    engine, sessions, patients = prepared(url, threads, 30)
    with sessions.begin() as s:
        day_start = local_to_utc(TUESDAY, dt.time(0), TZ)
        slots = list(
            s.scalars(
                select(Slot.id)
                .where(Slot.clinic_id == "parc", Slot.starts_at >= day_start)
                .order_by(Slot.starts_at, Slot.practitioner_id)
                .limit(slot_count)
            )
        )
    attempts = Counter()

    def work(i: int) -> str:
        order = slots[i % len(slots) :] + slots[: i % len(slots)]
        for slot_id in order:
            attempts[i] += 1
            try:
                with sessions.begin() as s:
                    booking.book(s, slot_id, s.get(Patient, patients[i]), "sms", NOW)
                return "booked"
            except DomainError:
                continue
        return "refused"

    results, seconds = race(threads, work)
    with sessions.begin() as s:
        live = Counter(s.scalars(select(Appointment.slot_id).where(Appointment.status == "booked")))
        booked_slots = set(s.scalars(select(Slot.id).where(Slot.status == SlotStatus.BOOKED)))
    engine.dispose()
    outcome = Counter(r if isinstance(r, str) else "error" for r in results)
    return {
        "booked": outcome["booked"],
        "refused": outcome["refused"],
        "errors": outcome["error"],
        "doubles": sum(1 for n in live.values() if n > 1),
        "consistent": booked_slots == set(live),
        "transactions": sum(attempts.values()),
        "seconds": seconds,
    }


def bench_walkin(url: str, patients: int, places: int) -> dict:
    engine, sessions, ids = prepared(url, patients, places)

    def work(i: int) -> str:
        try:
            with sessions.begin() as s:
                walkin.join_walkin_queue(s, s.get(Clinic, "parc"), s.get(Patient, ids[i]), "sms", NOW)
            return "ticket"
        except DomainError as exc:
            return type(exc).__name__

    results, seconds = race(patients, work)
    with sessions.begin() as s:
        numbers = sorted(s.scalars(select(WalkinTicket.number)))
        day = s.scalar(select(WalkinDay))
    engine.dispose()
    outcome = Counter(r if isinstance(r, str) else "error" for r in results)
    return {
        "tickets": outcome["ticket"],
        "full": outcome["QueueFull"],
        "errors": outcome["error"],
        "gapless": numbers == list(range(1, len(numbers) + 1)) and len(set(numbers)) == len(numbers),
        "within_capacity": len(numbers) <= places and day.issued == len(numbers),
        "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres-url", help="admin URL of a PostgreSQL server to use")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--threads", type=int, default=200)
    parser.add_argument("--slots", type=int, default=20)
    parser.add_argument("--patients", type=int, default=500)
    parser.add_argument("--places", type=int, default=30)
    args = parser.parse_args()

    kinds = [args.only] if args.only else ["sqlite", "postgresql"]
    server = None
    admin = args.postgres_url
    if admin and admin.startswith("postgresql://"):
        admin = "postgresql+psycopg://" + admin[len("postgresql://") :]
    if "postgresql" in kinds and not admin:
        from tests.support.servers import PostgresServer

        server = PostgresServer().start()
        admin = server.admin_url
    rows = []
    try:
        with tempfile.TemporaryDirectory(prefix="clinicline-bench-") as tmp:
            for kind in kinds:
                b = bench_booking(fresh_database(kind, admin, Path(tmp)), args.threads, args.slots)
                w = bench_walkin(fresh_database(kind, admin, Path(tmp)), args.patients, args.places)
                rows.append((kind, b, w))
    finally:
        if server:
            server.stop()

    print(f"\n{args.threads} threads racing for {args.slots} slots (a refused patient tries the next slot)\n")
    print("| database | booked | refused | doubles | slots agree | errors | transactions | seconds |")
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for kind, b, _ in rows:
        print(
            f"| {kind} | {b['booked']} | {b['refused']} | {b['doubles']} | {'yes' if b['consistent'] else 'NO'} "
            f"| {b['errors']} | {b['transactions']} | {b['seconds']:.2f} |"
        )
    print(f"\n{args.patients} patients joining a {args.places}-place walk-in queue at once\n")
    print(
        "| database | tickets | refused (full) | numbers unique and gapless | capacity held | errors | seconds |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for kind, _, w in rows:
        print(
            f"| {kind} | {w['tickets']} | {w['full']} | {'yes' if w['gapless'] else 'NO'} "
            f"| {'yes' if w['within_capacity'] else 'NO'} | {w['errors']} | {w['seconds']:.2f} |"
        )


if __name__ == "__main__":
    main()
