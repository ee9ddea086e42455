"""Two instances, one database: two gunicorn masters on one PostgreSQL and one Redis serve the same clinic.

Patients race across both for walk-in places (exact numbering 1..capacity, the others told the queue is
full) and for the same appointment slots (never two live appointments on a slot, and every patient told
"booked" holds exactly the appointment whose code they were given). Then the clinic is renamed
through one instance and both answer with the new name at once.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter

import pytest
import requests
from sqlalchemy import select

from core.db import make_engine, make_session_factory
from core.models import Appointment, AppointmentStatus, Patient, WalkinTicket
from core.services.clinics import CACHE_SECONDS
from tests.conftest import _fresh_postgres_database
from tests.degraded.test_outage import CLINICS_FILE, Client, Web, clinicline
from tests.sms.support import slots
from tests.support.servers import free_port
from tests.support.twilio_requests import Texter
from tests.test_production import BIN

pytestmark = pytest.mark.production

CLINIC = "+15145550100"
CAPACITY = 15
WALKERS = [f"+1514555{4000 + i:04d}" for i in range(24)]
BOOKERS = [f"+1514555{4100 + i:04d}" for i in range(8)]
LATE = [f"+1514555{4200 + i:04d}" for i in range(4)]


@pytest.fixture
def instances(postgres_admin_url, redis_url, fake_twilio, tmp_path):
    """Two web instances (each its own gunicorn master and instance folder) on one database and Redis."""
    import os

    from redis import Redis

    Redis.from_url(redis_url).flushdb()
    database = _fresh_postgres_database(postgres_admin_url).replace(
        "postgresql+psycopg://", "postgresql://", 1
    )
    base = {
        k: v for k, v in os.environ.items() if not k.startswith(("CLINICLINE_", "TWILIO_", "PROMETHEUS_"))
    }
    envs = []
    for name in ("a", "b"):
        port = free_port()
        envs.append(
            base
            | {
                "PATH": f"{BIN}{os.pathsep}{base.get('PATH', '')}",
                "DATABASE_URL": database,
                "REDIS_URL": redis_url,
                "TWILIO_ACCOUNT_SID": fake_twilio.account_sid,
                "TWILIO_AUTH_TOKEN": fake_twilio.auth_token,
                "TWILIO_API_BASE_URL": fake_twilio.base_url,
                "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
                "PORT": str(port),
                "SECRET_KEY": "two-instances-secret",
                "CLINICLINE_INSTANCE": str(tmp_path / f"instance-{name}"),
                # 24 turns released at once queue on one walk-in day's row lock: on a busy two-core machine
                # the last can pass the 3.5 s webhook deadline and get the degraded line's answer (correct,
                # and tested in tests/faults/test_postgres_frozen.py). Here the numbering across instances
                # is under test, so the deadline is Twilio's limit less a margin, not the machine's speed.
                "CLINICLINE_WEBHOOK_DEADLINE": "12",
                "PYTHONUNBUFFERED": "1",
                "HOME": str(tmp_path),
            }
        )
    clinics = tmp_path / "clinics.toml"
    clinics.write_text(CLINICS_FILE.replace(f"capacity = {15}", f"capacity = {CAPACITY}"))
    clinicline(envs[0], "db", "upgrade")
    clinicline(envs[0], "clinics", "load", str(clinics))
    webs = []
    try:
        for i, env in enumerate(envs):
            webs.append(Web(env, tmp_path / f"web-{i}.log").start())
        yield envs, clinics
    finally:
        for web in webs:
            web.stop()


@pytest.fixture
def sessions(instances):
    """Sessions on the instances' database, for the test to read what happened."""
    engine = make_engine(instances[0][0]["DATABASE_URL"].replace("postgresql://", "postgresql+psycopg://", 1))
    yield make_session_factory(engine)
    engine.dispose()


def race(calls) -> list:
    """Run the calls at once (a barrier releases them together); their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        results[i] = call()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def texter(env, phone: str) -> Texter:
    base = env["PUBLIC_BASE_URL"]
    return Texter(Client(base, requests.Session()), env["TWILIO_AUTH_TOKEN"], phone, CLINIC, base_url=base)


def test_two_instances_on_one_database_number_walkins_exactly_and_never_double_book(instances, sessions):
    envs, clinics = instances

    # Walk-in: 24 patients for 15 places, alternately on each instance, all at once.
    phones = {phone: texter(envs[i % 2], phone) for i, phone in enumerate(WALKERS)}
    replies = race([lambda t=t: t("SANS RDV") for t in phones.values()])
    assert all(r.status == 200 for r in replies), [r.xml for r in replies if r.status != 200]
    with sessions() as s:
        rows = s.execute(select(Patient.phone, WalkinTicket.number).join(WalkinTicket.patient)).all()
    numbers = {phone: number for phone, number in rows}
    assert sorted(numbers.values()) == list(range(1, CAPACITY + 1))
    for reply, phone in zip(replies, WALKERS, strict=True):
        if phone in numbers:
            assert re.search(rf"\b{numbers[phone]}\b", reply.text), reply.text
        else:
            assert re.search(r"compl[eè]te", reply.text), reply.text

    # Appointments: 8 patients ask for the same morning on both instances, then all take the first offer.
    bookers = [texter(envs[i % 2], phone) for i, phone in enumerate(BOOKERS)]
    offers = race([lambda t=t: t("RDV après-demain matin") for t in bookers])
    assert all(slots(o) for o in offers), [o.text for o in offers]
    race([lambda t=t: t("1") for t in bookers])
    race(
        [lambda t=t, i=i: t(f"Patient Course {chr(65 + i)}") for i, t in enumerate(bookers)]
    )  # a name has no digits
    finals = race([lambda t=t: t("OUI") for t in bookers])
    with sessions() as s:
        live = s.execute(
            select(Patient.phone, Appointment.code, Appointment.slot_id)
            .join(Appointment.patient)
            .where(Appointment.status == AppointmentStatus.BOOKED)
        ).all()
    assert max(Counter(slot for _, _, slot in live).values()) == 1  # never two on one slot
    codes = {phone: code for phone, code, _ in live}
    for t, final in zip(bookers, finals, strict=True):
        if t.from_ in codes:
            assert codes[t.from_] in final.text, final.text
        else:  # not booked: never told a code
            assert not re.search(r"\b\d{6}\b", final.text), final.text
    assert codes, "nobody could book"

    # The clinic is renamed on the database (as an operator reloads the clinics file on one instance);
    # both instances use the new name within seconds: a process keeps clinics in memory for at most
    # core.services.clinics.CACHE_SECONDS, and nothing it keeps goes stale for longer.
    clinics.write_text(
        clinics.read_text().replace('name = "Clinique Essai"', 'name = "Clinique Essai Renommée"')
    )
    clinicline(envs[1], "clinics", "load", str(clinics))
    loaded = time.monotonic()
    askers = [texter(envs[i % 2], phone) for i, phone in enumerate(LATE)]
    while True:
        helped = race([lambda t=t: t("AIDE") for t in askers])
        if all("Clinique Essai Renommée" in r.text for r in helped):
            break
        assert time.monotonic() - loaded < CACHE_SECONDS + 10, [r.text for r in helped]
        time.sleep(1)
