"""The no-show loop as staff see it: a no-show sends one message to rebook; late patients and past no-shows show.

On SQLite and PostgreSQL: the message and its outbox row are written in the transaction of the mark.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.models import Appointment, AppointmentStatus, AuditEntry, Clinic, OutboundMessage, OutboxJob
from core.services import board, patients
from core.timeutil import local_to_utc
from tests.staff.conftest import csrf, sign_in, text_of
from tests.support.apps import MARIE
from tests.support.arrange import book

MONDAY = dt.date(2026, 12, 7)  # the clock starts on Monday 2026-12-07 at 09:00
SEND = "core.jobs.tasks.send_message"


@pytest.fixture
def runtime(both_databases):
    return both_databases


def mark(console, appointment_id: int, outcome: str = "no_show"):
    return console.post(
        f"/staff/parc/appointments/{appointment_id}/{outcome}", data={"csrf_token": csrf(console)}
    )


def no_show_messages(runtime) -> list[OutboundMessage]:
    with runtime.session_factory() as s:
        return list(s.scalars(select(OutboundMessage).where(OutboundMessage.purpose == "no_show")))


def test_a_no_show_sends_one_sms_with_a_way_to_rebook(console, runtime, clock, fake_twilio):
    appointment_id = book(runtime, MARIE, day=MONDAY, at=dt.time(9, 30), person="Marie Tremblay").id
    clock.set_local(MONDAY, dt.time(10, 5))
    sign_in(console)
    assert mark(console, appointment_id).status_code == 302
    (message,) = no_show_messages(runtime)
    with runtime.session_factory() as s:  # the outbox row was committed with the mark, before any job ran
        assert s.get(Appointment, appointment_id).status == AppointmentStatus.NO_SHOW
        jobs = s.scalars(select(OutboxJob).where(OutboxJob.job == SEND)).all()
        assert [job.args for job in jobs] == [[message.id]]
        actors = s.scalars(select(AuditEntry.actor).where(AuditEntry.action == "appointment.no_show")).all()
        assert actors == ["Julie Tremblay"]
    runtime.jobs.drain()
    (sms,) = fake_twilio.messages_to(MARIE)
    assert "Clinique du Parc" in sms["body"]
    assert "lun. 7 déc. à 9 h 30" in sms["body"]
    assert "répondez RDV" in sms["body"]
    assert "514-555-0199" in sms["body"]
    assert no_show_messages(runtime)[0].status == "sent"


def test_marking_again_or_correcting_and_marking_again_sends_nothing_more(
    console, runtime, clock, fake_twilio
):
    appointment_id = book(runtime, MARIE, day=MONDAY, at=dt.time(9, 30), person="Marie Tremblay").id
    clock.set_local(MONDAY, dt.time(10, 5))
    sign_in(console)
    mark(console, appointment_id)
    runtime.jobs.drain()
    mark(console, appointment_id)  # a double click
    mark(console, appointment_id, "attended")  # a correction…
    mark(console, appointment_id)  # …and back
    runtime.jobs.drain()
    assert len(fake_twilio.messages_to(MARIE)) == 1
    assert len(no_show_messages(runtime)) == 1


def test_a_mark_corrected_before_the_message_goes_withdraws_it(console, runtime, clock, fake_twilio):
    appointment_id = book(runtime, MARIE, day=MONDAY, at=dt.time(16, 45), person="Marie Tremblay").id
    clock.set_local(MONDAY, dt.time(21, 30))  # marked late in the evening: the message waits for 08:00
    sign_in(console)
    mark(console, appointment_id)
    runtime.jobs.drain()
    assert fake_twilio.messages_to(MARIE) == []
    (message,) = no_show_messages(runtime)
    assert message.send_after == local_to_utc(MONDAY + dt.timedelta(days=1), dt.time(8, 0), "America/Toronto")
    mark(console, appointment_id, "attended")  # the patient had come after all
    clock.set_local(MONDAY + dt.timedelta(days=1), dt.time(8, 0))
    runtime.jobs.drain()
    assert fake_twilio.messages_to(MARIE) == []
    assert no_show_messages(runtime)[0].status == "withdrawn"


def test_an_opted_out_number_gets_no_message(console, runtime, clock, fake_twilio):
    appointment_id = book(runtime, MARIE, day=MONDAY, at=dt.time(9, 30), person="Marie Tremblay").id
    with runtime.session_factory.begin() as s:
        patients.opt_out(s, patients.find_patient(s, MARIE), clock())
    clock.set_local(MONDAY, dt.time(10, 5))
    sign_in(console)
    mark(console, appointment_id)
    runtime.jobs.drain()
    assert fake_twilio.requests == []
    (message,) = no_show_messages(runtime)
    assert (message.status, message.error_message) == ("not_sent", "patient opted out")


def test_a_call_only_patient_is_planned_a_call(console, runtime, clock):
    appointment_id = book(
        runtime, "+15145551077", day=MONDAY, at=dt.time(9, 30), person="Marie Tremblay", calls_only=True
    ).id
    clock.set_local(MONDAY, dt.time(10, 5))
    sign_in(console)
    mark(console, appointment_id)
    (message,) = no_show_messages(runtime)
    assert message.kind == "call"


def test_the_day_shows_a_patients_past_no_shows_and_never_blocks_them(console, runtime, clock, texter):
    first = book(runtime, MARIE, day=MONDAY, at=dt.time(9, 30), person="Marie Tremblay").id
    second = book(
        runtime, MARIE, day=MONDAY + dt.timedelta(days=1), at=dt.time(10, 0), person="Marie Tremblay"
    ).id
    today = MONDAY + dt.timedelta(days=2)
    book(runtime, MARIE, day=today, at=dt.time(14, 0), person="Marie Tremblay")
    clock.set_local(today, dt.time(9, 0))
    with runtime.session_factory.begin() as s:
        parc = s.get(Clinic, "parc")
        for appointment_id in (first, second):
            board.mark_attendance(s, parc, appointment_id, False, "reception")
    sign_in(console)
    page = text_of(console.get("/staff/parc/"))
    assert "Absences passées: 2 (mar. 8 déc., lun. 7 déc.)" in page
    reply = texter("RDV demain")  # nothing automatic comes of it: the line books them as anyone
    assert reply.choices


def test_a_patient_running_late_shows_on_the_day(console, runtime, clock, texter):
    book(runtime, MARIE, day=MONDAY, at=dt.time(14, 0), person="Marie Tremblay")
    clock.set_local(MONDAY, dt.time(13, 50))
    texter("je serai en retard de 10 min")
    sign_in(console)
    page = text_of(console.get("/staff/parc/"))
    assert "En retard: 10 min (avisé à 13 h 50)" in page
    clock.advance(minutes=2)
    texter("finalement plutôt 20 minutes de retard")
    assert "En retard: 20 min (avisé à 13 h 52)" in text_of(console.get("/staff/parc/"))


def test_a_call_left_on_an_answering_machine_says_so_in_the_messages(console, runtime):
    with runtime.session_factory.begin() as s:
        s.add(
            OutboundMessage(
                clinic_id="parc",
                to=MARIE,
                kind="call",
                purpose="reminder",
                status="delivered",
                answered_by="machine_end_beep",
            )
        )
    sign_in(console)
    assert "delivered — répondeur" in text_of(console.get("/staff/parc/"))


def test_on_a_phone_of_several_people_the_message_names_who_was_missed(console, runtime, clock, fake_twilio):
    book(runtime, MARIE, day=MONDAY, at=dt.time(14, 0), person="Marie Tremblay")  # Marie's own, later today
    missed = book(runtime, MARIE, day=MONDAY, at=dt.time(9, 30), person="Léo Côté").id  # her son's
    clock.set_local(MONDAY, dt.time(10, 5))
    sign_in(console)
    mark(console, missed)
    runtime.jobs.drain()
    (sms,) = fake_twilio.messages_to(MARIE)
    assert "Léo Coté" in sms["body"]  # named, with only the accents GSM-7 carries
    assert "répondez RDV" in sms["body"]


def test_running_late_moves_the_live_stamp_and_the_live_board_shows_it(console, runtime, clock, texter):
    book(runtime, MARIE, day=MONDAY, at=dt.time(14, 0), person="Marie Tremblay")
    clock.set_local(MONDAY, dt.time(13, 50))
    sign_in(console)
    before = console.get("/staff/parc/live.json").get_json()
    texter("je serai en retard de 10 min")  # changes no count: the stamp must move all the same
    after = console.get(f"/staff/parc/live.json?stamp={before['stamp']}").get_json()
    assert after["changed"] is True
    assert after["stamp"] != before["stamp"]
    assert "En retard: 10 min (avisé à 13 h 50)" in after["html"]
