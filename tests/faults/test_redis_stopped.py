"""Redis stopped while patients book on the Procfile's web: every booking's reminder is planned once Redis
is back, none twice, and no reply waits on Redis."""

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
from core.models import Appointment, OutboundMessage, OutboxJob
from tests.conftest import _fresh_postgres_database
from tests.faults import load
from tests.faults.processes import ROOT, base_env, deploy, log_of, procfile_web, running
from tests.support.servers import free_port

pytestmark = pytest.mark.faults

PATIENTS = [load.phone(700 + n) for n in range(6)]


def book(base: str, phone: str) -> tuple[str, float]:
    """A booking conversation by text; returns the last reply and the slowest turn's seconds."""
    slowest, reply = 0.0, ""
    with requests.Session() as session:
        for body in ("RDV après-demain", "1", "Marie Tremblay", "OUI"):
            status, reply, took = load.text(base, phone, body, session)
            assert status == 200, reply
            slowest = max(slowest, took)
    return reply, slowest


def test_bookings_made_while_redis_is_down_get_their_reminders_once_redis_is_back(
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
                replies[phone], slowest = book(base, phone)
                assert slowest < 5, f"a turn waited {slowest:.1f} s with Redis down"
            with sessions() as s:
                appointments = s.scalars(select(Appointment)).all()
                assert len(appointments) == len(PATIENTS)
                for appointment in appointments:  # each patient was told their own code
                    assert f"Code {appointment.code}" in replies[appointment.patient.phone]
                waiting = s.scalars(select(OutboxJob).where(OutboxJob.done_at.is_(None))).all()
            assert sorted(row.args[0] for row in waiting if row.job.endswith("schedule_reminders")) == sorted(
                a.id for a in appointments
            )
            assert all(row.handed_at is None for row in waiting)  # nothing was lost into a dead Redis

            redis_server.start()  # the same port: the web processes' dispatchers find it again
            queue = Queue(QUEUE_NAME, connection=Redis.from_url(redis_server.url))
            deadline = time.monotonic() + 60
            while queue.count < 1:
                assert time.monotonic() < deadline, (
                    f"nothing was handed to rq:\n{log_of(tmp_path / 'web.log')}"
                )
                time.sleep(0.2)
            with sessions() as s:  # all of them, in as many hand-offs as it took
                deadline = time.monotonic() + 60
                while s.scalar(
                    select(func.count()).select_from(OutboxJob).where(OutboxJob.handed_at.is_(None))
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
                assert reminders[0].status == "pending"
            done_rows = s.scalars(select(OutboxJob).where(OutboxJob.job.endswith("schedule_reminders"))).all()
            assert len(done_rows) == len(PATIENTS)
            assert all(row.done_at is not None for row in done_rows)
    finally:
        engine.dispose()
