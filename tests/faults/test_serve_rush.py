"""`clinicline serve` (the embedded default: SQLite, in-process jobs) under a walk-in rush and a slot race.

More keep-alive connections than waitress's default limit (100) stay open while 400 patients text in
10 s, then 60 patients text the same booking conversation at the same moment: every request is answered
within Twilio's 15 s, nobody gets a slot twice, and the walk-in numbers have no holes. The full-size
figures (1,000 texts in 10 s, 200 racing patients, p99 at 100 clients) are measured by
bench/serve_rush.py: a test asserts behaviour, a benchmark measures speed on a machine that may be busy.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from core.models import Appointment, AppointmentStatus, WalkinTicket
from tests.faults import load
from tests.faults.processes import BIN, base_env, clinics_file, running
from tests.support.servers import free_port

pytestmark = pytest.mark.faults

TOLD = re.compile(r"num[ée]ro (\d+)")


def test_serve_holds_a_rush_and_a_race_without_timeouts(tmp_path: Path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = base_env(CLINICLINE_INSTANCE=str(tmp_path), CLINICLINE_CLINICS=str(clinics_file(tmp_path, 300)))
    with running([str(BIN / "clinicline"), "serve", "--port", str(port)], env, tmp_path / "serve.log", base):
        rush = load.rush(base, texts=400, seconds=10, clients=150, body="SANS RDV")
        race = load.race(base, patients=60)
    print(rush.line("rush"), race.line("race"), sep="\n")
    assert (rush.timeouts, rush.errors) == (0, 0), rush.line("rush")
    assert (race.timeouts, race.errors) == (0, 0), race.line("race")

    engine = create_engine(f"sqlite:///{tmp_path / 'clinicline.db'}")
    try:
        with engine.connect() as conn:
            numbers = sorted(conn.scalars(select(WalkinTicket.number)))
            per_slot = conn.execute(
                select(Appointment.slot_id, func.count())
                .where(Appointment.status == AppointmentStatus.BOOKED)
                .group_by(Appointment.slot_id)
            ).all()
    finally:
        engine.dispose()
    told = sorted(int(m.group(1)) for text in rush.bodies if (m := TOLD.search(text)))
    assert numbers == told == list(range(1, len(numbers) + 1))  # each number given once, and told
    assert all(count == 1 for _, count in per_slot)  # no slot booked twice
