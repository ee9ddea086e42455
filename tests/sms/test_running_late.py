"""'je serai en retard (de 10 min)' / 'running late' by SMS: the staff board is told, the patient is answered."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.models import Appointment, AuditEntry
from core.services import patients
from prompts import text as template
from tests.support.apps import JOHN, MARIE, PARC, WESTMOUNT
from tests.support.arrange import book

MONDAY = dt.date(2026, 12, 7)  # the clock starts on Monday 2026-12-07 at 09:00
TUESDAY = dt.date(2026, 12, 8)


def appointment(rt, appointment_id: int) -> Appointment:
    with rt.session_factory() as session:
        return session.get(Appointment, appointment_id)


def fixed(key: str, lang: str) -> str:
    """The words of a prompt before its first placeholder."""
    return template(key, lang, "sms").split("{")[0].strip()


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("je serai en retard de 10 min", 10),
        ("Je serai en retard (de 10 min)", 10),
        ("j'ai 15 minutes de retard", 15),
        ("en retard de 1/2 heure", 30),
        ("jvais être en retard de 5-10 min dsl", 10),
        ("Bonjour, je vais arriver environ vingt minutes en retard", 20),
    ],
)
def test_a_patient_late_by_some_minutes_is_shown_on_the_board_and_told(
    phone, signed_rt, clock, text, minutes
):
    appointment_id = book(signed_rt, MARIE, day=MONDAY, at=dt.time(14, 0)).id
    reply = phone()(text)
    assert fixed("late_noted", "fr") in reply.text
    assert f"{minutes} min" in reply.text
    assert "lun. 7 déc. à 14 h" in reply.text
    assert "ANNULER" in reply.text
    row = appointment(signed_rt, appointment_id)
    assert (row.late_minutes, row.late_at) == (minutes, clock())
    with signed_rt.session_factory() as session:
        (entry,) = session.scalars(select(AuditEntry).where(AuditEntry.action == "appointment.running_late"))
    assert entry.subject == f"appointment:{appointment_id}"
    assert entry.detail["minutes"] == minutes


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("I'll be 10 min late", 10), ("running 15 minutes late, sorry!", 15), ("10 min late", 10)],
)
def test_an_english_patient_is_answered_in_english(phone, signed_rt, text, minutes):
    appointment_id = book(signed_rt, JOHN, day=MONDAY, at=dt.time(11, 0), clinic="westmount").id
    reply = phone(JOHN, WESTMOUNT)(text)
    assert fixed("late_noted", "en") in reply.text
    assert f"{minutes} min" in reply.text
    assert appointment(signed_rt, appointment_id).late_minutes == minutes


@pytest.mark.parametrize("text", ["chu en retard", "running late", "désolé, je suis en retrad", "en retard"])
def test_lateness_without_minutes_is_shown_and_the_minutes_are_asked(phone, signed_rt, clock, text):
    appointment_id = book(signed_rt, MARIE, day=MONDAY, at=dt.time(14, 0)).id
    texter = phone()
    first = texter(text)
    lang = "en" if "running" in text else "fr"
    assert fixed("late_ask_minutes", lang) in first.text
    row = appointment(signed_rt, appointment_id)
    assert (row.late_minutes, row.late_at) == (None, clock())  # the board says "late" at once
    clock.advance(minutes=1)
    second = texter("15")
    assert fixed("late_noted", lang) in second.text
    assert "15 min" in second.text
    assert appointment(signed_rt, appointment_id).late_minutes == 15


@pytest.mark.parametrize(("answer", "minutes"), [("dix", 10), ("une demi-heure", 30), ("20 min", 20)])
def test_the_minutes_may_be_written_in_words(phone, signed_rt, answer, minutes):
    appointment_id = book(signed_rt, MARIE, day=MONDAY, at=dt.time(14, 0)).id
    texter = phone()
    texter("je serai en retard")
    texter(answer)
    assert appointment(signed_rt, appointment_id).late_minutes == minutes


def test_an_unclear_answer_is_asked_again_then_left_as_late(phone, signed_rt):
    appointment_id = book(signed_rt, MARIE, day=MONDAY, at=dt.time(14, 0)).id
    texter = phone()
    texter("chu en retard")
    again = texter("bof")
    assert fixed("late_ask_minutes_retry", "fr") in again.text
    last = texter("euh")
    assert template("late_noted_plain", "fr", "sms") in last.text  # no dead end, no staff inbox
    row = appointment(signed_rt, appointment_id)
    assert row.late_at is not None
    assert row.late_minutes is None


def test_thanks_after_the_question_closes_it_and_a_new_request_is_served(phone, signed_rt):
    book(signed_rt, MARIE, day=MONDAY, at=dt.time(14, 0))
    texter = phone()
    texter("je suis en retard")
    assert fixed("bye", "fr") in texter("merci").text
    booking = texter("RDV demain")
    assert booking.choices  # the slots of tomorrow, as any booking


def test_the_next_appointment_of_the_day_is_the_one_marked(phone, signed_rt, clock):
    clock.set_local(MONDAY, dt.time(13, 5))
    first = book(signed_rt, MARIE, day=MONDAY, at=dt.time(15, 0)).id
    later = book(signed_rt, MARIE, day=MONDAY, at=dt.time(16, 0)).id
    phone()("je serai en retard de 10 min")
    assert appointment(signed_rt, first).late_minutes == 10
    assert appointment(signed_rt, later).late_minutes is None


def test_a_day_named_marks_that_days_appointment(phone, signed_rt):
    appointment_id = book(signed_rt, MARIE, day=TUESDAY, at=dt.time(9, 0)).id
    reply = phone()("je serai en retard de 15 min demain")
    assert fixed("late_noted", "fr") in reply.text
    assert "mar. 8 déc." in reply.text
    assert appointment(signed_rt, appointment_id).late_minutes == 15


def test_without_an_appointment_today_the_patient_is_told_politely_with_the_ways_on(phone, signed_rt):
    reply = phone()("je serai en retard de 10 min")
    assert fixed("late_none_today", "fr") in reply.text
    assert "MES RDV" in reply.text
    assert "RDV" in reply.text
    assert "514-555-0199" in reply.text
    with signed_rt.session_factory() as session:
        assert session.scalars(select(Appointment)).all() == []


def test_without_an_appointment_today_the_next_one_is_named(phone, signed_rt):
    appointment_id = book(signed_rt, MARIE, day=dt.date(2026, 12, 10), at=dt.time(10, 0)).id
    reply = phone()("chu en retard")
    assert fixed("late_none_today_next", "fr") in reply.text
    assert "jeu. 10 déc. à 10 h" in reply.text
    assert "CHANGER" in reply.text
    assert "ANNULER" in reply.text
    assert appointment(signed_rt, appointment_id).late_at is None


def test_an_appointment_at_another_clinic_is_not_marked(phone, signed_rt):
    appointment_id = book(signed_rt, MARIE, day=MONDAY, at=dt.time(14, 0), clinic="westmount").id
    reply = phone(MARIE, PARC)("je serai en retard de 10 min")
    assert fixed("late_none_today", "fr") in reply.text
    assert appointment(signed_rt, appointment_id).late_at is None


def test_an_opted_out_number_gets_no_answer_and_nothing_is_marked(phone, signed_rt, clock):
    appointment_id = book(signed_rt, MARIE, day=MONDAY, at=dt.time(14, 0)).id
    with signed_rt.session_factory.begin() as session:
        patients.opt_out(session, patients.find_patient(session, MARIE), clock())
    reply = phone()("je serai en retard de 10 min")
    assert reply.messages == []
    assert appointment(signed_rt, appointment_id).late_at is None


def test_someone_asking_whether_the_doctor_is_late_is_not_marked_late(phone, signed_rt):
    appointment_id = book(signed_rt, MARIE, day=MONDAY, at=dt.time(14, 0)).id
    phone()("est-ce que le médecin est en retard?")
    assert appointment(signed_rt, appointment_id).late_at is None


def test_late_during_a_reminder_reply_marks_the_appointment_and_keeps_it(phone, signed_rt, clock):
    from core.dialog import prime

    appointment_id = book(signed_rt, MARIE, day=MONDAY, at=dt.time(14, 0)).id
    with signed_rt.session_factory.begin() as session:
        prime(
            session,
            channel="sms",
            conversation_key=MARIE,
            clinic_id="parc",
            flow="reminder",
            data={"appointment_id": appointment_id},
            now=clock(),
            minutes=300,
        )
    reply = phone()("oui mais je serai en retard de 10 min")
    assert fixed("late_noted", "fr") in reply.text
    row = appointment(signed_rt, appointment_id)
    assert row.late_minutes == 10
    assert row.status.value == "booked"


def _child(rt, parent_phone: str, name: str, at: dt.time) -> int:
    """A second person of the phone (a child) with an appointment today."""
    from core.models import Clinic, Slot
    from core.services import booking, people
    from core.timeutil import local_to_utc

    with rt.session_factory.begin() as session:
        phone = patients.get_or_create_patient(session, parent_phone)
        child = people.add_person(session, phone, name, rt.now())
        starts = local_to_utc(MONDAY, at, session.get(Clinic, "parc").timezone)
        slot = session.scalar(select(Slot).where(Slot.clinic_id == "parc", Slot.starts_at == starts).limit(1))
        return booking.book(session, slot.id, phone, "sms", rt.now(), person=child).id


@pytest.mark.parametrize("text", ["Léa sera en retard de 10 min", "ma fille Léa aura 10 minutes de retard"])
def test_on_a_phone_of_several_people_the_person_named_is_marked_and_named_back(phone, signed_rt, text):
    own = book(signed_rt, MARIE, day=MONDAY, at=dt.time(14, 0), person="Marie Tremblay").id
    child = _child(signed_rt, MARIE, "Léa Tremblay", dt.time(15, 0))
    reply = phone()(text)
    assert fixed("late_noted_for", "fr") in reply.text
    assert "Léa Tremblay" in reply.text
    assert appointment(signed_rt, child).late_minutes == 10
    assert appointment(signed_rt, own).late_at is None


def test_on_a_phone_of_several_people_without_a_name_the_next_appointment_is_marked_and_named(
    phone, signed_rt
):
    own = book(signed_rt, MARIE, day=MONDAY, at=dt.time(14, 0), person="Marie Tremblay").id
    _child(signed_rt, MARIE, "Léa Tremblay", dt.time(15, 0))
    reply = phone()("je serai en retard de 10 min")
    assert "Marie Tremblay" in reply.text
    assert appointment(signed_rt, own).late_minutes == 10
