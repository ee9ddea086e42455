"""A patient who repeats the answer that completed a flow is told its outcome again, not the menu."""

from __future__ import annotations

from sqlalchemy import update

from core.models import Appointment, AppointmentStatus
from tests.support.apps import JOHN, MARIE
from tests.support.arrange import booked, tickets


def book_by_text(texter, first: str = "je voudrais voir un médecin jeudi matin", yes: str = "oui"):
    texter.send(first).send("1").send("Marie Tremblay").send(yes)
    assert texter.keys == ["booked"]
    return texter.value("booked", "code")


def test_a_second_oui_after_a_booking_gets_the_code_again(texter, runtime):
    code = book_by_text(texter)
    texter.send("OUI")
    assert texter.keys == ["booked"]
    assert texter.value("booked", "code") == code
    assert "jeu. 10 déc." in texter.text
    assert "Clinique du Parc" in texter.text
    assert texter.effects == []  # nothing is done twice: no second reminder planned
    (appointment,) = booked(runtime, MARIE)
    assert appointment.code == code
    texter.send("oui")  # and again, as often as the patient asks
    assert texter.value("booked", "code") == code


def test_a_repeated_yes_in_english_gets_the_code_again(texter):
    code = book_by_text(texter, first="anything tomorrow after 3?", yes="yes")
    texter.send("Yes")
    assert texter.keys == ["booked"]
    assert texter.value("booked", "code") == code


def test_a_digit_after_a_booking_is_not_taken_for_a_repeated_yes(texter):
    book_by_text(texter)
    texter.send("1")
    assert "booked" not in texter.keys


def test_a_yes_after_another_request_is_not_read_as_the_booking_again(texter):
    book_by_text(texter)
    texter.send("AIDE").send("oui")
    assert "booked" not in texter.keys


def test_a_cancelled_appointment_is_not_told_again(texter, runtime):
    book_by_text(texter)
    with runtime.session_factory.begin() as s:
        s.execute(update(Appointment).values(status=AppointmentStatus.CANCELLED))
    texter.send("oui")
    assert "booked" not in texter.keys


def test_another_phone_never_hears_the_code(patient_factory, texter):
    book_by_text(texter)
    john = patient_factory(channel="sms", phone=JOHN)
    john.send("oui")
    assert "booked" not in john.keys


def test_a_second_sans_rdv_after_joining_gets_the_same_number(texter, runtime):
    texter.send("SANS RDV")
    assert texter.keys[0] == "walkin_joined"
    number = texter.value("walkin_joined", "number")
    texter.send("SANS RDV")
    assert texter.keys[0] == "walkin_already"
    assert texter.value("walkin_already", "number") == number
    assert len(tickets(runtime, MARIE)) == 1
