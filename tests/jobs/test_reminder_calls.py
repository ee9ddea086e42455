"""Reminders by call: a patient who takes calls only is called the day before, once, inside quiet hours."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.jobs import attach_queue
from core.models import Conversation
from core.services import booking, notifications
from core.services.patients import get_or_create_patient
from tests.conftest import make_runtime
from tests.jobs.conftest import PUBLIC, WEDNESDAY, messages, twilio_settings
from tests.support.arrange import book

LANDLINE = "+15145551077"


def call_only(runtime, phone: str) -> None:
    """The patient's number refused SMS (21211, 21614, 30006) or is a landline: notices go by call."""
    with runtime.session_factory.begin() as s:
        get_or_create_patient(s, phone).notify_by = "call"


def plan(runtime, appointment_id: int) -> None:
    runtime.jobs.enqueue("core.jobs.tasks.schedule_reminders", appointment_id)
    runtime.jobs.drain(include_timed=False)


def tick(runtime) -> None:
    runtime.jobs.enqueue("core.jobs.tasks.tick")
    runtime.jobs.drain()


def test_a_call_only_patient_is_called_the_day_before_with_the_reminder_url(jobs_runtime, clock, fake_twilio):
    call_only(jobs_runtime, LANDLINE)
    appointment_id = book(jobs_runtime, LANDLINE, day=WEDNESDAY, at=dt.time(10, 0)).id
    plan(jobs_runtime, appointment_id)
    (reminder,) = messages(jobs_runtime, purpose="reminder")
    assert (reminder.kind, reminder.status) == ("call", "pending")
    assert reminder.send_after == clock.set_local(dt.date(2026, 12, 8), dt.time(10, 0))

    clock.set_local(dt.date(2026, 12, 8), dt.time(10, 0))
    for _ in range(3):  # the timed job and every later tick find the same row: one call
        tick(jobs_runtime)
    (call,) = fake_twilio.creates("Calls", to=LANDLINE)
    assert call.value("Url") == f"{PUBLIC}/voice/reminder/{appointment_id}"
    assert call.value("StatusCallback") == f"{PUBLIC}/voice/status"
    assert call.value("From") == "+15145550100"
    assert fake_twilio.messages_to(LANDLINE) == []
    (reminder,) = messages(jobs_runtime, purpose="reminder")
    assert (reminder.status, reminder.attempts) == ("sent", 1)
    assert reminder.twilio_sid == fake_twilio.calls_to(LANDLINE)[0]["sid"]
    with jobs_runtime.session_factory() as s:  # the call primes its own conversation when picked up
        assert s.scalar(select(Conversation).where(Conversation.phone == LANDLINE)) is None


def test_a_reminder_call_keeps_to_quiet_hours(jobs_runtime, clock, fake_twilio):
    call_only(jobs_runtime, LANDLINE)
    appointment_id = book(jobs_runtime, LANDLINE, day=WEDNESDAY, at=dt.time(16, 0)).id
    plan(jobs_runtime, appointment_id)
    clock.set_local(dt.date(2026, 12, 8), dt.time(22, 30))  # the workers were down all evening
    tick(jobs_runtime)
    assert fake_twilio.calls_to(LANDLINE) == []
    (reminder,) = messages(jobs_runtime, purpose="reminder")
    assert reminder.status == "pending"
    assert reminder.send_after == clock.set_local(WEDNESDAY, dt.time(8, 0))
    jobs_runtime.jobs.drain()
    assert len(fake_twilio.calls_to(LANDLINE)) == 1


def test_cancelling_withdraws_a_pending_reminder_call(jobs_runtime, clock, fake_twilio):
    call_only(jobs_runtime, LANDLINE)
    appointment_id = book(jobs_runtime, LANDLINE, day=WEDNESDAY, at=dt.time(10, 0)).id
    plan(jobs_runtime, appointment_id)
    with jobs_runtime.session_factory.begin() as s:
        booking.cancel(s, appointment_id, clock(), "staff")
    clock.set_local(dt.date(2026, 12, 8), dt.time(10, 0))
    tick(jobs_runtime)
    assert fake_twilio.calls_to(LANDLINE) == []
    (reminder,) = messages(jobs_runtime, purpose="reminder")
    assert (reminder.kind, reminder.status) == ("call", "withdrawn")


def test_a_reminder_planned_as_sms_is_called_once_the_number_refuses_sms(jobs_runtime, clock, fake_twilio):
    appointment_id = book(jobs_runtime, LANDLINE, day=WEDNESDAY, at=dt.time(10, 0)).id
    plan(jobs_runtime, appointment_id)
    call_only(jobs_runtime, LANDLINE)  # e.g. a later confirmation came back 30006
    clock.set_local(dt.date(2026, 12, 8), dt.time(10, 0))
    tick(jobs_runtime)
    assert fake_twilio.messages_to(LANDLINE) == []
    (call,) = fake_twilio.creates("Calls", to=LANDLINE)
    assert call.value("Url") == f"{PUBLIC}/voice/reminder/{appointment_id}"


def test_a_reminder_sms_refused_as_landline_is_placed_as_a_call_instead(jobs_runtime, clock, fake_twilio):
    appointment_id = book(jobs_runtime, LANDLINE, day=WEDNESDAY, at=dt.time(10, 0)).id
    plan(jobs_runtime, appointment_id)
    fake_twilio.fail(LANDLINE, 21614)
    clock.set_local(dt.date(2026, 12, 8), dt.time(10, 0))
    tick(jobs_runtime)
    sms, call = messages(jobs_runtime, purpose="reminder")
    assert (sms.kind, sms.status, sms.error_code) == ("sms", "failed", "21614")
    assert (call.kind, call.status) == ("call", "sent")
    (placed,) = fake_twilio.creates("Calls", to=LANDLINE)
    assert placed.value("Url") == f"{PUBLIC}/voice/reminder/{appointment_id}"
    tick(jobs_runtime)
    assert len(fake_twilio.calls_to(LANDLINE)) == 1


def test_a_confirmation_for_a_call_only_patient_is_kept_as_not_sent_with_its_reason(
    jobs_runtime, fake_twilio
):
    call_only(jobs_runtime, LANDLINE)
    appointment_id = book(jobs_runtime, LANDLINE, day=WEDNESDAY, at=dt.time(10, 0)).id
    for effect in notifications.staff_change_effects(appointment_id, "booked"):
        jobs_runtime.jobs.enqueue(effect.job, *effect.args)
    jobs_runtime.jobs.drain(include_timed=False)
    (confirmation,) = messages(jobs_runtime, purpose="confirmation_booked")
    assert (confirmation.status, confirmation.error_message) == (
        "not_sent",
        "calls only: no SMS confirmation",
    )
    (reminder,) = messages(jobs_runtime, purpose="reminder")
    assert (reminder.kind, reminder.status) == ("call", "pending")
    assert fake_twilio.requests == []


def test_without_a_public_base_url_a_reminder_call_is_stored_as_not_sent(
    sqlite_url, clock, tmp_path, fake_twilio
):
    settings = {k: v for k, v in twilio_settings(fake_twilio).items() if k != "public_base_url"}
    runtime = make_runtime(sqlite_url, clock, tmp_path, **settings)
    attach_queue(runtime, background=False)
    try:
        call_only(runtime, LANDLINE)
        appointment_id = book(runtime, LANDLINE, day=WEDNESDAY, at=dt.time(10, 0)).id
        plan(runtime, appointment_id)
        clock.set_local(dt.date(2026, 12, 8), dt.time(10, 0))
        tick(runtime)
        (reminder,) = messages(runtime, purpose="reminder")
        assert (reminder.status, reminder.error_message) == (
            "not_sent",
            "PUBLIC_BASE_URL is needed for calls",
        )
        assert fake_twilio.requests == []
    finally:
        runtime.dispose()
