"""The slot search's cost as a clinic grows: 2, 20 and 100 practitioners, on SQLite and PostgreSQL.

Usage: python bench/slot_search.py [--only sqlite|postgresql] [--runs 30] [--postgres-url ADMIN_URL]

Each clinic has the demo clinic's hours (Monday to Friday, 08:00-12:00 and 13:00-17:00, 15-minute slots)
over 30 days, on a fresh SQLite file or a fresh database of a PostgreSQL server started from its binaries
as the tests do (tests/support/servers.py), or of --postgres-url. For each wish, the median time of
`find_free_slots` (three slots, as a text offers) over --runs runs, each in a fresh session, the three
clinics taking turns run by run; the last
columns are the time at 100 practitioners over the time at 2 (the target: at most 2x), of the medians
and of the best runs (the best run is the least disturbed by other work on a shared machine). "busy" books every
slot of the first week first; "pooled" keeps every morning for staff (the line walks past those slots); a
"two-slot reason" needs the same practitioner's next slot free too. The reference row is the first search (every candidate loaded, filtered in
Python: tests/core/slot_reference.py), measured in the same run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select, text, update  # noqa: E402

from core.clinics_file import apply_clinic  # noqa: E402
from core.db import make_engine, make_session_factory, upgrade  # noqa: E402
from core.models import Clinic, Slot, SlotStatus  # noqa: E402
from core.services import booking  # noqa: E402
from core.services.booking import SlotQuery  # noqa: E402
from core.services.clinics import generate_slots  # noqa: E402
from core.timeutil import local_to_utc  # noqa: E402
from tests.core.slot_reference import reference_free_slots  # noqa: E402
from tests.support.servers import PostgresServer  # noqa: E402

TZ = "America/Toronto"
MONDAY = dt.date(2026, 12, 7)
NOW = local_to_utc(MONDAY, dt.time(9, 5), TZ)
SIZES = (2, 20, 100)
WISHES = {
    "RDV (first free)": SlotQuery(),
    "tomorrow morning": SlotQuery(date=MONDAY + dt.timedelta(days=1), part_of_day="morning"),
    "Thursday after 15:00": SlotQuery(date=MONDAY + dt.timedelta(days=3), after=dt.time(15)),
    "any evening (none: nearest)": SlotQuery(part_of_day="evening"),
    "at 14:30, any day": SlotQuery(at=dt.time(14, 30)),
    "Saturday (closed: nearest)": SlotQuery(date=MONDAY + dt.timedelta(days=5)),
    "in two weeks, afternoon": SlotQuery(date=MONDAY + dt.timedelta(days=15), part_of_day="afternoon"),
}


def clinic_spec(practitioners: int) -> dict:
    return {
        "id": f"c{practitioners}",
        "name": f"Clinique {practitioners}",
        "timezone": TZ,
        "twilio_numbers": [f"+1514555{practitioners:04d}"],
        "slot_minutes": 15,
        "practitioner": [{"key": f"p{n}", "name": f"Dr {n}"} for n in range(practitioners)],
        "appointments": {"hours": {"mon-fri": ["08:00-12:00", "13:00-17:00"]}},
    }


def build(url: str) -> tuple:
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    counts = {}
    for size in SIZES:
        with sessions.begin() as s:
            clinic = apply_clinic(s, clinic_spec(size))
            s.flush()
            generate_slots(s, clinic, NOW, 30)
        with sessions.begin() as s:  # every morning kept for staff (a pool): the line walks past them
            spec = clinic_spec(size) | {"id": f"c{size}p", "twilio_numbers": [f"+1438556{size:04d}"]}
            spec["pool"] = [{"key": "kept", "days": "mon-sun", "times": ["08:00-12:00"]}]
            clinic = apply_clinic(s, spec)
            s.flush()
            generate_slots(s, clinic, NOW, 30)
        with sessions() as s:
            counts[f"c{size}p"] = s.scalar(
                select(func.count()).select_from(Slot).where(Slot.clinic_id == f"c{size}p")
            )
        for busy in (False, True):
            cid = f"c{size}" + ("b" if busy else "")
            if busy:
                with sessions.begin() as s:
                    spec = clinic_spec(size) | {"id": cid, "twilio_numbers": [f"+1438555{size:04d}"]}
                    clinic = apply_clinic(s, spec)
                    s.flush()
                    generate_slots(s, clinic, NOW, 30)
                    s.execute(
                        update(Slot)
                        .where(Slot.clinic_id == cid, Slot.starts_at < NOW + dt.timedelta(days=7))
                        .values(status=SlotStatus.BOOKED)
                    )
            with sessions() as s:
                counts[cid] = s.scalar(select(func.count()).select_from(Slot).where(Slot.clinic_id == cid))
    if url.startswith("postgresql"):
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))
    return engine, sessions, counts


def timed(sessions, search, cids: list[str], query: SlotQuery, runs: int) -> tuple[list[float], list[float]]:
    """(median, best) milliseconds of one search per clinic, each run in a fresh session; the clinics take
    turns run by run, so that a burst of load on the machine falls on all of them alike."""
    times: dict[str, list[float]] = {cid: [] for cid in cids}
    for _ in range(runs):
        for cid in cids:
            with sessions() as s:
                clinic = s.get(Clinic, cid)
                started = time.perf_counter()
                found = search(s, clinic, NOW, query, limit=3)
                times[cid].append((time.perf_counter() - started) * 1000)
                assert found.slots, (cid, query)
    return [statistics.median(times[cid]) for cid in cids], [min(times[cid]) for cid in cids]


def bench(kind: str, url: str, runs: int) -> None:
    engine, sessions, counts = build(url)
    try:
        sizes = ", ".join(f"{n}: {counts[f'c{n}']:,}" for n in SIZES)
        print(f"\n== {kind} (slots per clinic by practitioners — {sizes}) ==")
        print(
            f"{'wish (median of runs)':<32}"
            + "".join(f"{f'{n} pract.':>12}" for n in SIZES)
            + f"{'100 / 2':>10}{'best-of 100 / 2':>17}"
        )
        rows = [(name, query, "") for name, query in WISHES.items()]
        rows.append(("RDV, first week all booked", SlotQuery(), "b"))
        rows.append(("RDV, every morning pooled", SlotQuery(), "p"))
        rows.append(("two-slot reason, first free", SlotQuery(length=2), ""))
        rows.append(
            (
                "two-slot reason, tomorrow pm",
                SlotQuery(date=MONDAY + dt.timedelta(days=1), part_of_day="afternoon", length=2),
                "",
            )
        )
        rows.append(("two-slot reason, week booked", SlotQuery(length=2), "b"))
        for name, query, suffix in rows:
            ms, best = timed(sessions, booking.find_free_slots, [f"c{n}{suffix}" for n in SIZES], query, runs)
            print(
                f"{name:<32}"
                + "".join(f"{m:>10.2f}ms" for m in ms)
                + f"{ms[-1] / ms[0]:>9.2f}x{best[-1] / best[0]:>16.2f}x"
            )
        reference_runs = max(1, runs // 10)
        ms, best = timed(
            sessions, reference_free_slots, [f"c{n}" for n in SIZES], SlotQuery(), reference_runs
        )
        print(
            f"{'reference, RDV (Python filter)':<32}"
            + "".join(f"{m:>10.1f}ms" for m in ms)
            + f"{ms[-1] / ms[0]:>9.1f}x{best[-1] / best[0]:>16.1f}x"
        )
    finally:
        engine.dispose()


def fresh_postgres(admin_url: str) -> str:
    name = "slots_" + uuid.uuid4().hex[:10]
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return admin_url.rsplit("/", 1)[0] + "/" + name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--postgres-url", help="an admin URL of a PostgreSQL server to use")
    args = parser.parse_args()
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory(prefix="clinicline-slots-") as tmp:
            bench("SQLite", f"sqlite:///{Path(tmp) / 'slots.db'}", args.runs)
    if args.only in (None, "postgresql"):
        server = None
        admin = args.postgres_url
        if admin is None:
            server = PostgresServer().start()
            admin = server.admin_url
        admin = admin.replace("postgresql://", "postgresql+psycopg://", 1)
        try:
            bench("PostgreSQL", fresh_postgres(admin), args.runs)
        finally:
            if server is not None:
                server.stop()


if __name__ == "__main__":
    main()
