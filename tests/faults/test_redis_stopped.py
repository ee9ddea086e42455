"""Redis stopped while patients book and cancel on the Procfile's web: no reply waits on Redis; every booking's
reminder is planned with it, once, and waits in the database for its day; the work due now (the freed slots
offered to the waiting list) waits in the outbox and is handed once Redis is back, and runs once even when
the worker runs it twice."""

from __future__ import annotations

import subprocess
import time

import pytest
import requests
from redis import Redis
from rq import Queue
from sqlalchemy import func, select

from core.db import make_engine, make_session_factory
from core.jobs import QUEUE_NAME
from core.jobs.names import OFFER_FREED_SLOT, SEND_MESSAGE
from core.models import Appointment, OutboundMessage, OutboxJob
from tests.conftest import _fresh_postgres_database
from tests.faults import load
from tests.faults.processes import ROOT, base_env, deploy, log_of, procfile_web, running
from tests.support.servers import free_port

pytestmark = pytest.mark.faults

PATIENTS = [load.phone(700 + n) for n in range(6)]
CANCELLING = PATIENTS[:2]
BOOKING = ("RDV après-demain", "1", "Marie Tremblay", "OUI")
CANCELLATION = ("ANNULER", "OUI")


def converse(base: str, phone: str, bodies: tuple[str, ...]) -> tuple[str, float]:
    """A conversation by text; returns the last reply and the slowest turn's seconds."""
    slowest, reply = 0.0, ""
    with requests.Session() as session:
        for body in bodies:
            status, reply, took = load.text(base, phone, body, session)
            assert status == 200, reply
            slowest = max(slowest, took)
    return reply, slowest


def test_bookings_made_while_redis_is_down_keep_their_reminders_and_hand_their_work_once_it_is_back(
    postgres_admin_url, redis_server, tmp_path
):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    database = _fresh_postgres_database(postgres_admin_url)
    env = base_env(
        DATABASE_URL=database.replace("postgresql+psycopg://", "postgresql://", 1),
        REDIS_URL=redis_server.url,
        CLINICLINE_INSTANCE=str(tmp_path),
        PUBLIC_BASE_URL=base,
        PORT=str(port),
        HOME=str(tmp_path),
    )
    deploy(env, tmp_path)
    engine = make_engine(database)
    sessions = make_session_factory(engine)
    try:
        with running(procfile_web(env, port, workers=2), env, tmp_path / "web.log", base):
            redis_server.stop()
            health = requests.get(base + "/healthz", timeout=15)
            assert health.status_code == 200  # patients are still answered
            assert health.json()["status"] == "degraded"
            assert health.json()["job_queue"] != "ok"

            replies = {}
            for phone in PATIENTS:
                replies[phone], slowest = converse(base, phone, BOOKING)
                assert slowest < 5, f"a turn waited {slowest:.1f} s with Redis down"
            for phone in CANCELLING:
                _, slowest = converse(base, phone, CANCELLATION)
                assert slowest < 5, f"a turn waited {slowest:.1f} s with Redis down"
            with sessions() as s:
                appointments = s.scalars(select(Appointment)).all()
                assert len(appointments) == len(PATIENTS)
                for appointment in appointments:  # each patient was told their own code
                    assert f"Code {appointment.code}" in replies[appointment.patient.phone]
                cancelled = sorted(a.slot_id for a in appointments if a.patient.phone in CANCELLING)
                assert [a.status for a in appointments if a.patient.phone in CANCELLING] == ["cancelled"] * 2
                planned = {
                    m.id: m.appointment_id
                    for m in s.scalars(select(OutboundMessage).where(OutboundMessage.purpose == "reminder"))
                }
                waiting = s.scalars(select(OutboxJob).where(OutboxJob.done_at.is_(None))).all()
            assert sorted(planned.values()) == sorted(a.id for a in appointments)  # planned with the booking
            assert sorted(row.args[0] for row in waiting if row.job == SEND_MESSAGE) == sorted(planned)
            assert sorted(row.args[0] for row in waiting if row.job == OFFER_FREED_SLOT) == cancelled
            assert all(row.handed_at is None for row in waiting)  # nothing was lost into a dead Redis

            redis_server.start()  # the same port: the web processes' dispatchers find it again
            queue = Queue(QUEUE_NAME, connection=Redis.from_url(redis_server.url))
            deadline = time.monotonic() + 60
            while queue.count < 1:
                assert time.monotonic() < deadline, (
                    f"nothing was handed to rq:\n{log_of(tmp_path / 'web.log')}"
                )
                time.sleep(0.2)
            with sessions() as s:  # all that is due, in as many hand-offs as it took
                deadline = time.monotonic() + 60
                while s.scalar(
                    select(func.count())
                    .select_from(OutboxJob)
                    .where(OutboxJob.handed_at.is_(None), OutboxJob.job != SEND_MESSAGE)
                ):
                    assert time.monotonic() < deadline, "some rows were never handed"
                    time.sleep(0.2)
                    s.expire_all()

            worker_line = (ROOT / "Procfile").read_text().split("worker:", 1)[1].splitlines()[0].split()
            worker_line = [w.replace("$REDIS_URL", redis_server.url) for w in worker_line]
            for _ in range(2):  # a second worker run (a re-delivered job) plans nothing twice
                done = subprocess.run(
                    [*worker_line, "--burst"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
                )
                assert done.returncode == 0, done.stdout + done.stderr
                assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr

        with sessions() as s:
            for appointment in s.scalars(select(Appointment)).all():
                reminders = s.scalars(
                    select(OutboundMessage).where(
                        OutboundMessage.appointment_id == appointment.id,
                        OutboundMessage.purpose == "reminder",
                    )
                ).all()
                assert len(reminders) == 1, f"appointment {appointment.id}: {len(reminders)} reminders"
                kept = appointment.patient.phone not in CANCELLING
                assert reminders[0].status == ("pending" if kept else "withdrawn")
            offered = [s.get(OutboxJob, row.id) for row in waiting if row.job == OFFER_FREED_SLOT]
            assert all(row.done_at is not None for row in offered)  # each ran (and may look again later)
            sends = s.scalars(select(OutboxJob).where(OutboxJob.job == SEND_MESSAGE)).all()
            assert len(sends) == len(PATIENTS)  # still waiting for the day before: nothing sent twice
            assert all(row.done_at is None and row.handed_at is None for row in sends)
    finally:
        engine.dispose()
