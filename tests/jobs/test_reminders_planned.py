"""A booking plans its reminders in its own transaction: kept together with it or not at all, on both databases,
whatever the job queue; planning again (an old outbox row, a job run twice) plans nothing twice."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import select

from core.jobs import context
from core.jobs.names import SEND_MESSAGE
from core.jobs.tasks import schedule_reminders
from core.models import Appointment, Clinic, OutboundMessage, OutboxJob, Patient
from core.services import booking, notifications
from core.services.patients import get_or_create_patient
from tests.support.arrange import reminders

ANNA = "+15145551001"
WEDNESDAY = dt.date(2026, 12, 9)


def free_slot(session, clinic, now) -> int:
    query = booking.SlotQuery(date=WEDNESDAY, at=dt.time(10, 0))
    return booking.find_free_slots(session, clinic, now, query).slots[0].id


def book_anna(runtime, clock) -> int:
    with runtime.session_factory.begin() as s:
        clinic = s.get(Clinic, "parc")
        slot_id = free_slot(s, clinic, clock())
        return booking.book(s, slot_id, get_or_create_patient(s, ANNA), "sms", clock()).id


def test_a_booking_and_its_reminder_are_kept_together_or_not_at_all(any_runtime, clock):
    class Abandoned(Exception):
        pass

    planned: list[str] = []

    def book_then_fail() -> None:
        with any_runtime.session_factory.begin() as s:
            clinic = s.get(Clinic, "parc")
            booking.book(s, free_slot(s, clinic, clock()), get_or_create_patient(s, ANNA), "sms", clock())
            planned.extend(m.purpose for m in s.scalars(select(OutboundMessage)))
            raise Abandoned  # the turn failed after the booking: neither is kept

    with pytest.raises(Abandoned):
        book_then_fail()
    assert planned == ["reminder"]
    with any_runtime.session_factory() as s:
        assert s.scalars(select(OutboundMessage)).all() == []
        assert s.scalars(select(OutboxJob)).all() == []

    appointment_id = book_anna(any_runtime, clock)
    assert reminders(any_runtime, appointment_id) == [("sms", "pending", True)]
    with any_runtime.session_factory() as s:
        (reminder,) = s.scalars(select(OutboundMessage))
        (send,) = s.scalars(select(OutboxJob))
        starts_at = s.get(Appointment, appointment_id).starts_at
    assert (send.job, send.args, send.due_at) == (SEND_MESSAGE, [reminder.id], reminder.send_after)
    assert reminder.send_after == starts_at - dt.timedelta(days=1)  # the same time the day before
    assert (reminder.from_number, reminder.to) == ("+15145550100", ANNA)


def test_planning_again_plans_nothing_twice(any_runtime, clock):
    appointment_id = book_anna(any_runtime, clock)
    with context.using(any_runtime):
        assert schedule_reminders(appointment_id) == []  # an outbox row from before: nothing new
        assert schedule_reminders(appointment_id) == []
    assert reminders(any_runtime, appointment_id) == [("sms", "pending", True)]
    with any_runtime.session_factory() as s:
        assert len(s.scalars(select(OutboxJob)).all()) == 1


def test_a_notice_is_kept_once_per_key_even_by_two_transactions_at_once(any_runtime, clock):
    with any_runtime.session_factory.begin() as s:
        patient_id = get_or_create_patient(s, ANNA).id
    barrier = threading.Barrier(2)
    ids: list[int] = []

    def create() -> None:
        with any_runtime.session_factory.begin() as s:
            barrier.wait(30)
            message = notifications.create_message(
                s,
                clinic=s.get(Clinic, "parc"),
                patient=s.get(Patient, patient_id),
                purpose="queue_notice",
                subject="ticket:7",
                dedupe_key="queue_notice:ticket:7",
                now=clock(),
            )
            ids.append(message.id)

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(ids) == 2
    assert ids[0] == ids[1]
    with any_runtime.session_factory() as s:
        (message,) = s.scalars(select(OutboundMessage))
    assert (message.id, message.status, message.from_number) == (ids[0], "pending", "+15145550100")
