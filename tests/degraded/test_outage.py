"""An outage as it happens in production: the Procfile's gunicorn, PostgreSQL stopped, then back.

PostgreSQL stops; 20 patients text "SANS RDV" and 3 callers ask for a callback on the short phone menu;
each is told it is recorded; a patient reads her appointments from the snapshot. PostgreSQL comes back and
the web process replays the spool; it is SIGKILLed in the middle of the replay (held at the 11th entry by
a row lock that a prepared transaction keeps across the restart); a new web process finishes the replay.
Then: numbers issued in arrival order up to the capacity, the others told the queue is full, one outcome
message per patient sent through the fake Twilio REST API and stored, the callbacks in the console, and
nothing twice.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import stat
import subprocess
import time
from pathlib import Path

import psycopg
import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine, func, select, text

from core.db import make_engine, make_session_factory
from core.models import CallbackRequest, OutboundMessage, Patient, ProcessedEvent, WalkinTicket
from prompts import render
from tests.degraded.servers import StoppablePostgres
from tests.support.arrange import book
from tests.support.servers import free_port
from tests.support.twilio_requests import Texter
from tests.test_production import BIN, ROOT, Http, command, log_of, stop, web_command
from tests.voice.walker import Call

pytestmark = pytest.mark.production

CLINIC = "+15145550100"
CAPACITY = 15
TEXTERS = [f"+1514555{3100 + i:04d}" for i in range(20)]
CALLERS = [f"+1514555{3200 + i:04d}" for i in range(3)]
HELD = 10  # the replay is held at this entry (0-based): the 11th patient's row is locked
MARIE = "+15145553300"
PASSWORD = "outage-test-password"
METRICS_TOKEN = "outage-test-metrics"

CLINICS_FILE = f"""
[[clinic]]
id = "essai"
name = "Clinique Essai"
default_lang = "fr"
timezone = "America/Toronto"
twilio_numbers = ["{CLINIC}"]
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
capacity = {CAPACITY}
minutes_per_patient = 15
"""


@pytest.fixture
def postgres():
    server = StoppablePostgres().start()
    yield server
    server.stop()


@pytest.fixture
def env(postgres, redis_url, fake_twilio, tmp_path):
    from redis import Redis

    Redis.from_url(redis_url).flushdb()
    admin = create_engine(postgres.admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('CREATE DATABASE "outage"'))
    admin.dispose()
    port = free_port()
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    base = {
        k: v for k, v in os.environ.items() if not k.startswith(("CLINICLINE_", "TWILIO_", "PROMETHEUS_"))
    }
    return base | {
        "PATH": f"{BIN}{os.pathsep}{base.get('PATH', '')}",
        "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{postgres.port}/outage",
        "REDIS_URL": redis_url,
        "TWILIO_ACCOUNT_SID": fake_twilio.account_sid,
        "TWILIO_AUTH_TOKEN": fake_twilio.auth_token,
        "TWILIO_API_BASE_URL": fake_twilio.base_url,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "PORT": str(port),
        "SECRET_KEY": "outage-test-secret",
        "CLINICLINE_METRICS_TOKEN": METRICS_TOKEN,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "CLINICLINE_INSTANCE": str(tmp_path / "instance"),
        "PYTHONUNBUFFERED": "1",
        "HOME": str(tmp_path),
    }


def clinicline(env, *args: str, stdin: str | None = None) -> str:
    done = subprocess.run(
        ["clinicline", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, input=stdin
    )
    assert done.returncode == 0, f"clinicline {' '.join(args)}:\n{done.stdout}{done.stderr}"
    return done.stdout


class Web:
    """The `web:` process of the Procfile, started and killed by the test."""

    def __init__(self, env, log: Path):
        self.env, self.log, self.process = env, log, None

    def start(self, expect_database: bool = True) -> Web:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                web_command(self.env, int(self.env["PORT"])),
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"gunicorn exited:\n{log_of(self.log)}"
            try:
                health = requests.get(self.env["PUBLIC_BASE_URL"] + "/healthz", timeout=5)
            except (requests.ConnectionError, requests.Timeout):  # not listening yet, or busy starting
                time.sleep(0.1)
                continue
            if health.status_code == 200 or not expect_database:
                return self
            time.sleep(0.1)
        raise AssertionError(f"/healthz never answered:\n{log_of(self.log)}")

    def kill(self) -> None:
        """SIGKILL the master and every worker at once, as a crash or an OOM kill would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            stop(self.process)


def wait_for(condition, what: str, log: Path, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen:\n{log_of(log)}"
        time.sleep(0.1)


class Answer(Http.Answer):
    """An HTTP answer as the Flask test client gives it, with the media type the call walker checks."""

    def __init__(self, response: requests.Response):
        super().__init__(response)
        self.mimetype = response.headers.get("Content-Type", "").split(";")[0].strip()


class Client(Http):
    """The test client calls over real HTTP, for texters and callers alike."""

    def post(self, path: str, data: dict[str, str], headers: dict[str, str]) -> Answer:
        return Answer(self.session.post(self.base_url + path, data=data, headers=headers, timeout=15))


def admin_dsn(env) -> str:
    return env["DATABASE_URL"]


def markers(sessions) -> int:
    try:
        with sessions() as s:
            return s.scalar(
                select(func.count())
                .select_from(ProcessedEvent)
                .where(ProcessedEvent.key.startswith("spool:"))
            )
    except Exception:  # the database is still coming up
        return -1


def test_an_outage_keeps_walkin_and_callback_requests_and_replays_them_once(
    env, postgres, fake_twilio, tmp_path
):
    clinics = tmp_path / "clinics.toml"
    clinics.write_text(CLINICS_FILE)
    clinicline(env, "db", "upgrade")
    clinicline(env, "clinics", "load", str(clinics))
    clinicline(
        env,
        "staff",
        "add",
        "julie",
        "--name",
        "Julie",
        "--role",
        "essai:reception",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    engine = make_engine(env["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1))
    sessions = make_session_factory(engine)
    log = tmp_path / "web.log"
    web = Web(env, log).start()
    try:
        # Before the outage: Marie has an appointment, the tick writes the snapshot, the 11th texter is known.
        from core.config import Config
        from core.runtime import Runtime

        runtime = Runtime(config=Config.from_env(env), engine=engine, session_factory=sessions)
        code = book(
            runtime, MARIE, clinic="essai", after=runtime.now() + dt.timedelta(hours=20), lang="fr"
        ).code
        clinicline(env, "jobs", "run-due")
        snapshot = Path(env["CLINICLINE_INSTANCE"]) / "snapshot" / "appointments.json"
        assert stat.S_IMODE(snapshot.stat().st_mode) == 0o600
        assert code in snapshot.read_text()
        with sessions.begin() as s:
            s.add(Patient(phone=TEXTERS[HELD]))
        # A row lock on that patient that outlives the restart: the replay will wait on it.
        with psycopg.connect(admin_dsn(env), autocommit=True) as hold:
            hold.execute("BEGIN")
            hold.execute("SELECT id FROM patients WHERE phone = %s FOR UPDATE", (TEXTERS[HELD],))
            hold.execute("PREPARE TRANSACTION 'hold_the_replay'")

        postgres.down()
        base, token = env["PUBLIC_BASE_URL"], env["TWILIO_AUTH_TOKEN"]
        with requests.Session() as http_session:
            http = Client(base, http_session)
            for phone in TEXTERS:
                reply = Texter(http, token, phone, CLINIC, base_url=base, max_segments=1)("SANS RDV")
                assert reply.status == 200, reply.xml
                assert reply.text == render("degraded_walkin_recorded", "fr", "sms"), reply.xml
            for i, phone in enumerate(CALLERS):
                call = Call(http, auth_token=token, from_=phone, to=CLINIC, base_url=base).start()
                assert "pour être rappelé, appuyez sur 2" in call.text.lower(), call.text
                call.press("2")
                call.say(f"Appelant Numéro {i}")
                assert call.ended
                assert render("degraded_callback_recorded", "fr", "voice") in call.text
            mine = Texter(http, token, MARIE, CLINIC, base_url=base, max_segments=2)("MES RDV")
            assert code in mine.text, mine.xml
            assert "peut dater de quelques minutes" in mine.text, mine.xml
        spooled = sorted((Path(env["CLINICLINE_INSTANCE"]) / "spool").glob("spool-*.jsonl"))
        assert spooled
        assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in spooled)
        assert sum(len(p.read_text().splitlines()) for p in spooled) == 23

        # The database is back: the web process replays, and is killed while the 11th entry waits.
        postgres.up()
        wait_for(lambda: markers(sessions) == HELD, "the replay of the first 10 entries", log)
        time.sleep(0.5)  # the replay stays held at the 11th entry
        assert markers(sessions) == HELD
        web.kill()
        with psycopg.connect(admin_dsn(env), autocommit=True) as conn:
            conn.execute("ROLLBACK PREPARED 'hold_the_replay'")
        web = Web(env, log).start()  # at start it finds the spool not replayed, and finishes
        wait_for(lambda: markers(sessions) == 23, "the rest of the replay", log)
        wait_for(
            lambda: not list((Path(env["CLINICLINE_INSTANCE"]) / "spool").glob("spool-*.jsonl")),
            "retiring the spool",
            log,
        )

        worker = subprocess.run(
            [*command("worker", env), "--burst"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert worker.returncode == 0, worker.stdout + worker.stderr

        with sessions() as s:
            numbered = s.execute(
                select(Patient.phone, WalkinTicket.number)
                .join(WalkinTicket.patient)
                .order_by(WalkinTicket.number)
            ).all()
            assert [tuple(r) for r in numbered] == [(p, n) for n, p in enumerate(TEXTERS[:CAPACITY], start=1)]
            outcomes = s.scalars(
                select(OutboundMessage).where(OutboundMessage.purpose.startswith("spooled_"))
            ).all()
            assert sorted(m.to for m in outcomes) == sorted(TEXTERS + CALLERS)  # one each
            assert {m.status for m in outcomes} == {"sent"}
            callbacks = s.scalars(select(CallbackRequest).order_by(CallbackRequest.created_at)).all()
            assert [(c.phone, c.name) for c in callbacks] == [
                (p, f"Appelant Numéro {i}") for i, p in enumerate(CALLERS)
            ]
        by_number = {m["to"]: m["body"] for m in fake_twilio.messages}
        assert len(fake_twilio.messages) == 23
        assert sorted(by_number) == sorted(TEXTERS + CALLERS)
        for n, phone in enumerate(TEXTERS[:CAPACITY], start=1):
            assert f"Votre numéro: {n}." in by_number[phone], by_number[phone]
        for phone in TEXTERS[CAPACITY:]:
            assert "complet" in by_number[phone], by_number[phone]
        for phone in CALLERS:
            assert "rappellera" in by_number[phone]

        # Gunicorn's workers, dead and alive, counted together (prometheus-client's multiprocess mode).
        scraped = requests.get(
            base + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10
        )
        assert scraped.status_code == 200, scraped.text
        figures = {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(scraped.text)
            for s in family.samples
        }
        assert (
            figures[
                ("clinicline_degraded_answers_total", (("answer", "walkin_recorded"), ("channel", "sms")))
            ]
            == 20
        )
        assert (
            figures[
                ("clinicline_degraded_answers_total", (("answer", "callback_recorded"), ("channel", "voice")))
            ]
            == 3
        )
        assert figures[("clinicline_spool_depth", ())] == 0
        assert figures[("clinicline_outbound_messages", (("kind", "sms"), ("status", "sent")))] == 23
        assert figures[("clinicline_walkin_waiting", (("clinic", "essai"),))] == CAPACITY

        with requests.Session() as staff:
            login_page = staff.get(base + "/staff/login", timeout=10).text
            token = re.search(r'name="csrf_token" value="([^"]+)"', login_page).group(1)
            signed = staff.post(
                base + "/staff/login",
                data={"login": "julie", "password": PASSWORD, "csrf_token": token},
                timeout=10,
            )
            assert signed.ok
            page = staff.get(base + "/staff/essai/", timeout=10).text
            for i, phone in enumerate(CALLERS):
                assert f"Appelant Numéro {i}" in page
                assert re.sub(r"\D", "", phone)[-4:] in page
    finally:
        web.stop()
        engine.dispose()
