"""Closed days and visit reasons on the line, by SMS and by phone, in French and English.

The clock starts on Monday 7 December 2026 at 09:00 in Montréal (Clinique du Parc: Monday to Friday,
15-minute slots, Dre Tremblay and Dr Nguyen). The reasons loaded: consultation (1 slot), suivi /
follow-up (2 slots, Dr Nguyen only), vaccin / vaccine (1 slot).
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.models import Clinic, Practitioner, Slot, SlotStatus
from core.services import schedule
from core.timeutil import to_local
from tests.support.apps import MARIE
from tests.support.arrange import booked
from tests.support.clinics_files import REASONS, load

CHRISTMAS = dt.date(2026, 12, 25)
AFTER_CHRISTMAS = dt.date(2026, 12, 28)


@pytest.fixture
def closed_christmas(runtime):
    with runtime.session_factory.begin() as s:
        schedule.add_change(
            s,
            s.get(Clinic, "parc"),
            "closure",
            day=CHRISTMAS,
            now=runtime.now(),
            horizon_days=runtime.config.slot_horizon_days,
            reason="Noël",
            reason_en="Christmas",
        )


@pytest.fixture
def reasons(runtime, tmp_path):
    load(runtime, tmp_path, REASONS)


def offered(runtime, ids) -> list[Slot]:
    with runtime.session_factory() as s:
        rows = [s.get(Slot, i) for i in ids]
        for row in rows:
            s.expunge(row)
        return rows


def local_days(rows) -> set[dt.date]:
    return {to_local(r.starts_at, "America/Toronto").date() for r in rows}


def nguyen_id(runtime) -> int:
    with runtime.session_factory() as s:
        return s.scalar(select(Practitioner.id).where(Practitioner.key == "dr-nguyen"))


def slots_of(runtime, appointment) -> list[Slot]:
    with runtime.session_factory() as s:
        first = s.get(Slot, appointment.slot_id)
        rows = [first, *s.scalars(select(Slot).where(Slot.joined_to == first.id))]
        for row in rows:
            s.expunge(row)
        return rows


# ---- a closed day -------------------------------------------------------------------------------------------


def test_sms_a_closed_day_says_why_in_french_and_offers_later_days(texter, runtime, closed_christmas):
    texter.send("RDV le 25 décembre")
    assert "closed_day_reason" in texter.keys
    assert "La clinique est fermée le ven. 25 déc. (Noël)." in texter.text
    assert texter.state.question == "book_pick"
    days = local_days(offered(runtime, texter.state.data["offered"]))
    assert CHRISTMAS not in days
    assert min(days) == AFTER_CHRISTMAS


def test_sms_a_closed_day_says_why_in_english(texter, runtime, closed_christmas):
    texter.send("I need an appointment on December 25")
    assert texter.reply.lang == "en"
    assert "The clinic is closed on Fri Dec 25 (Christmas)." in texter.text
    assert CHRISTMAS not in local_days(offered(runtime, texter.state.data["offered"]))


def test_voice_a_closed_day_says_why_in_french(caller, runtime, closed_christmas):
    caller.call().press("1")
    caller.send("le 25 décembre")
    assert "closed_day_reason" in caller.keys
    assert "fermée le vendredi vingt-cinq décembre, pour la raison suivante: Noël" in caller.text
    assert CHRISTMAS not in local_days(offered(runtime, caller.state.data["offered"]))


def test_voice_a_closed_day_says_why_in_english(caller, runtime, closed_christmas):
    caller.call().press("9").press("1")
    caller.send("December twenty fifth")
    assert caller.reply.lang == "en"
    assert "closed_day_reason" in caller.keys
    assert "for this reason: Christmas" in caller.text


def test_a_day_with_nothing_free_that_is_not_closed_says_no_closure(texter, closed_christmas):
    texter.send("RDV samedi")
    assert "closed_day_reason" not in texter.keys
    assert "closed_day" not in texter.keys


# ---- the visit reason ---------------------------------------------------------------------------------------


def test_without_reasons_the_line_asks_none(texter):
    texter.send("RDV")
    assert texter.state.question == "book_pick"


def test_sms_the_reason_is_asked_in_one_question_and_a_word_answers_it(texter, runtime, reasons):
    texter.send("RDV")
    assert texter.keys == ["ask_reason"]
    assert texter.choice_digits() == ["1", "2", "3"]
    assert "1) Consultation\n2) Suivi\n3) Vaccin" in texter.text
    texter.send("pour la vaccination")
    assert texter.state.question == "book_pick"
    assert texter.state.data["reason"] == "vaccin"
    texter.send("1").send("Marie Roy").send("oui")
    [appointment] = booked(runtime, MARIE)
    assert appointment.reason == "vaccin"
    assert len(slots_of(runtime, appointment)) == 1


def test_sms_a_reason_named_in_the_request_is_not_asked_again(texter, reasons):
    texter.send("je voudrais un rdv pour un vaccin jeudi")
    assert texter.state.question == "book_pick"
    assert texter.state.data["reason"] == "vaccin"


def test_sms_an_unknown_answer_asks_again_then_a_digit_answers(texter, reasons):
    texter.send("RDV").send("euh")
    assert texter.keys == ["ask_reason_retry"]
    texter.send("1")
    assert texter.state.data["reason"] == "consultation"


def test_sms_in_english_a_two_slot_follow_up_books_two_consecutive_slots(texter, runtime, reasons):
    texter.send("BOOK")
    assert texter.reply.lang == "en"
    assert "1) Consultation\n2) Follow-up\n3) Vaccine" in texter.text
    texter.send("a follow-up please")
    assert texter.state.data["reason"] == "suivi"
    rows = offered(runtime, texter.state.data["offered"])
    assert {r.practitioner_id for r in rows} == {nguyen_id(runtime)}
    texter.send("1").send("Mary Smith").send("yes")
    assert texter.keys == ["booked"]
    [appointment] = booked(runtime, MARIE)
    first, second = slots_of(runtime, appointment)
    assert appointment.reason == "suivi"
    assert (first.status, second.status) == (SlotStatus.BOOKED, SlotStatus.BOOKED)
    assert second.starts_at == first.ends_at
    assert second.practitioner_id == first.practitioner_id


def test_voice_the_reason_by_keypad_and_a_two_slot_booking(caller, runtime, reasons):
    caller.call().press("1")
    assert caller.keys == ["ask_reason"]
    assert caller.choice_digits() == ["1", "2", "3"]
    assert "2) Suivi" in caller.text
    caller.press("2")
    assert caller.keys == ["ask_day"]
    caller.press("2")  # tomorrow
    rows = offered(runtime, caller.state.data["offered"])
    assert {r.practitioner_id for r in rows} == {nguyen_id(runtime)}
    caller.press("1")
    if caller.state.question == "book_name":
        caller.press("#")
    caller.press("1")
    [appointment] = booked(runtime, MARIE)
    assert appointment.reason == "suivi"
    assert len(slots_of(runtime, appointment)) == 2


def test_voice_in_english_a_spoken_reason(caller, reasons):
    caller.call().press("9").press("1")
    assert caller.reply.lang == "en"
    assert caller.keys == ["ask_reason"]
    assert "3) Vaccine" in caller.text
    caller.send("I need a flu shot")
    assert caller.state.data["reason"] == "vaccin"
    assert caller.keys == ["ask_day"]


# ---- over the wire: signed Twilio requests, TwiML parsed -------------------------------------------------------


@pytest.fixture
def wired(signed_rt, tmp_path):
    """The signed app's database with the reasons and the Christmas closure."""
    load(signed_rt, tmp_path, REASONS)
    with signed_rt.session_factory.begin() as s:
        schedule.add_change(
            s,
            s.get(Clinic, "parc"),
            "closure",
            day=CHRISTMAS,
            now=signed_rt.now(),
            horizon_days=signed_rt.config.slot_horizon_days,
            reason="Noël",
            reason_en="Christmas",
        )
    return signed_rt


def test_wire_sms_closed_day_and_reason_fit_two_segments(wired, phone):
    marie = phone()
    asked = marie.send("RDV le 25 décembre")
    assert asked.choices == ["1) Consultation", "2) Suivi", "3) Vaccin"]
    said = marie.send("3")
    assert "La clinique est fermée le ven. 25 déc. (Noel)." in said.text  # GSM-7 has no ë
    assert said.choices[0].startswith("1) lun. 28 déc.")


def test_wire_voice_two_slot_reason_in_english(wired, dial):
    call = dial().press("9").press("1")
    assert "Follow-up, press 2." in call.text
    call.press("2")
    call.say("December twenty fifth")
    assert "The clinic is closed on" in call.text
    assert "Christmas" in call.text
    call.press("1")
    if "name" in call.text:
        call.press("#")
    call.press("1")
    [appointment] = booked(wired, MARIE)
    assert appointment.reason == "suivi"
    assert len(slots_of(wired, appointment)) == 2


def test_sms_moving_a_two_slot_appointment_keeps_its_reason_and_both_slots(texter, runtime, reasons):
    texter.send("RDV").send("suivi").send("1").send("Marie Roy").send("oui")
    [old] = booked(runtime, MARIE)
    texter.send("changer mon RDV")
    assert "ask_reason" not in texter.keys
    if texter.state.question != "book_pick":
        texter.send("jeudi")
    assert texter.state.data["reason"] == "suivi"
    texter.send("1")
    if texter.state.question == "book_confirm":
        texter.send("oui")
    [new] = booked(runtime, MARIE)
    assert new.id != old.id
    assert new.reason == "suivi"
    assert len(slots_of(runtime, new)) == 2
    with runtime.session_factory() as s:
        assert s.get(Slot, old.slot_id).status == SlotStatus.FREE
        assert s.scalars(select(Slot).where(Slot.joined_to == old.slot_id)).all() == []
