"""The production queue: a real redis-server, rq workers in burst mode, and a worker killed mid-request."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from redis import Redis
from rq import Queue, SimpleWorker
from rq.registry import ScheduledJobRegistry
from sqlalchemy import select

from core.jobs import QUEUE_NAME, RQQueue, attach_queue, delivery, outbox
from core.jobs.context import using
from core.jobs.names import SEND_MESSAGE
from core.models import OutboxJob, utcnow
from core.services import notifications
from tests.conftest import make_runtime
from tests.jobs.conftest import WEDNESDAY, messages, twilio_settings
from tests.support.arrange import book

ANNA = "+15145551001"
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def redis(redis_url):
    connection = Redis.from_url(redis_url)
    connection.flushdb()  # nothing left over from another test's database
    yield connection
    connection.flushdb()
    connection.close()


def rq_runtime(sqlite_url, clock, tmp_path, fake_twilio, redis_url, **extra):
    runtime = make_runtime(
        sqlite_url, clock, tmp_path, redis_url=redis_url, extra=extra, **twilio_settings(fake_twilio)
    )
    attach_queue(runtime)
    return runtime


def outbox_rows(runtime, done: bool) -> list[OutboxJob]:
    """The outbox rows, done or not yet done."""
    with runtime.session_factory() as s:
        done_at = OutboxJob.done_at.is_not(None) if done else OutboxJob.done_at.is_(None)
        return list(s.scalars(select(OutboxJob).where(done_at).order_by(OutboxJob.id)))


def kill_worker(pid: int) -> None:
    """SIGKILL an rq worker and its work horse (the horse runs in a process group of its own)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            children.append(int(stat.parent.name))
    for child in children:
        os.killpg(os.getpgid(child), signal.SIGKILL)
    os.killpg(pid, signal.SIGKILL)


def work(runtime, redis) -> None:
    """One rq worker in burst mode, in this process, with the test's runtime (and its clock)."""
    with using(runtime):
        SimpleWorker([Queue(QUEUE_NAME, connection=redis)], connection=redis).work(burst=True)


def test_with_redis_jobs_go_to_rq_and_a_burst_worker_sends_them(
    sqlite_url, clock, tmp_path, fake_twilio, redis_url, redis
):
    runtime = rq_runtime(sqlite_url, clock, tmp_path, fake_twilio, redis_url)
    try:
        assert isinstance(runtime.jobs, RQQueue)
        appointment_id = book(runtime, ANNA, day=WEDNESDAY, at=dt.time(10, 0)).id
        runtime.jobs.enqueue("core.jobs.tasks.send_confirmation", appointment_id, "booked")
        work(runtime, redis)
        (sms,) = fake_twilio.messages_to(ANNA)
        assert "RDV confirmé" in sms["body"]
        (reminder,) = messages(runtime, purpose="reminder")
        assert ScheduledJobRegistry(QUEUE_NAME, connection=redis).get_job_ids() == []
        (row,) = outbox_rows(runtime, done=False)  # the reminder waits in the database, not in Redis
        assert (row.job, row.args, row.due_at) == (SEND_MESSAGE, [reminder.id], reminder.send_after)
        assert outbox.dispatch(runtime) == 0  # not yet due
        clock.current = reminder.send_after
        assert outbox.dispatch(runtime) == 1
        work(runtime, redis)
        assert messages(runtime, purpose="reminder")[0].status == "sent"
        assert outbox_rows(runtime, done=False) == []
    finally:
        runtime.dispose()


def test_a_worker_killed_while_twilio_answers_does_not_send_twice(
    sqlite_url, clock, tmp_path, fake_twilio, redis_url, redis
):
    clock.current = utcnow().replace(microsecond=0)  # the worker process runs on the real clock
    runtime = rq_runtime(sqlite_url, clock, tmp_path, fake_twilio, redis_url, send_lease_seconds=0)
    try:
        appointment_id = book(runtime, ANNA, day=WEDNESDAY, at=dt.time(10, 0)).id
        with runtime.session_factory.begin() as s:
            message_id = notifications.confirmation(s, appointment_id, "booked", clock()).id
        hold = fake_twilio.hold(ANNA, after_create=True)  # Twilio accepts, then the answer is slow
        runtime.jobs.enqueue("core.jobs.tasks.send_message", message_id)
        env = os.environ | {
            "DATABASE_URL": sqlite_url,
            "CLINICLINE_INSTANCE": str(tmp_path),
            "TWILIO_ACCOUNT_SID": fake_twilio.account_sid,
            "TWILIO_AUTH_TOKEN": fake_twilio.auth_token,
            "TWILIO_API_BASE_URL": fake_twilio.base_url,
            "PUBLIC_BASE_URL": "https://clinic.example",
        }
        rq = Path(sys.executable).with_name("rq")
        worker = subprocess.Popen(
            [str(rq), "worker", "--burst", "--url", redis_url, QUEUE_NAME],
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            assert hold.arrived.wait(60), "the worker never reached Twilio"
        finally:
            kill_worker(worker.pid)  # the worker and its work horse die mid-request
            worker.wait(10)
            hold.release.set()
        (message,) = messages(runtime, purpose="confirmation_booked")
        assert (message.status, message.attempts, message.twilio_sid) == ("sending", 1, None)
        assert len(fake_twilio.messages_to(ANNA)) == 1

        runtime.jobs.enqueue("core.jobs.tasks.tick")  # the periodic sweep finds the abandoned attempt
        work(runtime, redis)
        (message,) = messages(runtime, purpose="confirmation_booked")
        (sms,) = fake_twilio.messages_to(ANNA)
        assert (message.status, message.attempts, message.twilio_sid) == ("sent", 2, sms["sid"])
        assert len(fake_twilio.creates(to=ANNA)) == 1
    finally:
        runtime.dispose()


def test_a_worker_that_died_before_asking_twilio_sends_exactly_once(jobs_runtime, clock, fake_twilio):
    appointment_id = book(jobs_runtime, ANNA, day=WEDNESDAY, at=dt.time(10, 0)).id
    with jobs_runtime.session_factory.begin() as s:
        message_id = notifications.confirmation(s, appointment_id, "booked", clock()).id
    outcome, _ = delivery._claim(jobs_runtime, message_id)  # claimed and committed; then the process dies
    assert outcome == "go"
    with using(jobs_runtime):
        assert delivery.send_message(jobs_runtime, message_id) == "busy"  # the lease still holds
    with jobs_runtime.session_factory.begin() as s:  # two minutes later
        s.get(type(messages(jobs_runtime)[0]), message_id).claimed_at = utcnow() - dt.timedelta(minutes=3)
    jobs_runtime.jobs.enqueue("core.jobs.tasks.tick")
    jobs_runtime.jobs.drain()
    (message,) = messages(jobs_runtime, purpose="confirmation_booked")
    assert (message.status, message.attempts) == ("sent", 2)
    assert len(fake_twilio.creates(to=ANNA)) == 1
