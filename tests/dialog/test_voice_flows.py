"""Complete phone calls with the dialog engine: keypad and speech, in French and English."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.models import AuditEntry, CallbackRequest, SlotStatus
from tests.dialog.conftest import JOHN, MARIE, Patient
from tests.dialog.helpers import THURSDAY, primed, slot_status
from tests.support.arrange import book, booked, patient, tickets
from tests.support.households import own_name

LANDLINE = "+15145559876"


def test_the_greeting_is_french_first_with_english_offered(caller):
    caller.call()
    assert caller.keys == ["greeting", "offer_english", "menu"]
    assert caller.reply.says[1].lang == "en"
    assert caller.choice_digits() == ["1", "2", "3", "0"]
    assert caller.reply.expects == "choice"
    assert caller.reply.max_digits == 1
    assert "Clinique du Parc" in caller.text


def test_a_hidden_caller_says_how_to_be_reached_in_words(runtime, queue):
    call = Patient(runtime, "voice", phone=None, key="call:CA0003")
    call.call().press("2").press("5145551234#").press("1")
    assert call.keys == ["reach_by"]
    call.send("par texto", confidence=0.9)  # core.language reads the words of texting
    assert call.keys == ["walkin_party"]
    assert patient(runtime, MARIE).notify_by == "sms"


def _transfers(runtime) -> list[dict]:
    with runtime.session_factory() as session:
        rows = session.scalars(select(AuditEntry).where(AuditEntry.action == "call.transferred"))
        return [row.detail or {} for row in rows]


def test_every_way_to_the_reception_transfers_and_is_audited_the_same(runtime, queue, caller):
    caller.call().press("0")  # asked for a person
    assert caller.reply.transfer_to == "+15145550199"
    hidden = Patient(runtime, "voice", phone=None, key="call:CA0002")
    hidden.call().press("2")
    for _ in range(3):  # no usable number after the attempts
        hidden.press("123#")
    assert hidden.keys == ["transfer"]
    assert hidden.reply.transfer_to == "+15145550199"
    assert hidden.reply.ends
    assert [d.get("reason") for d in _transfers(runtime)] == [None, "no number"]


def test_nine_switches_to_english_and_remembers_it(caller, runtime):
    caller.call().press("9")
    assert caller.reply.lang == "en"
    assert caller.keys == ["language_set", "menu"]
    assert patient(runtime, MARIE).lang == "en"
    caller.call()
    assert caller.reply.lang == "en"
    assert caller.keys[:2] == ["greeting", "offer_french"]


def test_a_forwarded_call_says_the_lines_are_busy_and_offers_a_callback(patient_factory):
    call = patient_factory(channel="voice", forwarded=True)
    call.call()
    assert call.keys[0] == "greeting_forwarded"
    assert call.reply.choices[-1].label.key == "menu_callback"
    call.press("0")  # the reception line is the busy one: no transfer back to it
    assert call.reply.transfer_to is None
    assert call.keys == ["callback_offer", "callback_name"]


def test_booking_by_keypad_with_an_sms_copy(caller, runtime):
    caller.call().press("1")
    assert caller.keys == ["ask_day"]
    assert caller.reply.expects == "date"
    assert caller.choice_digits() == ["1", "2", "3", "4"]
    caller.press("2")  # tomorrow
    assert "mardi huit décembre: à huit heures" in caller.text  # dates written for the ear, the day said once
    labels = [c.label.key for c in caller.reply.choices]
    assert labels == ["slot_day_time", "slot_time", "slot_time", "choice_more"]
    caller.press("1")
    assert caller.keys == ["ask_name"]
    caller.send("Marie Tremblay", confidence=0.9)
    assert caller.keys == ["confirm_recap_named", "confirm_slot"]  # the name read back with the slot
    assert caller.value("confirm_recap_named", "name") == "Marie Tremblay"
    caller.press("1")
    assert caller.keys == ["booked", "sms_copy"]
    [appointment] = booked(runtime, MARIE)
    assert caller.value("booked", "code") == appointment.code
    caller.press("1")
    assert ("send_confirmation", (appointment.id, "booked")) in caller.effects
    assert caller.keys == ["sms_copy_yes", "more"]
    caller.press("2")
    assert caller.reply.ends
    assert caller.keys == ["goodbye"]


def test_booking_by_speech_in_english_and_skipping_the_name(runtime, queue):
    call = Patient(runtime, "voice", phone=JOHN)
    call.call().send("English", confidence=0.9)
    call.send("I'd like an appointment next tuesday afternoon", confidence=0.8)
    assert call.reply.lang == "en"
    assert call.state.question == "book_pick"
    assert "Tuesday, December fifteenth: at one PM" in call.text
    call.press("1").press("#")
    assert call.keys == ["confirm_recap", "confirm_slot"]
    call.press("1")
    assert call.keys == ["booked", "sms_copy"]
    assert own_name(runtime, JOHN) is None


def test_keypad_next_week_offers_slots_from_next_monday(caller):
    caller.call().press("1").press("4")
    assert "lundi quatorze décembre" in caller.text


def test_times_on_different_days_are_each_said_with_their_day(caller, clock):
    clock.set_local(dt.date(2026, 12, 7), dt.time(16, 40))  # one time left today
    caller.call().press("1").send("oui", confidence=0.9)  # any day: the first free times
    assert "1) lundi sept décembre à seize heures quarante-cinq" in caller.text
    assert "2) mardi huit décembre à huit heures" in caller.text
    assert {c.label.key for c in caller.reply.choices[:-1]} == {"slot_label"}


def test_no_sms_copy_is_offered_to_a_landline(patient_factory):
    call = patient_factory(channel="voice", phone=LANDLINE, can_sms=False)
    call.call().press("1").press("2").press("1").press("#").press("1")
    assert call.keys == ["booked", "more"]


def test_star_repeats_the_last_prompt(caller):
    caller.call().press("1").press("2")
    offered = caller.text
    caller.press("*")
    assert caller.text == offered
    assert caller.state.question == "book_pick"


def test_silence_gets_the_choices_again_then_a_nudge_then_a_person(caller):
    caller.call().silence()
    assert caller.keys == ["silence_first"]
    assert caller.choice_digits() == ["1", "2", "3", "0"]
    caller.silence()
    assert caller.keys == ["silence_second"]
    assert caller.reply.choices == []
    assert caller.state.question == "menu"  # the menu still answers a key pressed now
    caller.silence()  # the third: a person (the clinic is open on Monday morning)
    assert caller.keys == ["silence_transfer"]
    assert caller.reply.transfer_to == "+15145550199"


def test_three_misunderstandings_when_closed_lead_to_a_callback_request(caller, runtime, clock):
    clock.set_local(dt.date(2026, 12, 7), dt.time(20, 0))
    caller.call()
    for _ in range(3):
        caller.send("euh je sais pas trop", confidence=0.7)
    assert caller.keys == ["misses_voice", "callback_offer", "callback_ask"]  # asked, never assumed
    caller.press("1")
    assert caller.keys == ["callback_name"]
    caller.send("Marie Tremblay", confidence=0.8)
    assert caller.keys == ["callback_done"]
    assert caller.reply.ends
    with runtime.session_factory.begin() as session:
        request = session.scalar(select(CallbackRequest))
        assert (request.phone, request.name, request.clinic_id) == (MARIE, "Marie Tremblay", "parc")


def test_a_callback_name_follows_the_booking_names_rule(caller, runtime, clock):
    clock.set_local(dt.date(2026, 12, 7), dt.time(20, 0))
    caller.call()
    for _ in range(3):
        caller.send("euh je sais pas trop", confidence=0.7)
    caller.press("1")
    caller.send("appelez 5145550123", confidence=0.8)  # not a name: asked again rather than kept as one
    assert caller.keys == ["callback_name_retry"]
    caller.send("marie tremblay", confidence=0.8)
    assert caller.keys == ["callback_done"]
    with runtime.session_factory() as session:
        assert session.scalar(select(CallbackRequest.name)) == "Marie Tremblay"


def test_a_wrong_key_is_not_a_dead_end(caller):
    caller.call().press("7")
    assert caller.keys == ["menu_retry"]
    caller.press("1")
    assert caller.keys == ["ask_day"]


def test_low_confidence_on_the_confirmation_is_read_back(caller, runtime):
    caller.call().press("1").press("2").press("1").press("#")
    caller.send("oui", confidence=0.3)
    assert caller.keys == ["check_heard"]
    assert caller.value("check_heard", "heard") == "oui"
    assert booked(runtime, MARIE) == []
    caller.press("1")
    assert caller.keys == ["booked", "sms_copy"]


def test_low_confidence_on_a_slot_choice_reads_the_slot_back(caller):
    caller.call().press("1").press("2")
    caller.send("le deuxième", confidence=0.2)
    assert caller.keys == ["check_heard"]
    assert caller.value("check_heard", "heard") == dt.datetime(2026, 12, 8, 8, 15)
    assert "mardi huit décembre à huit heures quinze" in caller.text
    caller.press("2")  # no: the choice is asked again
    assert caller.state.question == "book_pick"


def test_a_hidden_caller_id_is_asked_for_a_number_read_back_and_used(runtime, queue):
    call = Patient(runtime, "voice", phone=None, key="call:CA0001")
    call.call().press("2")
    assert call.keys == ["ask_phone"]
    assert call.reply.max_digits == 11
    call.press("123#")
    assert call.keys == ["ask_phone_retry"]
    call.press("5145551234#")
    assert call.keys == ["check_phone"]
    assert call.value("check_phone", "phone") == MARIE
    call.press("1")
    assert call.keys == ["reach_by"]  # a mobile keyed by a hidden caller: texts or calls?
    call.press("2")
    assert call.keys == ["walkin_party"]  # how many people? on the keypad
    call.press("1")
    assert call.keys[0] == "walkin_joined"
    assert len(tickets(runtime, MARIE)) == 1
    assert patient(runtime, MARIE).notify_by == "call"


def test_walkin_on_a_mobile_asks_how_to_be_told(caller, runtime):
    caller.call().press("2")
    assert caller.keys == ["walkin_party"]
    caller.press("1")  # for oneself only
    assert caller.keys == ["walkin_joined", "walkin_notify"]
    caller.press("2")
    assert caller.keys == ["walkin_notice_call", "more"]
    assert tickets(runtime, MARIE)[0].notify_by == "call"
    caller.call().press("2")
    assert caller.keys == ["walkin_already", "queue_action"]
    caller.press("2")
    assert caller.keys == ["walkin_left", "more"]


def test_yes_to_keeping_ones_place_keeps_it_and_a_bare_no_asks_again(caller, runtime):
    caller.call().press("2")
    caller.press("1")  # for oneself only
    caller.press("1")
    caller.call().press("2")
    caller.send("oui", confidence=0.9)
    assert caller.keys == ["walkin_kept", "more"]
    caller.call().press("2")
    caller.send("non", confidence=0.9)
    # leaving the queue is not undone: the keys are asked for
    assert caller.keys == ["queue_action_retry"]
    assert caller.choice_digits() == []
    assert len(tickets(runtime, MARIE)) == 1


def test_walkin_from_a_landline_is_told_by_a_call(patient_factory, runtime):
    call = patient_factory(channel="voice", phone=LANDLINE, can_sms=False)
    call.call().press("2")
    call.press("1")  # for oneself only
    assert call.keys == ["walkin_joined", "walkin_notice_call", "more"]
    assert tickets(runtime, LANDLINE)[0].notify_by == "call"


def test_cancelling_by_phone(caller, runtime):
    book(runtime, MARIE, day=THURSDAY, channel="staff")
    caller.call().press("3")
    assert caller.keys == ["appointment_action"]  # the only appointment: no list of one to choose from
    caller.press("1")
    assert caller.keys == ["confirm_cancel"]
    caller.press("1")
    assert caller.keys == ["cancelled", "more"]
    assert booked(runtime, MARIE) == []


def test_with_two_appointments_the_caller_chooses_one_first(caller, runtime):
    book(runtime, MARIE, day=THURSDAY, channel="staff")
    book(runtime, MARIE, day=THURSDAY + dt.timedelta(days=1), channel="staff")
    caller.call().press("3")
    assert caller.keys == ["appointments_manage", "pick_appointment"]
    caller.press("2")
    assert caller.keys == ["appointment_action"]


def test_emergency_words_on_the_phone_come_first(caller):
    caller.call().press("1")
    caller.send("j'ai mal à la poitrine", confidence=0.8)
    assert caller.keys == ["emergency", "ask_day"]


def test_a_hang_up_mid_booking_leaves_the_hold_to_expire(caller, runtime, clock):
    caller.call().press("1").press("2").press("1")
    held = caller.state.data["slot"]
    assert slot_status(runtime, held) == SlotStatus.HELD
    clock.advance(minutes=6)
    other = Patient(runtime, "sms", phone=JOHN)
    other.send("RDV demain")
    assert held in other.state.data["offered"]


# ---- the outbound queue-notice call -------------------------------------------------------------------------


def _notice(runtime, ticket_id, phone=MARIE):
    primed(
        runtime, channel="voice", phone=phone, flow="queue_notice", data={"ticket_id": ticket_id}, minutes=10
    )


def test_the_queue_notice_call_one_means_coming(runtime, queue):
    Patient(runtime, "sms").send("SANS RDV")
    ticket = tickets(runtime, MARIE)[0]
    _notice(runtime, ticket.id)
    call = Patient(runtime, "voice")
    call.call()
    assert call.keys == ["notice"]
    assert call.choice_digits() == ["1", "2"]
    call.press("1")
    assert call.keys == ["notice_coming"]
    assert call.reply.ends
    assert tickets(runtime, MARIE)[0].status == "waiting"


def test_the_queue_notice_call_two_leaves_the_queue(runtime, queue):
    Patient(runtime, "sms").send("SANS RDV")
    _notice(runtime, tickets(runtime, MARIE)[0].id)
    call = Patient(runtime, "voice")
    call.call().press("2")
    assert call.keys == ["walkin_left", "goodbye"]
    assert call.reply.ends
    assert tickets(runtime, MARIE)[0].status == "left"
    assert ("check_queue_notices", ("parc",)) in call.effects


def test_the_queue_notice_call_for_a_place_no_longer_active(runtime, queue):
    sms = Patient(runtime, "sms")
    sms.send("SANS RDV")
    ticket = tickets(runtime, MARIE)[0]
    sms.send("QUITTER")
    _notice(runtime, ticket.id)
    call = Patient(runtime, "voice")
    call.call()
    assert call.keys == ["notice_gone"]
    assert call.reply.ends


def test_silence_on_the_queue_notice_keeps_the_place(runtime, queue):
    Patient(runtime, "sms").send("SANS RDV")
    _notice(runtime, tickets(runtime, MARIE)[0].id)
    call = Patient(runtime, "voice")
    call.call().silence().silence().silence()
    assert call.keys == ["notice_kept"]
    assert call.reply.ends
    assert tickets(runtime, MARIE)[0].status == "waiting"


def test_a_failed_transfer_offers_a_callback(runtime, queue):
    primed(
        runtime, channel="voice", phone=MARIE, flow="callback_name", data={"reason": "no-answer"}, minutes=10
    )
    call = Patient(runtime, "voice")
    call.call()
    assert call.keys == ["callback_offer", "callback_ask"]
    call.press("1")
    assert call.keys == ["callback_name"]
    call.press("#")
    assert call.keys == ["callback_done"]


@pytest.mark.parametrize(
    "words",
    [
        "un rendez-vous pour mon fils demain après-midi",
        "appointment for my son tomorrow afternoon",
    ],
)
def test_another_request_at_how_many_people_is_that_request_not_a_party(caller, runtime, words):
    caller.call().press("2")
    assert caller.keys == ["walkin_party"]
    caller.send(words, confidence=0.9)  # "my son" was taken as a party of one, and the caller queued
    assert caller.keys == ["pick_slot"]
    assert tickets(runtime, MARIE) == []


def test_a_party_said_in_words_still_joins_at_how_many_people(caller, runtime):
    caller.call().press("2")
    caller.send("moi et mon fils", confidence=0.9)
    assert caller.keys[0] == "walkin_group_joined"
    assert len(tickets(runtime, MARIE)) == 2


@pytest.mark.parametrize(
    ("words", "name"),
    [("pour ma fille Léa", "Léa"), ("an appointment for my son Noah", "Noah")],
)
def test_a_hidden_caller_booking_for_a_child_keeps_the_child_once_the_number_is_known(
    runtime, queue, words, name
):
    call = Patient(runtime, "voice", phone=None, key="call:CA0009")
    call.call().send(words, confidence=0.9)
    assert call.keys == ["ask_phone"]
    call.press("5145550166#").press("1").press("1")  # a new number, it is right, by text
    assert call.keys == ["ask_day"]
    call.press("1").press("1")  # today, the first time: whom it is for was said at the start
    assert call.keys == ["confirm_recap_named", "confirm_slot"]
    assert name in call.text
    call.press("1")
    assert [a.person.first_name for a in booked(runtime, "+15145550166")] == [name]


def test_a_hidden_caller_asking_for_a_code_is_sent_to_the_front_desk(runtime, queue):
    book(runtime, MARIE, day=THURSDAY)
    hidden = Patient(runtime, "voice", phone=None, key="call:CA0009")
    hidden.call().send("c'est quoi mon code de confirmation?")
    assert hidden.keys[0] == "codes_hidden_caller"  # a keyed-in number could be anyone's


def test_a_caller_asking_for_a_code_hears_it(caller, runtime):
    book(runtime, MARIE, day=THURSDAY)
    [appointment] = booked(runtime, MARIE)
    caller.call().send("c'est quoi mon numéro de confirmation")
    assert caller.keys[0] == "codes"
    assert caller.value("codes", "items").items[0].values["code"] == appointment.code


def _hidden_caller_keys_in(runtime, number: str, ask: str) -> Patient:
    """A hidden caller who asks to list, cancel or change, then keys in a number and says it is right."""
    hidden = Patient(runtime, "voice", phone=None, key="call:CA0031")
    hidden.call().send(ask, confidence=0.9)
    assert hidden.keys == ["ask_phone"]
    hidden.press(number.removeprefix("+1") + "#").press("1")
    assert hidden.keys == ["reach_by"]  # a mobile: by text or by call?
    hidden.press("1")
    return hidden


@pytest.mark.parametrize(
    "ask", ["je veux annuler mon rendez-vous", "mes rendez-vous", "change my appointment"]
)
def test_a_hidden_caller_names_the_appointment_by_its_code_before_hearing_or_touching_it(runtime, queue, ask):
    book(runtime, MARIE, day=THURSDAY)
    [appointment] = booked(runtime, MARIE)
    hidden = _hidden_caller_keys_in(runtime, MARIE, ask)
    assert hidden.keys == ["ask_appt_code"]  # nothing about the appointment is said before the code
    assert hidden.reply.max_digits == 6
    assert "jeudi" not in hidden.text
    assert "Thursday" not in hidden.text
    hidden.press(appointment.code + "#")
    data = hidden.state.data  # now about that appointment: what to do with it, cancel it, or its new slot
    assert appointment.id in (data.get("appointment_id"), data.get("replaces")), data


def test_a_wrong_code_or_another_phones_code_gets_the_same_answer_and_cancels_nothing(runtime, queue):
    book(runtime, MARIE, day=THURSDAY)
    book(runtime, JOHN, day=THURSDAY)
    [johns] = booked(runtime, JOHN)
    hidden = _hidden_caller_keys_in(runtime, MARIE, "annuler mon rendez-vous")
    hidden.press(johns.code + "#")  # John's code, keyed with Marie's number
    assert hidden.keys == ["ask_appt_code_retry"]
    wrong = "000000" if johns.code != "000000" else "111111"
    hidden.press(wrong + "#")
    assert hidden.keys == ["ask_appt_code_retry"]
    assert len(booked(runtime, JOHN)) == 1
    assert len(booked(runtime, MARIE)) == 1


def test_a_hidden_caller_cancels_with_the_code(runtime, queue):
    book(runtime, MARIE, day=THURSDAY)
    [appointment] = booked(runtime, MARIE)
    hidden = _hidden_caller_keys_in(runtime, MARIE, "annuler mon rendez-vous")
    hidden.press(appointment.code + "#")
    assert hidden.keys[-1] == "confirm_cancel", hidden.text
    hidden.press("1")
    assert booked(runtime, MARIE) == []


def test_a_hidden_caller_without_the_code_reaches_the_front_desk_with_0(runtime, queue):
    book(runtime, MARIE, day=THURSDAY)
    hidden = _hidden_caller_keys_in(runtime, MARIE, "mes rendez-vous")
    assert hidden.keys == ["ask_appt_code"]
    hidden.press("0#")
    assert hidden.keys == ["transfer"]
    assert hidden.reply.transfer_to


def test_a_change_said_with_its_day_by_a_hidden_caller_keeps_that_day_through_the_code(runtime, queue):
    book(runtime, MARIE, day=THURSDAY)
    [appointment] = booked(runtime, MARIE)
    hidden = _hidden_caller_keys_in(runtime, MARIE, "je veux changer mon rendez-vous pour vendredi")
    hidden.press(appointment.code + "#")
    assert hidden.keys == ["reschedule_intro", "pick_slot"]
    assert "vendredi onze décembre" in hidden.text
