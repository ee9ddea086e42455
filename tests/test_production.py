"""The production contract, deployed as an operator deploys it (DESIGN.md §3, §6; README "Production").

The Procfile's own command lines run as subprocesses: `clinicline db upgrade` and `clinicline clinics load`
on a PostgreSQL URL written the way an operator writes it (postgresql://…), the `web:` gunicorn on the app
factory, the `clock:` rq cron, and the `worker:` rq worker (in burst mode so the test knows when it is
done). Patients text it with signed, Twilio-shaped webhooks over HTTP; outbound messages go to a fake Twilio
REST API through TWILIO_API_BASE_URL. The real clock is used, so the clinic of this test takes walk-ins and
appointments every day, all day.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from redis import Redis
from rq import Queue
from rq.cron import CronScheduler
from rq.registry import FailedJobRegistry, ScheduledJobRegistry
from sqlalchemy import select

from core.db import make_engine, make_session_factory
from core.jobs import QUEUE_NAME
from core.models import (
    Appointment,
    AppointmentStatus,
    OutboundMessage,
    OutboxJob,
    Patient,
    TicketStatus,
    WalkinTicket,
)
from tests.conftest import _fresh_postgres_database
from tests.sms.support import label, slots
from tests.support.servers import free_port
from tests.support.twilio_requests import (
    Texter,
    message_texts,
    signed_post,
    sms_form,
    status_form,
    twiml_root,
)

pytestmark = pytest.mark.production
READY_SECONDS = 120

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent  # gunicorn, rq and clinicline, as on the PATH of a deployed virtualenv
CLINIC_NUMBER = "+15145550100"
MARIE, ANNA = "+15145551001", "+15145551002"

# Open every day, all day: the test runs on the real clock, whatever the hour.
CLINICS_FILE = """
[[clinic]]
id = "essai"
name = "Clinique Essai"
default_lang = "fr"
timezone = "America/Toronto"
twilio_numbers = ["+15145550100"]
phone = "+15145550199"
slot_minutes = 15

[[clinic.practitioner]]
key = "dre-tremblay"
name = "Dre Tremblay"

[clinic.appointments.hours]
"mon-sun" = ["08:00-17:00"]

[clinic.walkin]
days = "mon-sun"
opens = "00:00"
closes = "23:59"
capacity = 30
minutes_per_patient = 15

[clinic.settings]
notice_places = 3
reminder_days_before = [1]
"""


# -- the Procfile, run as written ------------------------------------------------------------------


def procfile() -> dict[str, str]:
    """The process types of the Procfile: name -> command line."""
    processes = {}
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, command = line.partition(":")
            processes[name.strip()] = command.strip()
    return processes


def command(process: str, env: dict[str, str]) -> list[str]:
    """A Procfile line as its runner would execute it: split like a shell, $VARIABLES expanded."""

    def expand(word: str) -> str:
        return re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m.group(1), ""), word)

    return [expand(word) for word in shlex.split(procfile()[process])]


def web_command(env: dict[str, str], port: int) -> list[str]:
    """The `web:` line listening on the given local port (any --bind of the line replaced)."""
    words, result = command("web", env), []
    skip = False
    for word in words:
        if skip:
            skip = False
        elif word in ("-b", "--bind"):
            skip = True
        elif not word.startswith("--bind="):
            result.append(word)
    return [*result, "--bind", f"127.0.0.1:{port}"]


def stop(process: subprocess.Popen, timeout: float = 20) -> int:
    """SIGTERM a process started in a session of its own; wait until nothing of its group is left."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    code = process.wait(timeout)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(process.pid, 0)
        except ProcessLookupError:
            return code
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    raise AssertionError(f"processes of {process.args[0]} outlived it")


class Http:
    """The Flask-test-client calls that tests.support.twilio_requests makes, over real HTTP."""

    class Answer:
        def __init__(self, response: requests.Response):
            self.status_code, self.text = response.status_code, response.text

        def get_data(self, as_text: bool = False):
            return self.text if as_text else self.text.encode()

    def __init__(self, base_url: str, session: requests.Session):
        self.base_url, self.session = base_url, session

    def post(self, path: str, data: dict[str, str], headers: dict[str, str]) -> Answer:
        return self.Answer(self.session.post(self.base_url + path, data=data, headers=headers, timeout=15))


def log_of(path: Path) -> str:
    return path.read_text(errors="replace")[-4000:] if path.exists() else ""


# -- the deployment ----------------------------------------------------------------------------------


@pytest.fixture
def redis(redis_url):
    connection = Redis.from_url(redis_url)
    connection.flushdb()  # no job or cron scheduler left over from another test
    yield connection
    connection.flushdb()
    connection.close()


@pytest.fixture
def operator_env(postgres_admin_url, redis_url, redis, fake_twilio, tmp_path):
    """The environment an operator sets: URLs of PostgreSQL and Redis, Twilio credentials, the public URL."""
    port = free_port()
    database = _fresh_postgres_database(postgres_admin_url).replace(
        "postgresql+psycopg://", "postgresql://", 1
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLINICLINE_", "TWILIO_"))}
    env |= {
        "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        "DATABASE_URL": database,
        "REDIS_URL": redis_url,
        "TWILIO_ACCOUNT_SID": fake_twilio.account_sid,
        "TWILIO_AUTH_TOKEN": fake_twilio.auth_token,
        "TWILIO_API_BASE_URL": fake_twilio.base_url,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "PORT": str(port),
        "PYTHONUNBUFFERED": "1",
        "HOME": str(
            tmp_path
        ),  # gunicorn puts its control socket under ~/.gunicorn: keep it in the test's folder
    }
    return env


def deploy(env: dict[str, str], tmp_path: Path) -> None:
    """The deploy-time commands of the README: migrate, then load the clinics file."""
    clinics = tmp_path / "clinics.toml"
    clinics.write_text(CLINICS_FILE)
    for args in (["db", "upgrade"], ["clinics", "load", str(clinics)]):
        done = subprocess.run(
            ["clinicline", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, f"clinicline {' '.join(args)} failed:\n{done.stdout}{done.stderr}"
    assert "loaded essai" in done.stdout, done.stdout


def start_web(env: dict[str, str], tmp_path: Path) -> tuple[subprocess.Popen, str]:
    """The `web:` process; returns it once GET /healthz answers 200."""
    base = env["PUBLIC_BASE_URL"]
    log = tmp_path / "web.log"
    with log.open("wb") as out:
        web = subprocess.Popen(
            web_command(env, int(env["PORT"])),
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        # A busy machine may take long to start four workers: wait generously, and each try may take
        # as long as it needs (the first request of a worker imports and connects).
        deadline = time.monotonic() + READY_SECONDS
        last = "no answer"
        while time.monotonic() < deadline:
            assert web.poll() is None, f"gunicorn exited with {web.returncode}:\n{log_of(log)}"
            try:
                health = requests.get(base + "/healthz", timeout=15)
            except requests.RequestException as exc:
                last = type(exc).__name__
                time.sleep(0.2)
                continue
            if health.status_code == 200:
                assert health.json() == {"status": "ok", "database": "ok", "jobs": "rq", "job_queue": "ok"}
                return web, base
            last = f"{health.status_code} {health.text}"
            time.sleep(0.2)
        raise AssertionError(f"/healthz not ready after {READY_SECONDS} s ({last}):\n{log_of(log)}")
    except BaseException:
        stop(web)  # never leave a server behind for the next test
        raise


def job_names(redis: Redis) -> list[str]:
    """The functions of the jobs waiting on the clinicline queue."""
    return sorted(job.func_name for job in Queue(QUEUE_NAME, connection=redis).get_jobs())


# -- the test ------------------------------------------------------------------------------------------


def test_the_procfile_deployment_answers_texts_and_its_worker_sends_through_twilio(
    operator_env, redis, fake_twilio, tmp_path
):
    env = operator_env
    deploy(env, tmp_path)
    db = make_engine(env["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1))
    sessions = make_session_factory(db)
    web, base = start_web(env, tmp_path)
    try:
        with requests.Session() as http_session:
            http = Http(base, http_session)
            token = env["TWILIO_AUTH_TOKEN"]

            # A patient books by text: offer, choice, name, read-back, yes.
            marie = Texter(http, token, MARIE, CLINIC_NUMBER, base_url=base, max_segments=2)
            offer = marie("RDV après-demain")  # the day-before reminder is then always still to come
            assert offer.status == 200, offer.xml
            assert 1 <= len(slots(offer)) <= 3, offer.xml
            asked = marie("1")
            assert asked.status == 200, asked.xml
            assert not asked.choices, asked.xml
            read_back = marie("Marie Tremblay")
            assert label(slots(offer)[0]) in read_back.text, read_back.xml
            done = marie("OUI")
            with sessions() as s:
                (appointment,) = s.scalars(select(Appointment).join(Patient).where(Patient.phone == MARIE))
                assert appointment.status == AppointmentStatus.BOOKED
            assert appointment.code in done.text, done.xml

            # Another joins the walk-in queue: first in line, so her turn is near at once.
            anna = Texter(http, token, ANNA, CLINIC_NUMBER, base_url=base, max_segments=2)
            joined = anna("SANS RDV")
            with sessions() as s:
                (ticket,) = s.scalars(select(WalkinTicket).join(Patient).where(Patient.phone == ANNA))
                assert (ticket.status, ticket.number) == (TicketStatus.WAITING, 1)
            assert joined.status == 200, joined.xml
            assert re.search(r"\b1\b", joined.text), joined.xml

            # A request Twilio did not sign is refused; the fallback URLs answer without the database.
            forged = signed_post(
                http, "/sms", sms_form(MARIE, CLINIC_NUMBER, "RDV"), token, base_url=base, signature="forged"
            )
            assert forged.status_code == 403
            fallback = signed_post(
                http, "/fallback/sms", sms_form(MARIE, CLINIC_NUMBER, "?"), token, base_url=base
            )
            assert fallback.status_code == 200, fallback.text
            assert "9-1-1" in message_texts(fallback.text)[0], fallback.text
            call = {
                "CallSid": "CA" + "1" * 32,
                "From": MARIE,
                "To": CLINIC_NUMBER,
                "AccountSid": "AC" + "0" * 32,
            }
            voice = signed_post(http, "/fallback/voice", call, token, base_url=base)
            assert voice.status_code == 200, voice.text
            assert list(twiml_root(voice.text).iter("Say")), voice.text

            # The webhooks wrote their follow-up work in their own transactions (the outbox): the booking
            # its reminder's sending, due the day before; the walk-in the check of whose turn is near,
            # which the web process's dispatcher handed at once to the queue the worker listens to.
            with sessions() as s:
                written = sorted(s.scalars(select(OutboxJob.job)))
            assert written == ["core.jobs.tasks.check_queue_notices", "core.jobs.tasks.send_message"]
            deadline = time.monotonic() + 30
            while len(job_names(redis)) < 1:
                assert time.monotonic() < deadline, "the outbox was not handed to rq"
                time.sleep(0.1)
            assert job_names(redis) == ["core.jobs.outbox.run"]
            assert fake_twilio.requests == []  # nothing went out from the web process

            # The clock process registers its periodic jobs and enqueues the first tick at once.
            cron_log = tmp_path / "cron.log"
            with cron_log.open("wb") as out:
                cron = subprocess.Popen(
                    command("clock", env),
                    cwd=ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            try:
                deadline = time.monotonic() + 15
                while "core.jobs.tasks.tick" not in job_names(redis):
                    assert cron.poll() is None, f"rq cron exited with {cron.returncode}:\n{log_of(cron_log)}"
                    assert time.monotonic() < deadline, f"no tick enqueued:\n{log_of(cron_log)}"
                    time.sleep(0.1)
                (scheduler,) = CronScheduler.all(redis)
                registered = {job["func_name"] for job in json.loads(scheduler.to_dict()["cron_jobs"])}
                assert registered == {"core.jobs.tasks.tick", "core.jobs.tasks.purge_old_data"}, registered
            finally:
                assert stop(cron) == 0, log_of(cron_log)
            assert CronScheduler.all(redis) == []  # it said goodbye

            # The worker, in burst mode, runs everything queued and stops.
            worker = subprocess.run(
                [*command("worker", env), "--burst"],
                cwd=ROOT,
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            output = worker.stdout + worker.stderr
            assert worker.returncode == 0, output
            assert "Traceback" not in output, output
            assert FailedJobRegistry(QUEUE_NAME, connection=redis).get_job_ids() == [], output
            assert job_names(redis) == [], output

            # Anna got her "your turn is near" SMS, from the clinic's number, with our status callback.
            (create,) = fake_twilio.creates("Messages")
            (sms,) = fake_twilio.messages_to(ANNA)
            assert sms["from"] == CLINIC_NUMBER, sms
            assert "Clinique Essai" in sms["body"], sms
            assert create.value("StatusCallback") == base + "/sms/status"
            assert fake_twilio.creates("Calls") == []

            # Marie's reminder waits in the outbox, due the day before her appointment.
            with sessions() as s:
                (notice,) = s.scalars(
                    select(OutboundMessage).where(OutboundMessage.purpose == "queue_notice")
                )
                (reminder,) = s.scalars(select(OutboundMessage).where(OutboundMessage.purpose == "reminder"))
                ticket = s.get(WalkinTicket, ticket.id)
            assert (notice.status, notice.twilio_sid, notice.to) == ("sent", sms["sid"], ANNA)
            assert ticket.status == TicketStatus.NOTIFIED
            assert (reminder.status, reminder.to, reminder.appointment_id) == (
                "pending",
                MARIE,
                appointment.id,
            )
            with sessions() as s:
                (waiting,) = s.scalars(select(OutboxJob).where(OutboxJob.done_at.is_(None)))
            assert (waiting.job, waiting.args) == ("core.jobs.tasks.send_message", [reminder.id])
            assert waiting.due_at == reminder.send_after > dt.datetime.now(dt.UTC)
            assert ScheduledJobRegistry(QUEUE_NAME, connection=redis).get_job_ids() == []

            # Twilio reports the delivery; the web process records it on the message.
            status = signed_post(
                http, "/sms/status", status_form(sms["sid"], "delivered"), token, base_url=base
            )
            assert status.status_code == 204, status.text
            with sessions() as s:
                assert s.get(OutboundMessage, notice.id).status == "delivered"
    finally:
        code = stop(web)
        db.dispose()
    assert code == 0, log_of(tmp_path / "web.log")
    assert "Traceback" not in log_of(tmp_path / "web.log"), log_of(tmp_path / "web.log")
