"""Complete phone calls, placed as signed Twilio requests and followed the way Twilio follows TwiML."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import or_, select

from core.models import (
    Appointment,
    AppointmentStatus,
    CallbackRequest,
    Patient,
    Slot,
    SlotStatus,
    TicketStatus,
    WalkinTicket,
)
from core.services import booking
from core.services.patients import get_or_create_patient, is_hidden_caller_id
from prompts import text as template
from tests.support.apps import JOHN, MARIE, PARC, PARC_LINE, WESTMOUNT
from tests.support.arrange import appointments, book, fill_queue, tickets

SPACED_CODE = re.compile(r"\b\d(, \d){5}\b")  # a six-digit code read one digit at a time


def asked(call, key: str) -> bool:
    """Whether what was just said contains the fixed words of a prompt (the part before any placeholder)."""
    lang = "en" if call.gather.get("language", "").startswith("en") else "fr"
    fixed = template(key, lang, "voice").split("{")[0].strip()
    return any(fixed in sentence for sentence in call.heard)


def held_slots(rt) -> list[Slot]:
    with rt.session_factory() as session:
        return list(session.scalars(select(Slot).where(Slot.status == SlotStatus.HELD)))


# ---- the opening -----------------------------------------------------------------------------------------------


def test_a_call_is_greeted_in_french_with_the_clinic_name_and_english_is_offered_at_once(dial):
    call = dial()
    assert call.state == "gather"
    assert call.gather["input"] == "dtmf speech"
    assert call.gather["language"] == "fr-CA"
    assert "Clinique du Parc" in call.heard[0]
    assert call.heard_langs[0] == "fr-CA"
    english = " ".join(call.said_in("en-US"))
    assert "9" in english
    assert "English" in english
    for digit in "1230":
        assert f"appuyez sur {digit}" in call.text


def test_an_english_clinic_greets_in_english_and_offers_french(dial):
    call = dial(to=WESTMOUNT)
    assert call.gather["language"] == "en-US"
    assert "Westmount Family Clinic" in call.text
    assert call.said_in("fr-CA"), "French is offered in French"
    assert "press 2" not in call.text  # Westmount has no walk-in queue


def test_nine_switches_to_english_and_the_next_call_remembers_it(dial, signed_rt):
    call = dial()
    call.press("9")
    assert call.gather["language"] == "en-US"
    assert set(call.heard_langs) == {"en-US"}
    assert call.heard[-1] == template("voice_star_to_repeat", "en", "voice")  # told again, in English
    call.hang_up()
    with signed_rt.session_factory() as session:
        assert session.scalar(select(Patient.lang).where(Patient.phone == MARIE)) == "en"
    again = dial()
    assert again.gather["language"] == "en-US"


def test_saying_english_switches_to_english(dial):
    call = dial()
    call.say("English")
    assert call.gather["language"] == "en-US"


def test_star_repeats_the_last_prompt_word_for_word(dial):
    call = dial()
    first = list(call.heard)
    call.press("*")
    assert call.heard == first


def test_star_is_explained_once_on_the_first_menu_and_repeats_every_later_question(dial):
    hint = template("voice_star_to_repeat", "fr", "voice")
    call = dial()
    assert call.heard[-1] == hint  # the last words of the greeting menu
    call.press("1")
    days = list(call.heard)
    assert hint not in days
    call.press("*")
    assert call.heard == days
    call.press("2")
    slots = list(call.heard)
    assert hint not in slots
    call.press("*")
    assert call.heard == slots


def test_a_wrong_key_gets_the_menu_again_in_other_words(dial):
    call = dial()
    menu = list(call.heard)
    call.press("7")
    assert call.state == "gather"
    assert call.heard != menu
    assert asked(call, "menu_retry")


def test_three_silences_lead_to_a_person_while_the_clinic_is_open(dial):
    call = dial()
    call.silence()
    assert asked(call, "silence_first")
    assert "appuyez sur 1" in call.text
    call.silence()
    assert asked(call, "silence_second")
    call.silence()
    assert call.state == "dial"
    assert call.dialled == PARC_LINE


def test_three_silences_when_closed_give_the_clinics_number_and_leave_no_callback_request(
    dial, clock, signed_rt
):
    clock.set_local(dt.date(2026, 12, 13), dt.time(11, 0))  # a Sunday
    call = dial()
    for _ in range(3):
        call.silence()
    assert call.ended
    assert asked(call, "silence_end")
    assert "5 1 4, 5 5 5, 0 1 9 9" in call.text  # the clinic's public number, read in groups
    with signed_rt.session_factory() as session:
        assert session.scalars(select(CallbackRequest)).all() == []


# ---- the main menu, by key and by speech -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "speech", "lang_to"),
    [
        ("1", "prendre un rendez-vous", PARC),
        ("1", "I'd like to book an appointment", WESTMOUNT),
    ],
)
def test_booking_is_reached_by_key_or_by_speech(dial, key, speech, lang_to):
    by_key = dial(to=lang_to)
    by_key.press(key)
    by_speech = dial(to=lang_to)
    by_speech.say(speech)
    for call in (by_key, by_speech):
        assert asked(call, "ask_day")
        assert "4" in call.text  # 1 today, 2 tomorrow, 3 later this week, 4 next week


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize(
    ("key", "then"),
    [("1", "ask_day"), ("2", "walkin_party"), ("3", "no_appointments"), ("0", None)],
)
def test_every_main_menu_choice_works_in_both_languages(dial, signed_rt, lang, key, then):
    call = dial()
    if lang == "en":
        call.press("9")
        assert call.gather["language"] == "en-US"
    call.press(key)
    if then is None:  # a person: the reception, the clinic being open
        assert call.state == "dial"
        assert call.dialled == PARC_LINE
        return
    assert call.state == "gather"
    assert asked(call, then)
    expected_tag = "en-US" if lang == "en" else "fr-CA"
    assert call.gather["language"] == expected_tag
    assert set(call.heard_langs) == {expected_tag}


def test_a_person_is_reached_with_zero_and_the_call_is_transferred_while_open(dial):
    call = dial()
    call.press("0")
    assert call.state == "dial"
    assert call.dialled == PARC_LINE
    call.transfer_ends("completed")
    assert call.ended


def test_an_unanswered_transfer_offers_a_callback(dial, signed_rt):
    call = dial()
    call.press("0")
    call.transfer_ends("no-answer")
    assert call.state == "gather"
    assert asked(call, "callback_ask")
    call.press("1")  # yes, call me back
    assert asked(call, "callback_name")
    call.press("#")  # no name
    assert call.ended
    with signed_rt.session_factory() as session:
        (request,) = session.scalars(select(CallbackRequest)).all()
        assert request.phone == MARIE
        assert request.name is None


def test_a_person_when_closed_is_a_callback_with_the_name_read_from_speech(dial, clock, signed_rt):
    clock.set_local(dt.date(2026, 12, 13), dt.time(11, 0))  # Sunday
    call = dial()
    call.say("parler à quelqu'un")
    assert call.state == "gather"
    assert asked(call, "callback_ask")
    call.say("oui")
    assert asked(call, "callback_name")
    call.say("Jean Tremblay")
    assert call.ended
    with signed_rt.session_factory() as session:
        assert session.scalar(select(CallbackRequest.name)) == "Jean Tremblay"


def test_an_emergency_word_gets_911_and_811_first(dial):
    call = dial()
    call.say("j'ai une douleur à la poitrine")
    assert "9-1-1" in call.heard[0]
    assert "8-1-1" in call.heard[0]
    assert call.state == "gather"


# ---- booking ---------------------------------------------------------------------------------------------------


def test_a_complete_booking_by_keypad_in_french(dial, signed_rt):
    call = dial()
    call.press("1")
    assert asked(call, "ask_day")
    call.press("2")  # tomorrow
    assert call.text.count("mardi huit décembre") == 1  # three slots of one day: the day is said once…
    assert call.text.count("à huit heures") == 3  # …then each time, spoken
    assert "appuyez sur 9" in call.text  # 9 for more
    call.press("1")
    assert asked(call, "ask_name")
    call.say("Marie Tremblay")
    assert asked(call, "confirm_slot")
    assert "Marie Tremblay" in call.text
    assert "huit heures" in call.text
    call.press("1")
    (appointment,) = appointments(signed_rt)
    assert appointment.status == AppointmentStatus.BOOKED
    assert appointment.channel == "voice"
    spoken = ", ".join(appointment.code)
    assert spoken in call.text  # the code, read one digit at a time
    assert asked(call, "sms_copy")
    call.press("*")
    assert spoken in call.text  # and repeatable
    call.press("1")
    assert ("core.jobs.tasks.send_confirmation", (appointment.id, "booked"), None) in signed_rt.jobs.jobs
    assert asked(call, "more")
    call.press("2")
    assert call.ended


def test_a_complete_booking_by_speech_in_english(dial, signed_rt):
    call = dial(to=WESTMOUNT)
    call.say("I need an appointment tomorrow afternoon")
    assert "Tuesday, December eighth" in call.text
    assert "PM" in call.text
    call.say("the first one")
    assert asked(call, "ask_name")
    call.say("John Smith")
    call.say("yes")
    (appointment,) = appointments(signed_rt)
    assert appointment.clinic_id == "westmount"
    assert ", ".join(appointment.code) in call.text


def test_low_confidence_speech_on_a_slot_is_read_back_before_acting(dial, signed_rt):
    call = dial()
    call.press("1")
    call.press("2")
    call.say("le premier", confidence=0.3)
    assert asked(call, "check_heard")
    assert "mardi huit décembre" in call.text
    assert held_slots(signed_rt) == []  # nothing done on a doubt
    call.press("1")  # yes, that one
    assert asked(call, "ask_name")
    assert len(held_slots(signed_rt)) == 1


def test_a_hang_up_mid_booking_gives_the_slot_back(dial, signed_rt):
    call = dial()
    call.press("1")
    call.press("2")
    call.press("1")
    (held,) = held_slots(signed_rt)
    call.hang_up()
    assert held_slots(signed_rt) == []
    with signed_rt.session_factory() as session:
        assert session.get(Slot, held.id).status == SlotStatus.FREE
    assert appointments(signed_rt) == []


def test_a_hang_up_gives_back_what_the_call_held_and_was_offered_under_its_one_holder_id(dial, signed_rt):
    holder = booking.holder_id("voice", "parc", MARIE)  # the id the dialog holds slots under
    call = dial()
    call.press("1")
    call.press("2")
    with signed_rt.session_factory() as session:
        assert session.scalars(select(Slot).where(Slot.offered_to == holder)).all()
    call.press("1")
    (held,) = held_slots(signed_rt)
    assert held.held_by == holder
    call.hang_up()
    with signed_rt.session_factory() as session:
        mine = or_(Slot.held_by == holder, Slot.offered_to == holder)
        assert session.scalars(select(Slot).where(mine)).all() == []
        assert session.get(Slot, held.id).joined_to is None


def test_a_hang_up_while_slots_are_offered_gives_them_back_to_other_patients_at_once(dial, signed_rt):
    holder = booking.holder_id("voice", "parc", MARIE)
    call = dial()
    call.press("1")
    call.press("2")
    call.hang_up()
    with signed_rt.session_factory() as session:
        assert session.scalars(select(Slot).where(Slot.offered_to == holder)).all() == []


def test_a_held_slot_is_never_held_beyond_the_hold_time_even_without_a_status_callback(
    dial, signed_rt, clock
):
    call = dial()
    call.press("1")
    call.press("2")
    call.press("1")
    (held,) = held_slots(signed_rt)
    assert held.held_until <= clock() + dt.timedelta(minutes=signed_rt.config.hold_minutes)


# ---- hidden caller ID ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("hidden", ["anonymous", "Restricted", "+266696687", "+86282452253", ""])
def test_every_form_of_a_hidden_caller_id_is_asked_for_a_number(dial, hidden):
    assert is_hidden_caller_id(hidden)  # the one list (core.services.patients), shared with SMS
    call = dial(from_=hidden)
    call.press("1")
    assert asked(call, "ask_phone")


def test_a_hidden_caller_id_is_asked_for_a_callback_number_validated_and_read_back(dial, signed_rt):
    call = dial(from_="+266696687")
    call.press("1")  # book: needs a number first
    assert asked(call, "ask_phone")
    assert "numDigits" not in call.gather
    assert call.gather["finishOnKey"] == "#"
    call.press("123#")  # too short
    assert asked(call, "ask_phone_retry")
    call.press("5145557777#")
    assert "5 1 4, 5 5 5, 7 7 7 7" in call.text  # read back in groups
    call.press("1")  # yes, that is my number
    assert asked(call, "reach_by")  # a mobile: by text or by call?
    call.press("1")
    assert asked(call, "ask_day")
    call.press("2")
    call.press("1")
    call.press("#")  # no name
    call.press("1")  # confirm
    (appointment,) = appointments(signed_rt)
    with signed_rt.session_factory() as session:
        assert session.get(Patient, appointment.patient_id).phone == "+15145557777"


@pytest.mark.parametrize("hidden", ["anonymous", "Restricted", "+266696687", "", "12"])
def test_every_spelling_of_a_hidden_caller_id_is_asked_for_a_number(dial, hidden):
    call = dial(from_=hidden)
    call.press("3")
    assert asked(call, "ask_phone")


# ---- forwarded calls -------------------------------------------------------------------------------------------


def test_a_call_forwarded_from_the_clinic_s_busy_line_says_so_and_offers_a_callback(dial):
    call = dial(to=PARC, forwarded_from=PARC_LINE)
    assert asked(call, "greeting_forwarded")
    assert "Clinique du Parc" in call.text
    call.press("0")
    # never transferred back to the busy line it came from
    assert call.state == "gather"
    assert asked(call, "callback_name")


def test_a_call_forwarded_to_another_twilio_number_still_finds_the_clinic_by_its_line(dial):
    call = dial(to="+15145550999", forwarded_from=PARC_LINE)
    assert call.state == "gather"
    assert "Clinique du Parc" in call.text


# ---- walk-in queue ---------------------------------------------------------------------------------------------


def test_joining_the_walk_in_queue_by_keypad_tells_the_place_and_time(dial, signed_rt):
    call = dial()
    call.press("2")
    assert asked(call, "walkin_party")
    assert tickets(signed_rt) == []  # how many people?
    call.press("1")
    (ticket,) = tickets(signed_rt)
    assert ticket.status == TicketStatus.WAITING
    assert ticket.channel == "voice"
    assert "core.jobs.tasks.check_queue_notices" in signed_rt.jobs.paths()
    assert "numéro 1" in call.text  # the place
    assert "neuf heures" in call.text  # the expected time, spoken
    assert asked(call, "walkin_notify")  # told by SMS (1) or by a call (2)?
    call.press("1")
    assert asked(call, "more")


def test_saying_sans_rendez_vous_joins_the_queue_too(dial, signed_rt):
    call = dial()
    call.say("sans rendez-vous")
    call.say("juste moi")
    assert len(tickets(signed_rt)) == 1


def test_a_caller_chooses_to_be_called_when_the_turn_is_near(dial, signed_rt):
    call = dial(from_=JOHN)
    call.press("2")
    call.press("1")  # for oneself only
    assert asked(call, "walkin_notify")
    call.press("2")  # by a phone call
    (ticket,) = tickets(signed_rt)
    assert ticket.notify_by == "call"


def test_a_caller_in_the_queue_hears_the_place_and_can_leave(dial, signed_rt, clock):
    fill_queue(signed_rt, [MARIE])
    call = dial()
    call.press("2")  # the walk-in queue: already in it
    assert asked(call, "walkin_already"), call.text
    assert "numéro 1, personne avant vous" in call.text, call.text
    (ticket,) = tickets(signed_rt)
    assert ticket.status == TicketStatus.WAITING
    call.say("je veux quitter la file")
    assert asked(call, "walkin_left"), call.text
    (ticket,) = tickets(signed_rt)
    assert ticket.status == TicketStatus.LEFT


# ---- my appointments / cancel ----------------------------------------------------------------------------------


def test_cancelling_an_appointment_by_keypad(dial, signed_rt, clock):
    appointment = book(signed_rt, MARIE, day=dt.date(2026, 12, 9))
    call = dial()
    call.press("3")
    assert "mercredi neuf décembre" in call.text
    assert asked(call, "appointment_action")  # the only one: straight to what to do with it
    call.press("1")  # cancel it
    assert asked(call, "confirm_cancel")
    call.press("1")  # yes
    with signed_rt.session_factory() as session:
        assert session.get(Appointment, appointment.id).status == AppointmentStatus.CANCELLED
    call.press("2")
    assert call.ended


def test_saying_annuler_goes_straight_to_the_only_appointment(dial, signed_rt, clock):
    appointment = book(signed_rt, MARIE, day=dt.date(2026, 12, 9))
    call = dial()
    call.say("annuler mon rendez-vous")
    assert asked(call, "confirm_cancel")
    call.say("oui")
    with signed_rt.session_factory() as session:
        assert session.get(Appointment, appointment.id).status == AppointmentStatus.CANCELLED


def test_no_appointments_offers_to_book_one(dial):
    call = dial()
    call.press("3")
    assert asked(call, "no_appointments")


# ---- the queue notice call -------------------------------------------------------------------------------------


@pytest.fixture
def landline_ticket(signed_rt):
    """John's place in the queue, to be told by a call (leaving by the call's 2: tests/dialog)."""
    (ticket_id,) = fill_queue(signed_rt, [JOHN], notify_by={JOHN: "call"}, channel="voice")
    return ticket_id


def notice_call(client, ticket_id: int):
    from tests.voice.walker import Call

    return Call(client, from_=PARC, to=JOHN, direction="outbound-api").start(f"/voice/notice/{ticket_id}")


def test_the_queue_notice_call_reads_the_notice_and_1_says_i_am_coming(client, landline_ticket, signed_rt):
    call = notice_call(client, landline_ticket)
    assert call.state == "gather"
    assert "appuyez sur 1" in call.text
    assert "appuyez sur 2" in call.text
    call.press("1")
    with signed_rt.session_factory() as session:
        assert session.get(WalkinTicket, landline_ticket).status in (
            TicketStatus.WAITING,
            TicketStatus.NOTIFIED,
        )


def test_a_notice_call_for_a_ticket_no_longer_waiting_says_so_and_hangs_up(
    client, landline_ticket, signed_rt
):
    with signed_rt.session_factory.begin() as session:
        session.get(WalkinTicket, landline_ticket).status = TicketStatus.LEFT
    call = notice_call(client, landline_ticket)
    assert call.ended
    assert "Clinique du Parc" in call.text


def test_a_retried_notice_call_request_is_answered_once(client, landline_ticket):
    from tests.support.apps import TOKEN
    from tests.support.twilio_requests import signed_post

    call = notice_call(client, landline_ticket)
    first = call.requests[0]
    again = signed_post(client, first.path, first.params, TOKEN)
    assert again.get_data(as_text=True) == first.xml


# ---- every answer is TwiML Twilio knows ------------------------------------------------------------------------


def test_every_answer_of_a_long_call_parses_and_uses_known_verbs_only(dial):
    call = dial()  # the walker checks every response it receives
    for action in ("7", "*", "", "1", "", "", "", "9", "*"):
        if call.state != "gather":
            break
        call.silence() if action == "" else call.press(action)
    assert len(call.requests) >= 4
    assert all(r.status == 200 for r in call.requests)


def test_emoji_and_very_long_speech_get_a_polite_answer(dial):
    call = dial()
    call.say("🙂" * 50 + " bla" * 600)
    assert call.state == "gather"


def test_a_known_landline_caller_is_not_offered_texts(dial, signed_rt):
    with signed_rt.session_factory.begin() as session:
        get_or_create_patient(session, JOHN).notify_by = "call"  # Twilio said this number takes no SMS
    call = dial(from_=JOHN)
    call.press("2")
    call.press("1")  # for oneself only
    (ticket,) = tickets(signed_rt)
    assert ticket.notify_by == "call"
    assert not asked(call, "walkin_notify")  # nothing to choose: the turn is told by a call
    call.press("1")  # back to the menu
    call.press("1")
    call.press("2")  # tomorrow
    call.press("1")
    call.say("John Smith")
    call.press("1")
    assert len(appointments(signed_rt)) == 1
    assert not asked(call, "sms_copy")
