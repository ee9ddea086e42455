"""Fixtures of the job tests: a fake Twilio API that the real twilio client talks to, runtimes wired to it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.jobs import attach_queue
from core.models import Clinic, OutboundMessage, Patient
from core.services import booking, walkin
from core.services.patients import get_or_create_patient
from core.timeutil import local_to_utc
from tests.conftest import make_runtime
from tests.support.fake_twilio import FakeTwilio

PUBLIC = "https://clinic.example"
WEDNESDAY = dt.date(2026, 12, 9)


@pytest.fixture
def fake_twilio():
    fake = FakeTwilio().start()
    yield fake
    fake.stop()


def twilio_settings(fake: FakeTwilio) -> dict:
    return dict(
        twilio_account_sid=fake.account_sid,
        twilio_auth_token=fake.auth_token,
        twilio_api_base_url=fake.base_url,
        public_base_url=PUBLIC,
    )


@pytest.fixture
def jobs_runtime(sqlite_url, clock, tmp_path, fake_twilio):
    """SQLite, the demo clinics, Twilio = the fake, jobs in-process and run by `runtime.jobs.drain()`."""
    rt = make_runtime(sqlite_url, clock, tmp_path, **twilio_settings(fake_twilio))
    attach_queue(rt, background=False)
    yield rt
    rt.dispose()


def book_for(runtime, phone: str, day: dt.date, at: dt.time, lang: str | None = None) -> int:
    """Book the first slot at that local time for a patient; returns the appointment id."""
    now = runtime.now()
    with runtime.session_factory.begin() as s:
        parc = s.get(Clinic, "parc")
        patient = get_or_create_patient(s, phone, lang)
        slots = booking.find_free_slots(s, parc, now, booking.SlotQuery(date=day, at=at)).slots
        (slot,) = [x for x in slots if x.starts_at == local_to_utc(day, at, parc.timezone)]
        return booking.book(s, slot.id, patient, "sms", now).id


def join_queue(runtime, phones: list[str], notify_by: dict | None = None) -> list[int]:
    """Put patients in today's walk-in queue at Clinique du Parc, in order; returns the ticket ids."""
    ids = []
    with runtime.session_factory.begin() as s:
        parc = s.get(Clinic, "parc")
        for phone in phones:
            patient = get_or_create_patient(s, phone)
            how = (notify_by or {}).get(phone)
            ids.append(walkin.join_walkin_queue(s, parc, patient, "sms", runtime.now(), notify_by=how).id)
    return ids


def patient(runtime, phone: str) -> Patient:
    """The patient row as stored now."""
    with runtime.session_factory() as s:
        return s.scalar(select(Patient).where(Patient.phone == phone))


def messages(runtime, **where) -> list[OutboundMessage]:
    """The outbound message rows, oldest first, optionally filtered by column values."""
    with runtime.session_factory() as s:
        query = select(OutboundMessage).order_by(OutboundMessage.id)
        for column, value in where.items():
            query = query.where(getattr(OutboundMessage, column) == value)
        return list(s.scalars(query))
