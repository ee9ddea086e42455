"""Reminders and confirmations of a phone that books for several people name the person ("rappel du RDV de
Marc"); a phone that books only for its owner keeps "votre RDV". Sent by the real jobs to the fake Twilio."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.models import OutboundMessage
from core.services import notifications
from prompts.sms import say_text
from smsbot.segments import segments
from tests.support.arrange import book
from tests.support.households import add_people

PHONE = "+15145551001"
WEDNESDAY = dt.date(2026, 12, 9)


def book_for_one(runtime, names: list[str], who: int, lang: str = "fr") -> int:
    """A phone with these people; an appointment for one of them on Wednesday at 10:00."""
    add_people(runtime, PHONE, names, lang)
    return book(runtime, PHONE, day=WEDNESDAY, at=dt.time(10, 0), person=names[who]).id


def sent_bodies(jobs_runtime, clock, fake_twilio, appointment_id: int) -> list[str]:
    jobs_runtime.jobs.enqueue("core.jobs.tasks.send_confirmation", appointment_id, "booked")
    jobs_runtime.jobs.enqueue("core.jobs.tasks.schedule_reminders", appointment_id)
    jobs_runtime.jobs.drain()
    clock.set_local(dt.date(2026, 12, 8), dt.time(10, 0))
    jobs_runtime.jobs.enqueue("core.jobs.tasks.tick")
    jobs_runtime.jobs.drain()
    return [m["body"] for m in fake_twilio.messages_to(PHONE)]


@pytest.mark.parametrize(
    ("lang", "booked", "reminder"),
    [
        ("fr", "RDV de Marc confirmé", "rappel du RDV de Marc demain"),
        ("en", "Marc's appointment confirmed", "reminder of Marc's appointment tomorrow"),
    ],
)
def test_the_confirmation_and_the_reminder_name_the_person(
    jobs_runtime, clock, fake_twilio, lang, booked, reminder
):
    appointment_id = book_for_one(jobs_runtime, ["Julie Tremblay", "Marc Tremblay"], who=1, lang=lang)
    confirmation, reminded = sent_bodies(jobs_runtime, clock, fake_twilio, appointment_id)
    assert booked in confirmation, (confirmation, reminded)
    assert reminder in reminded, (confirmation, reminded)
    assert all(segments(body).segments <= 2 for body in (confirmation, reminded))


def test_a_phone_with_one_person_keeps_your_appointment(jobs_runtime, clock, fake_twilio):
    appointment_id = book_for_one(jobs_runtime, ["Julie Tremblay"], who=0)
    confirmation, reminded = sent_bodies(jobs_runtime, clock, fake_twilio, appointment_id)
    assert "RDV confirmé" in confirmation
    assert "rappel de votre RDV demain" in reminded
    assert "Julie" not in confirmation + reminded


def test_a_name_with_accents_gsm7_lacks_is_folded_when_that_saves_segments(jobs_runtime, clock, fake_twilio):
    # "Ève" and "Côté" would make the whole SMS UCS-2 (70 characters a segment): the jobs' messages go
    # through the replies' renderer (prompts/sms.py), which folds them when that costs fewer segments.
    appointment_id = book_for_one(jobs_runtime, ["Julie Tremblay", "Marie-Ève Côté"], who=1)
    jobs_runtime.jobs.enqueue("core.jobs.tasks.send_confirmation", appointment_id, "booked")
    jobs_runtime.jobs.drain()
    with jobs_runtime.session_factory() as s:
        message = s.scalar(select(OutboundMessage).where(OutboundMessage.purpose == "confirmation_booked"))
        as_written = " ".join(say_text(say, "fr") for say in notifications.message_says(s, message, clock()))
    (confirmation,) = [m["body"] for m in fake_twilio.messages_to(PHONE)]
    assert "Ève" in as_written
    assert segments(as_written).encoding == "UCS-2"
    assert "Marie-Eve" in confirmation, confirmation
    assert "Ève" not in confirmation
    assert segments(confirmation).encoding == "GSM-7"
    assert segments(confirmation).segments < segments(as_written).segments
