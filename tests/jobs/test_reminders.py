"""Confirmations and reminders: sent once, inside quiet hours, withdrawn when the appointment goes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.dialog import store
from core.flows import Flow
from core.models import Appointment, Clinic, Conversation
from core.services import booking, notifications
from tests.jobs.conftest import messages
from tests.support.arrange import book

ANNA = "+15145551001"
WEDNESDAY = dt.date(2026, 12, 9)


def test_a_reminder_goes_once_the_day_before_at_the_same_time(jobs_runtime, clock, fake_twilio):
    appointment_id = book(jobs_runtime, ANNA, day=WEDNESDAY, at=dt.time(10, 0)).id
    jobs_runtime.jobs.enqueue("core.jobs.tasks.schedule_reminders", appointment_id)
    jobs_runtime.jobs.drain()
    (reminder,) = messages(jobs_runtime, purpose="reminder")
    assert reminder.status == "pending"
    assert reminder.send_after == clock.set_local(dt.date(2026, 12, 8), dt.time(10, 0))

    clock.set_local(dt.date(2026, 12, 8), dt.time(9, 59))
    jobs_runtime.jobs.enqueue("core.jobs.tasks.tick")
    jobs_runtime.jobs.drain()
    assert fake_twilio.messages_to(ANNA) == []

    clock.set_local(dt.date(2026, 12, 8), dt.time(10, 0))
    for _ in range(3):  # the timed job and every later tick find the same row
        jobs_runtime.jobs.enqueue("core.jobs.tasks.tick")
        jobs_runtime.jobs.drain()
    (sms,) = fake_twilio.messages_to(ANNA)
    assert sms["from"] == "+15145550100"
    assert "demain" in sms["body"]
    assert "Répondez 1" in sms["body"]
    assert "ANNULER" in sms["body"]
    assert "CANCEL" not in sms["body"].replace("ANNULER", "")
    (reminder,) = messages(jobs_runtime, purpose="reminder")
    assert reminder.status == "sent"
    assert reminder.twilio_sid == sms["sid"]
    assert reminder.attempts == 1
    status_callback = fake_twilio.creates(to=ANNA)[0].value("StatusCallback")
    assert status_callback == "https://clinic.example/sms/status"
    with jobs_runtime.session_factory() as s:  # the SMS bot reads the answer about this appointment
        conversation = s.scalar(select(Conversation).where(Conversation.phone == ANNA))
        state = store.parse(conversation.state)
        assert conversation.channel == "sms"
        assert state.primed == Flow.REMINDER
        assert state.data == {"appointment_id": appointment_id}


def test_three_days_before_as_well_when_the_clinic_asks(jobs_runtime, clock):
    with jobs_runtime.session_factory.begin() as s:
        s.get(Clinic, "parc").settings = {"reminder_days_before": [1, 3], "notice_places": 3}
    appointment_id = book(jobs_runtime, ANNA, day=dt.date(2026, 12, 11), at=dt.time(14, 0)).id
    jobs_runtime.jobs.enqueue("core.jobs.tasks.schedule_reminders", appointment_id)
    jobs_runtime.jobs.drain()
    times = sorted(m.send_after for m in messages(jobs_runtime, purpose="reminder"))
    assert times == [
        clock.set_local(dt.date(2026, 12, 8), dt.time(14, 0)),
        clock.set_local(dt.date(2026, 12, 10), dt.time(14, 0)),
    ]


def test_a_reminder_never_falls_at_night(jobs_runtime):
    with jobs_runtime.session_factory() as s:
        parc = s.get(Clinic, "parc")
        early = Appointment(starts_at=dt.datetime(2026, 12, 9, 12, 0, tzinfo=dt.UTC))  # 07:00 local
        late = Appointment(starts_at=dt.datetime(2026, 12, 10, 2, 30, tzinfo=dt.UTC))  # 21:30 local
        assert notifications.reminder_time(early, parc, 1) == dt.datetime(2026, 12, 8, 13, 0, tzinfo=dt.UTC)
        assert notifications.reminder_time(late, parc, 1) == dt.datetime(2026, 12, 9, 1, 59, tzinfo=dt.UTC)


def test_a_reminder_picked_up_late_at_night_waits_for_the_morning(jobs_runtime, clock, fake_twilio):
    appointment_id = book(jobs_runtime, ANNA, day=WEDNESDAY, at=dt.time(16, 0)).id
    jobs_runtime.jobs.enqueue("core.jobs.tasks.schedule_reminders", appointment_id)
    jobs_runtime.jobs.drain(include_timed=False)
    clock.set_local(dt.date(2026, 12, 8), dt.time(22, 30))  # the workers were down all evening
    jobs_runtime.jobs.enqueue("core.jobs.tasks.tick")
    jobs_runtime.jobs.drain()
    assert fake_twilio.messages_to(ANNA) == []
    (reminder,) = messages(jobs_runtime, purpose="reminder")
    assert reminder.status == "pending"
    assert reminder.send_after == clock.set_local(WEDNESDAY, dt.time(8, 0))
    jobs_runtime.jobs.drain()
    (sms,) = fake_twilio.messages_to(ANNA)
    assert "demain" not in sms["body"]
    assert "16 h" in sms["body"]


def test_a_reminder_already_due_when_booking_is_not_planned(jobs_runtime, clock):
    appointment_id = book(jobs_runtime, ANNA, day=dt.date(2026, 12, 8), at=dt.time(8, 0)).id  # tomorrow 08:00
    jobs_runtime.jobs.enqueue("core.jobs.tasks.schedule_reminders", appointment_id)
    jobs_runtime.jobs.drain()
    assert messages(jobs_runtime, purpose="reminder") == []


def test_cancelling_withdraws_the_pending_reminders(jobs_runtime, clock, fake_twilio):
    appointment_id = book(jobs_runtime, ANNA, day=WEDNESDAY, at=dt.time(10, 0)).id
    jobs_runtime.jobs.enqueue("core.jobs.tasks.schedule_reminders", appointment_id)
    jobs_runtime.jobs.drain()
    with jobs_runtime.session_factory.begin() as s:
        booking.cancel(s, appointment_id, clock(), "sms")
    clock.set_local(dt.date(2026, 12, 8), dt.time(10, 0))
    jobs_runtime.jobs.enqueue("core.jobs.tasks.tick")
    jobs_runtime.jobs.drain()
    assert fake_twilio.messages_to(ANNA) == []
    (reminder,) = messages(jobs_runtime, purpose="reminder")
    assert reminder.status == "withdrawn"


def test_changing_an_appointment_moves_its_reminder(jobs_runtime, clock, fake_twilio):
    old_id = book(jobs_runtime, ANNA, day=WEDNESDAY, at=dt.time(10, 0)).id
    jobs_runtime.jobs.enqueue("core.jobs.tasks.schedule_reminders", old_id)
    jobs_runtime.jobs.drain()
    with jobs_runtime.session_factory.begin() as s:
        parc = s.get(Clinic, "parc")
        query = booking.SlotQuery(date=dt.date(2026, 12, 10), at=dt.time(11, 0))
        slot = next(
            x for x in booking.find_free_slots(s, parc, clock(), query).slots if x.starts_at.minute == 0
        )
        new_id = booking.reschedule(s, old_id, slot.id, clock(), "sms").id
    for effect in notifications.staff_change_effects(new_id, "rescheduled"):
        jobs_runtime.jobs.enqueue(effect.job, *effect.args)
    jobs_runtime.jobs.drain()
    (confirmation,) = fake_twilio.messages_to(ANNA)
    assert "changé" in confirmation["body"]
    assert "11 h" in confirmation["body"]
    reminders = {m.appointment_id: m for m in messages(jobs_runtime, purpose="reminder")}
    assert reminders[old_id].status == "withdrawn"
    assert reminders[new_id].status == "pending"
    assert reminders[new_id].send_after == clock.set_local(WEDNESDAY, dt.time(11, 0))


def test_a_staff_booking_gets_an_sms_confirmation_once(jobs_runtime, fake_twilio):
    appointment_id = book(jobs_runtime, ANNA, day=WEDNESDAY, at=dt.time(10, 0), lang="en").id
    for _ in range(2):  # a job that runs twice sends once
        for effect in notifications.staff_change_effects(appointment_id, "booked"):
            jobs_runtime.jobs.enqueue(effect.job, *effect.args)
        jobs_runtime.jobs.drain()
    (sms,) = fake_twilio.messages_to(ANNA)
    assert sms["body"].startswith("Clinique du Parc: appointment confirmed Wed Dec 9 at 10:00 AM with")
    assert "ANNULER" in sms["body"]
