"""PostgreSQL hangs (SIGSTOP of the postmaster and its backends) during a walk-in storm on the Procfile's web.

Every webhook answers within 5 s (the apology with 9-1-1 / 8-1-1 while the database hangs), the fallback
URL and /healthz within 2 s; after the thaw the line recovers by itself, and every patient who holds a
walk-in number was told that number: no turn answered with the apology commits later.
"""

from __future__ import annotations

import re
import threading
import time

import pytest
import requests
from sqlalchemy import select

from core.db import make_engine, make_session_factory
from core.models import OutboundMessage, Patient, WalkinTicket
from tests.faults import load
from tests.faults.processes import base_env, deploy, frozen, procfile_web, running
from tests.support.servers import free_port

pytestmark = pytest.mark.faults

WEBHOOK_LIMIT = 5.0
FALLBACK_LIMIT = 2.0
TOLD = re.compile(r"num[ée]ro (\d+)")
OUTCOME = re.compile(r"num[ée]ro\s*:?\s*(\d+)", re.IGNORECASE)  # "Votre numéro: 12"


def timed(method, url: str, **kwargs) -> tuple[float, requests.Response | None]:
    start = time.monotonic()
    try:
        response = method(url, timeout=15, **kwargs)
    except requests.RequestException:
        response = None
    return time.monotonic() - start, response


def test_a_frozen_database_during_a_walkin_storm_answers_in_time_and_tells_every_ticket(
    postgres, redis_server, tmp_path
):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    database = postgres.admin_url.replace("postgresql+psycopg://", "postgresql://", 1)
    env = base_env(
        DATABASE_URL=database,
        REDIS_URL=redis_server.url,
        CLINICLINE_INSTANCE=str(tmp_path),
        PUBLIC_BASE_URL=base,
        PORT=str(port),
        HOME=str(tmp_path),
    )
    deploy(env, tmp_path, capacity=500)
    with running(procfile_web(env, port, workers=2), env, tmp_path / "web.log", base):
        load.rush(base, texts=8, seconds=1, clients=8, body="AIDE", first=900)  # warm every worker's pool

        storm: dict[str, load.Figures] = {}
        thread = threading.Thread(
            target=lambda: storm.update(
                figures=load.rush(base, texts=120, seconds=12, clients=40, body="SANS RDV")
            )
        )
        side: list[tuple[str, float, int | None]] = []
        thread.start()
        try:
            time.sleep(2)  # some patients join before the freeze, some while a commit is on its way
            with frozen(postgres.data) as stopped:
                assert stopped, "no PostgreSQL process was frozen"
                freeze_ends = time.monotonic() + 8
                while time.monotonic() < freeze_ends:
                    for path, method, data in (
                        ("/fallback/sms", requests.post, load._form("+14385550001", "SANS RDV")),
                        ("/healthz", requests.get, None),
                    ):
                        took, response = timed(method, base + path, data=data)
                        side.append((path, took, response.status_code if response is not None else None))
                    time.sleep(0.5)
        finally:
            thread.join(120)
        figures = storm["figures"]

        # Every request was answered, in time, while the database hung.
        assert figures.timeouts == 0, figures.line("storm")
        assert figures.errors == 0, figures.line("storm")
        slow = sorted(round(took, 2) for _, _, took in figures.answers if took >= WEBHOOK_LIMIT)
        assert slow == [], figures.line("storm")
        late = [(path, round(took, 2)) for path, took, _ in side if took >= FALLBACK_LIMIT]
        assert late == [], late
        assert {code for path, _, code in side if path == "/fallback/sms"} == {200}
        assert {code for path, _, code in side if path == "/healthz"} == {503}
        apologies = [sender for sender, text, _ in figures.answers if "9-1-1" in text]
        assert apologies, "the freeze never reached a patient: the test proves nothing"

        # The line recovers by itself once the database answers again.
        deadline = time.monotonic() + 60
        while requests.get(base + "/healthz", timeout=15).status_code != 200:
            assert time.monotonic() < deadline, "the line did not recover after the thaw"
            time.sleep(0.2)
        after = load.Figures()
        for n in range(5000, 5200):  # each worker closes its breaker once its own probe is answered
            tried = load.rush(base, texts=1, seconds=0.1, clients=1, body="SANS RDV", first=n)
            after.answers += tried.answers
            if tried.bodies and TOLD.search(tried.bodies[0]):
                break
            assert time.monotonic() < deadline, "webhooks did not recover after the thaw"
            time.sleep(0.2)

    # No patient holds a number they were not told; everyone told a number holds it. A patient is told in
    # the reply, or, when the request was taken by the spool while the database hung, by the outcome
    # message the replay stores for them (core/services/spooled.py) once it answers again.
    told = {}
    for sender, text, _ in figures.answers + after.answers:
        found = TOLD.search(text)
        if found:
            told[sender] = int(found.group(1))
    engine = make_engine(postgres.admin_url)
    try:
        sessions = make_session_factory(engine)
        settle = time.monotonic() + 60
        while True:
            with sessions() as session:
                held = dict(
                    session.execute(
                        select(Patient.phone, WalkinTicket.number).join(WalkinTicket.patient)
                    ).all()
                )
                messaged = {
                    to: int(found.group(1))
                    for to, body in session.execute(
                        select(OutboundMessage.to, OutboundMessage.body).where(
                            OutboundMessage.purpose == "spooled_walkin"
                        )
                    ).all()
                    if (found := OUTCOME.search(body or ""))
                }
            if held == told | messaged or time.monotonic() > settle:
                break
            time.sleep(0.5)  # the spool's replay may still be running
    finally:
        engine.dispose()
    assert held == told | messaged
    assert not set(told) & set(messaged)  # nobody is told twice
    assert sorted(held.values()) == list(range(1, len(held) + 1))  # exact numbering, no hole
