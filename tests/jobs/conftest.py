"""Fixtures of the job tests: a fake Twilio API that the real twilio client talks to, runtimes wired to it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.jobs import attach_queue
from core.models import OutboundMessage
from tests.conftest import make_runtime
from tests.support.fake_twilio import FakeTwilio

PUBLIC = "https://clinic.example"
WEDNESDAY = dt.date(2026, 12, 9)


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


def messages(runtime, **where) -> list[OutboundMessage]:
    """The outbound message rows, oldest first, optionally filtered by column values."""
    with runtime.session_factory() as s:
        query = select(OutboundMessage).order_by(OutboundMessage.id)
        for column, value in where.items():
            query = query.where(getattr(OutboundMessage, column) == value)
        return list(s.scalars(query))
