"""What the live day page's poll costs: an idle poll (stamp unchanged), a poll that brings the board, a full page.

    .venv/bin/python bench/live_poll.py [--polls 500] [--database-url URL]

A busy Monday at Clinique du Parc (30 walk-ins, every appointment slot of the day booked) on a fresh SQLite
file (or the given database, which must be empty); a signed-in receptionist's client (Flask's test client,
in process, so the figures are the server's work without the network). Prints JSON: milliseconds per
request (median and 95th percentile) and statements per request, for each kind.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import event  # noqa: E402

from clinicline.app import create_app  # noqa: E402
from core.clinics_file import EXAMPLE_FILE, load_clinics  # noqa: E402
from core.config import Config  # noqa: E402
from core.db import make_engine, make_session_factory, upgrade  # noqa: E402
from core.jobs import attach_queue  # noqa: E402
from core.models import Clinic  # noqa: E402
from core.runtime import Runtime  # noqa: E402
from core.services import accounts, board, booking, live_board, people, walkin  # noqa: E402
from core.services.patients import get_or_create_patient  # noqa: E402

MONDAY_9AM = dt.datetime(2026, 12, 7, 14, 0, tzinfo=dt.UTC)
PASSWORD = "bench-password-long-enough"


def busy_day(url: str, folder: Path) -> Runtime:
    config = Config.from_env({}, database_url=url, instance_path=folder, testing=True)
    engine = make_engine(url)
    upgrade(engine)
    runtime = Runtime(
        config=config, engine=engine, session_factory=make_session_factory(engine), clock=lambda: MONDAY_9AM
    )
    now = MONDAY_9AM
    with runtime.session_factory.begin() as s:
        load_clinics(s, EXAMPLE_FILE, now, config.slot_horizon_days)
        accounts.create(s, "julie", "Julie Tremblay", PASSWORD, {"parc": "reception"}, now)
    with runtime.session_factory.begin() as s:
        parc = s.get(Clinic, "parc")
        for n in range(30):
            patient = get_or_create_patient(s, f"+1514555{4000 + n:04d}")
            person = people.person_for(s, patient, f"Patient {n}", now)
            walkin.join_walkin_queue(s, parc, patient, "sms", now, person=person)
        slots = board.free_slots_of_day(s, parc, now.date(), now)
        for n, slot in enumerate(slots):
            patient = get_or_create_patient(s, f"+1514556{4000 + n:04d}")
            booking.book(
                s, slot.id, patient, "sms", now, person=people.person_for(s, patient, f"RDV {n}", now)
            )
    attach_queue(runtime, background=False)
    return runtime


def measure(client, engine, path: str, polls: int) -> dict:
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(engine, "before_cursor_execute", count)
    times = []
    for _ in range(polls):
        start = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    event.remove(engine, "before_cursor_execute", count)
    times.sort()
    return {
        "ms_median": round(statistics.median(times), 2),
        "ms_p95": round(times[int(len(times) * 0.95) - 1], 2),
        "statements_per_request": round(len(statements) / polls, 2),
        "bytes": len(response.data),
    }


def stamp_alone(runtime: Runtime, polls: int) -> dict:
    """The one statement an idle poll adds, timed on its own (a session and its transaction each time)."""
    times = []
    for _ in range(polls):
        with runtime.session_factory() as s:
            clinic = s.get(Clinic, "parc")
            start = time.perf_counter()
            live_board.day_stamp(s, clinic, MONDAY_9AM.date())
            times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {
        "ms_median": round(statistics.median(times), 3),
        "ms_p95": round(times[int(len(times) * 0.95) - 1], 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--polls", type=int, default=500)
    parser.add_argument("--database-url", help="an empty database (default: a fresh SQLite file)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="clinicline-live-bench-"))
    url = args.database_url or f"sqlite:///{folder / 'bench.db'}"
    runtime = busy_day(url, folder)
    with runtime.session_factory() as s:
        booked = len(board.todays_board(s, s.get(Clinic, "parc"), MONDAY_9AM).appointments)
    app = create_app(runtime=runtime)
    client = app.test_client()
    page = client.get("/staff/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/staff/login", data={"login": "julie", "password": PASSWORD, "csrf_token": token})
    stamp = client.get("/staff/parc/live.json").get_json()["stamp"]
    results = {
        "database": make_engine(url).dialect.name,
        "tickets": 30,
        "appointments": booked,
        "idle_poll": measure(client, runtime.engine, f"/staff/parc/live.json?stamp={stamp}", args.polls),
        "changed_poll": measure(client, runtime.engine, "/staff/parc/live.json", max(50, args.polls // 5)),
        "full_page": measure(client, runtime.engine, "/staff/parc/", max(50, args.polls // 5)),
    }
    results["stamp_query_alone"] = stamp_alone(runtime, args.polls)
    runtime.dispose()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
