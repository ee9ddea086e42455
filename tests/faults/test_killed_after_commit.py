"""The web process dies (SIGKILL) between committing a booking and answering it.

Twilio's retry of the same message gets the answer that was stored with the booking; a patient who texts
OUI again (a new message) is told their code, not the menu.
"""

from __future__ import annotations

import time

import pytest
import requests
from sqlalchemy import select

from core.db import make_engine, make_session_factory
from core.models import Appointment
from tests.conftest import _fresh_postgres_database
from tests.faults import load
from tests.faults.processes import base_env, deploy, procfile_web, running
from tests.support.servers import free_port

pytestmark = pytest.mark.faults

MARIE = load.phone(4242)


def post_until_answered(base: str, form: dict[str, str], seconds: float = 90) -> requests.Response:
    """POST a webhook, again and again while the server restarts its worker (as Twilio retries)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            response = requests.post(base + "/sms", data=form, timeout=15)
            if response.status_code == 200:
                return response
        except requests.RequestException:
            pass
        assert time.monotonic() < deadline, "the web process never answered again"
        time.sleep(0.3)


def test_a_booking_whose_reply_was_lost_is_told_again(postgres_admin_url, tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    database = _fresh_postgres_database(postgres_admin_url)
    env = base_env(
        DATABASE_URL=database.replace("postgresql+psycopg://", "postgresql://", 1),
        CLINICLINE_INSTANCE=str(tmp_path),
        PUBLIC_BASE_URL=base,
        PORT=str(port),
        HOME=str(tmp_path),
        CLINICLINE_FAULT_KILL_AFTER_COMMIT="appointments",
    )
    deploy(env, tmp_path)
    engine = make_engine(database)
    try:
        with running(procfile_web(env, port, workers=1), env, tmp_path / "web.log", base):
            with requests.Session() as session:
                for body in ("RDV après-demain", "1", "Marie Tremblay"):
                    status, reply, _ = load.text(base, MARIE, body, session)
                    assert status == 200, reply
            oui = load._form(MARIE, "OUI")
            with pytest.raises(requests.RequestException):  # killed after the commit, before answering
                requests.post(base + "/sms", data=oui, timeout=15)
            with make_session_factory(engine)() as s:
                (appointment,) = s.scalars(select(Appointment)).all()  # committed all the same
            code = f"Code {appointment.code}"

            retried = post_until_answered(base, oui)  # Twilio delivers the same message again
            assert code in retried.text, retried.text

            again = post_until_answered(base, load._form(MARIE, "OUI"))  # Marie, unsure, texts OUI again
            assert code in again.text, again.text
        with make_session_factory(engine)() as s:
            assert len(s.scalars(select(Appointment)).all()) == 1  # nothing was booked twice
    finally:
        engine.dispose()
