"""Complete conversations by text, as signed Twilio requests, in French and in English.

The clock starts on Monday 7 December 2026 at 09:00 in Montréal. Clinique du Parc (+1 514 555 0100)
speaks French first and has a walk-in queue; Westmount Family Clinic (+1 514 555 0200) speaks English and
has none. Every reply must fit in 2 SMS segments (the `phone` fixture checks each one).
"""

from __future__ import annotations

import datetime as dt

import pytest

import prompts
from core.models import AppointmentStatus, TicketStatus
from core.services import booking
from prompts.format import format_when
from tests.sms.support import WORDS, held_slots, label, slots
from tests.support.apps import JOHN, MARIE, PARC, WESTMOUNT
from tests.support.arrange import appointments, book, fill_queue, local_start, patient, tickets
from tests.support.households import own_name

LANGS = ["fr", "en"]
TUESDAY, THURSDAY = dt.date(2026, 12, 8), dt.date(2026, 12, 10)


def book_by_text(texter, lang: str, pick: str = "1", name: bool = True):
    """RDV -> choices -> pick -> (name, or for whom) -> read-back -> yes; returns (offer, read-back, confirmation)."""
    w = WORDS[lang]
    offer = texter(w["book"])
    assert 1 <= len(slots(offer)) <= 3, offer.text
    asked = texter(pick)
    if name:
        assert not asked.choices, f"the name should be asked the first time: {asked.text!r}"
        read_back = texter(w["name"])
    else:
        # The phone has a person now: for her, or for someone else? Her number is 1.
        assert len(asked.choices) == 2, asked.text
        assert w["name"] in asked.choices[0], asked.text
        read_back = texter("1")
    chosen = label(slots(offer)[int(pick) - 1])
    assert chosen in read_back.text, f"the chosen slot is read back: {read_back.text!r}"
    done = texter(w["yes"])
    return offer, read_back, done


# ---- booking -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_a_patient_books_by_text_and_gets_the_code(phone, signed_rt, lang):
    marie = phone()
    offer, read_back, done = book_by_text(marie, lang)
    assert all(WORDS[lang]["month"] in line for line in slots(offer)), offer.text
    [appointment] = appointments(signed_rt, MARIE)
    assert appointment.status == AppointmentStatus.BOOKED
    assert appointment.clinic_id == "parc"
    assert appointment.code in done.text
    assert own_name(signed_rt, MARIE) == WORDS[lang]["name"]


@pytest.mark.parametrize("lang", LANGS)
def test_the_name_is_asked_only_the_first_time(phone, signed_rt, lang):
    marie = phone()
    book_by_text(marie, lang, pick="1")
    book_by_text(marie, lang, pick="2", name=False)
    assert len(appointments(signed_rt, MARIE, AppointmentStatus.BOOKED)) == 2


def test_plain_french_asks_for_a_day_and_part_of_day(phone):
    offer = phone()("je voudrais voir un médecin jeudi matin")
    assert slots(offer), offer.text
    for line in slots(offer):
        assert label(line).startswith("jeu. 10 déc. à "), line
        assert int(label(line).split(" à ")[1].split(" h")[0]) < 12, line


def test_plain_english_asks_for_tomorrow_after_three(phone):
    offer = phone()("anything tomorrow after 3?")
    assert slots(offer), offer.text
    for line in slots(offer):
        assert label(line).startswith("Tue Dec 8 at "), line
        assert " PM" in line, line
        assert int(label(line).split(" at ")[1].split(":")[0]) in (3, 4), line


def test_the_patient_may_pick_in_words(phone, signed_rt):
    marie = phone()
    offer = marie("RDV")
    second = label(slots(offer)[1])
    read_back = marie("le deuxième")
    if second not in read_back.text:  # the name is asked first
        read_back = marie(WORDS["fr"]["name"])
    assert second in read_back.text, read_back.text
    marie("OUI")
    [appointment] = appointments(signed_rt, MARIE)
    assert format_when(local_start(appointment), "fr") == second


def test_patients_writing_at_the_same_time_are_offered_different_slots(phone):
    john, marie = phone(JOHN, WESTMOUNT), phone(MARIE, WESTMOUNT)  # one practitioner: a time is one slot
    to_marie = {label(line) for line in slots(marie("book"))}
    to_john = {label(line) for line in slots(john("book"))}
    assert len(to_marie) == len(to_john) == 3
    assert not to_marie & to_john


def test_slots_a_patient_turns_down_are_offered_to_the_next_one(phone):
    john, marie = phone(JOHN, WESTMOUNT), phone(MARIE, WESTMOUNT)
    to_marie = [label(line) for line in slots(marie("book"))]
    marie("no")
    assert [label(line) for line in slots(john("book"))] == to_marie


def test_a_slot_taken_between_offer_and_choice_gets_an_apology_and_the_next_ones(phone, signed_rt, clock):
    john, marie = phone(JOHN, WESTMOUNT), phone(MARIE, WESTMOUNT)  # one practitioner: a time is one slot
    offer = marie("book")
    first = label(slots(offer)[0])
    clock.advance(minutes=booking.OFFER_MINUTES + 1)  # Marie hesitates: her offer no longer keeps the slots
    book_by_text(john, "en")  # John takes the first slot offered to Marie
    [johns] = appointments(signed_rt, JOHN)
    again = marie("1")
    assert slots(again), f"the next slots are offered: {again.text!r}"
    assert first not in again.text.split("\n", 1)[1]
    assert not appointments(signed_rt, MARIE)
    assert johns.status == AppointmentStatus.BOOKED


def test_a_hold_lost_before_the_yes_gets_an_apology_and_the_next_ones(phone, signed_rt, clock):
    marie, john = phone(MARIE, WESTMOUNT), phone(JOHN, WESTMOUNT)
    offer = marie("book")
    marie("1")
    marie(WORDS["en"]["name"])
    clock.advance(minutes=signed_rt.config.hold_minutes + 1)  # the hold lapses while Marie hesitates
    john("book")
    john("1")
    john(WORDS["en"]["name"])
    john("YES")
    assert len(appointments(signed_rt, JOHN)) == 1
    late = marie("YES")
    assert slots(late), late.text
    assert label(slots(offer)[0]) not in late.text.split("\n", 1)[1], late.text
    assert not appointments(signed_rt, MARIE)


# ---- walk-in queue ------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_join_ask_position_and_leave_the_walk_in_queue(phone, signed_rt, lang):
    w = WORDS[lang]
    marie = phone()
    fill_queue(signed_rt, 2)
    joined = marie(w["walkin"])
    [ticket] = tickets(signed_rt, MARIE)
    assert ticket.status == TicketStatus.WAITING
    assert ticket.number == 3
    assert "3" in joined.text
    expected = "9 h 30" if lang == "fr" else "9:30 AM"  # two ahead, 15 minutes each, from 09:00
    assert expected in joined.text, joined.text
    assert "core.jobs.tasks.check_queue_notices" in signed_rt.jobs.paths()
    where = marie(w["position"])
    assert "3" in where.text, where.text
    assert expected in where.text, where.text
    marie(w["leave"])
    [ticket] = tickets(signed_rt, MARIE)
    assert ticket.status == TicketStatus.LEFT


@pytest.mark.parametrize("lang", LANGS)
def test_before_opening_the_queue_says_when_registration_opens(phone, signed_rt, clock, lang):
    clock.set_local(dt.date(2026, 12, 7), dt.time(6, 0))
    answer = phone()(WORDS[lang]["walkin"])
    assert not tickets(signed_rt, MARIE)
    assert ("7 h" if lang == "fr" else "7:00 AM") in answer.text, answer.text


@pytest.mark.parametrize("lang", LANGS)
def test_a_full_queue_says_so_when_it_reopens_and_the_811_line(phone, signed_rt, lang):
    fill_queue(signed_rt, 30)
    answer = phone()(WORDS[lang]["walkin"])
    assert not tickets(signed_rt, MARIE)
    assert "811" in answer.text.replace("-", ""), answer.text
    reopens = "7 h" if lang == "fr" else "7:00 AM"  # tomorrow, Tuesday, at 07:00
    assert reopens in answer.text, answer.text


def test_the_menu_and_help_of_a_clinic_without_walk_in_do_not_offer_it(phone):
    texter = phone(JOHN, WESTMOUNT)
    menu, help_ = texter("hello").text, texter("HELP").text
    assert "BOOK" in menu
    assert "MY APPTS" in menu
    assert "WALK-IN" not in menu
    assert "BOOK" in help_
    assert "WALK-IN" not in help_
    parc = phone(MARIE, PARC)("HELP").text
    assert "WALK-IN" in parc


# ---- cancel, change, list ----------------------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGS)
def test_cancel_the_only_upcoming_appointment(phone, signed_rt, lang):
    w = WORDS[lang]
    book(signed_rt, MARIE, day=TUESDAY, at=dt.time(10, 0), person="Marie")
    marie = phone()
    asked = marie(w["cancel"])
    if asked.choices:
        asked = marie("1")
    assert ("10 h" if lang == "fr" else "10:00 AM") in asked.text, asked.text
    marie(w["yes"])
    [appointment] = appointments(signed_rt, MARIE)
    assert appointment.status == AppointmentStatus.CANCELLED


@pytest.mark.parametrize("lang", LANGS)
def test_cancel_offers_the_upcoming_appointments_as_choices(phone, signed_rt, lang):
    w = WORDS[lang]
    book(signed_rt, MARIE, day=TUESDAY, at=dt.time(10, 0), person="Marie")
    book(signed_rt, MARIE, day=THURSDAY, at=dt.time(14, 30), person="Marie")
    marie = phone()
    offer = marie(w["cancel"])
    assert len(slots(offer)) == 2, offer.text
    thursday = next(n for n, line in enumerate(slots(offer), 1) if ("10 déc." in line or "Dec 10" in line))
    marie(str(thursday))
    marie(w["yes"])
    tuesday_appt, thursday_appt = appointments(signed_rt, MARIE)
    assert tuesday_appt.status == AppointmentStatus.BOOKED
    assert thursday_appt.status == AppointmentStatus.CANCELLED


def test_cancel_the_appointment_named_in_the_message(phone, signed_rt):
    book(signed_rt, MARIE, day=TUESDAY, at=dt.time(10, 0), person="Marie")
    book(signed_rt, MARIE, day=THURSDAY, at=dt.time(14, 30), person="Marie")
    marie = phone()
    asked = marie("annuler mon rdv de jeudi")
    assert not asked.choices, asked.text
    assert "10 déc." in asked.text, asked.text
    marie("OUI")
    tuesday_appt, thursday_appt = appointments(signed_rt, MARIE)
    assert (tuesday_appt.status, thursday_appt.status) == (
        AppointmentStatus.BOOKED,
        AppointmentStatus.CANCELLED,
    )


def test_saying_no_keeps_the_appointment(phone, signed_rt):
    book(signed_rt, MARIE, day=TUESDAY, at=dt.time(10, 0), person="Marie")
    marie = phone()
    if marie("ANNULER").choices:
        marie("1")
    marie("NON")
    [appointment] = appointments(signed_rt, MARIE)
    assert appointment.status == AppointmentStatus.BOOKED


@pytest.mark.parametrize("lang", LANGS)
def test_reschedule_books_the_new_slot_then_releases_the_old_one(phone, signed_rt, lang):
    w = WORDS[lang]
    old_id = book(signed_rt, MARIE, day=THURSDAY, at=dt.time(14, 30), person="Marie").id
    marie = phone()
    offer = marie(w["reschedule"])
    if slots(offer) and any("10 déc." in c or "Dec 10" in c for c in slots(offer)) and len(slots(offer)) == 1:
        offer = marie("1")  # which appointment: the only one
    assert slots(offer), offer.text
    chosen = label(slots(offer)[0])
    read_back = marie("1")
    assert chosen in read_back.text, read_back.text
    marie(w["yes"])
    booked = appointments(signed_rt, MARIE, AppointmentStatus.BOOKED)
    cancelled = appointments(signed_rt, MARIE, AppointmentStatus.CANCELLED)
    assert [a.id for a in cancelled] == [old_id]
    assert len(booked) == 1
    assert booked[0].replaces_id == old_id


@pytest.mark.parametrize("lang", LANGS)
def test_list_the_upcoming_appointments(phone, signed_rt, lang):
    book(signed_rt, MARIE, day=TUESDAY, at=dt.time(10, 0), person="Marie")
    book(signed_rt, MARIE, day=THURSDAY, at=dt.time(14, 30), person="Marie")
    listed = phone()(WORDS[lang]["list"]).text
    if lang == "fr":
        assert "mar. 8 déc. à 10 h" in listed, listed
        assert "jeu. 10 déc. à 14 h 30" in listed, listed
    else:
        assert "Tue Dec 8 at 10:00 AM" in listed, listed
        assert "Thu Dec 10 at 2:30 PM" in listed, listed


def test_an_empty_list_says_how_to_book(phone):
    marie = phone()
    answer = marie("MES RDV")
    assert prompts.render("no_appointments", "fr", "sms") in answer.text, answer.text
    assert prompts.render("offer_book", "fr", "sms") in answer.text, answer.text
    offer = marie("OUI")
    assert slots(offer), offer.text


# ---- help, language, safety ---------------------------------------------------------------------------


@pytest.mark.parametrize(("word", "lang"), [("AIDE", "fr"), ("HELP", "en"), ("INFO", "en")])
def test_help_gives_keywords_clinic_and_emergency_line_in_160_characters(phone, word, lang):
    from smsbot.segments import segments

    answer = phone()(word).text
    count = segments(answer)
    assert count.characters <= 160, (count, answer)
    assert count.segments == 1, (count, answer)
    assert "514-555-0199" in answer, answer
    assert "911" in answer.replace("-", ""), answer
    if lang == "fr":
        assert "Clinique du Parc" in answer, answer
        assert "RDV" in answer, answer
    else:
        assert "Dec" not in answer, answer
        assert "BOOK" in answer.upper() or "APPOINTMENT" in answer.upper(), answer


def test_help_at_the_english_clinic_names_it(phone):
    answer = phone(MARIE, WESTMOUNT)("HELP").text
    assert "Westmount Family Clinic" in answer, answer
    assert "514-555-0200" in answer, answer


def test_english_switches_the_language_and_is_remembered(phone, signed_rt, clock):
    marie = phone()
    assert marie("ENGLISH").text
    assert patient(signed_rt, MARIE).lang == "en"
    clock.advance(minutes=45)  # a new conversation later still speaks English
    offer = marie("RDV")
    assert slots(offer), offer.text
    assert all("Dec" in line for line in slots(offer)), offer.text
    marie("FRANÇAIS")
    assert patient(signed_rt, MARIE).lang == "fr"
    offer = marie("RDV")
    assert slots(offer), offer.text
    assert all("déc." in line for line in slots(offer)), offer.text


def test_french_is_the_default_and_english_is_offered_at_once(phone):
    answer = phone()("bonjour").text
    assert "ENGLISH" in answer, answer


@pytest.mark.parametrize(
    "words", ["j'ai une douleur à la poitrine", "chest pain, I need an appointment", "je ne respire plus"]
)
def test_emergency_words_get_911_and_811_first(phone, signed_rt, words):
    answer = phone()(words).text
    digits = answer.replace("-", "")
    assert "911" in digits[:90], answer
    assert "811" in digits, answer


# ---- opt-out -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "word", ["STOP", "ARRET", "END", "QUIT", "UNSUBSCRIBE", "CANCEL", "STOPALL", "OPTOUT", "REVOKE", "stop"]
)
def test_an_opt_out_word_is_recorded_and_answered_with_nothing(phone, signed_rt, word):
    answer = phone()(word)
    assert answer.status == 200, answer.xml
    assert answer.messages == [], answer.xml
    assert patient(signed_rt, MARIE).opted_out


@pytest.mark.parametrize("again", ["START", "UNSTOP"])
def test_an_opted_out_patient_gets_nothing_until_start_which_is_confirmed(phone, signed_rt, again):
    marie = phone()
    marie("STOP")
    assert marie("RDV").messages == []
    assert marie("AIDE").messages == []
    assert marie("SANS RDV").messages == []
    assert not tickets(signed_rt, MARIE)
    confirmed = marie(again)
    assert confirmed.messages, "START is confirmed"
    assert not patient(signed_rt, MARIE).opted_out
    assert marie("RDV").choices


def test_cancel_with_more_words_is_not_an_opt_out(phone, signed_rt):
    book(signed_rt, MARIE, day=TUESDAY, at=dt.time(10, 0), person="Marie")
    answer = phone()("cancel appt")
    assert answer.messages
    assert not patient(signed_rt, MARIE).opted_out


# ---- never a dead end ---------------------------------------------------------------------------------


@pytest.mark.parametrize("body", ["asdfgh qwerty", "😀😀😀", "?!", "   ", "🏥" * 800, "x" * 1600])
def test_garbage_emoji_and_long_bodies_get_a_polite_hint(phone, body):
    answer = phone()(body)
    assert answer.status == 200
    assert answer.messages, answer.xml
    assert answer.text.strip(), answer.xml


def test_a_long_message_is_still_understood(phone):
    body = "Bonjour, je voudrais un rendez-vous jeudi matin s'il vous plait. " + "Merci beaucoup. " * 100
    assert len(body) >= 1600
    offer = phone()(body[:1600])
    assert slots(offer), offer.text
    assert all(label(c).startswith("jeu. 10 déc.") for c in slots(offer)), offer.text


def test_three_misunderstandings_give_the_clinics_number(phone):
    marie = phone()
    marie("RDV")
    replies = [marie(nonsense).text for nonsense in ("blah", "bof", "zzz")]
    assert "514-555-0199" in replies[-1], replies
    assert "514-555-0199" not in replies[0], "the first miss gets a hint, not the number"


def test_an_expired_question_is_told_kindly_and_starts_fresh(phone, signed_rt, clock):
    marie = phone()
    offer = marie("RDV")
    clock.advance(minutes=31)
    late = marie("1")
    assert late.text
    assert label(slots(offer)[0]) not in late.text, "an expired offer is not taken up"
    assert not appointments(signed_rt, MARIE)
    assert not [s for s in held_slots(signed_rt) if s.held_until > clock()]


# ---- one event, one effect; clinics apart ------------------------------------------------------------


def test_a_repeated_message_sid_gets_the_same_reply_and_books_once(phone, signed_rt):
    marie = phone()
    marie("RDV")
    marie("1")
    marie(WORDS["fr"]["name"])
    first = marie("OUI", message_sid="SM" + "9" * 32)
    jobs_after_first = list(signed_rt.jobs.jobs)
    retry = marie("OUI", message_sid="SM" + "9" * 32)
    assert retry.xml == first.xml
    assert len(appointments(signed_rt, MARIE)) == 1
    assert signed_rt.jobs.jobs == jobs_after_first


def test_a_repeated_first_message_does_not_advance_the_conversation(phone):
    marie = phone()
    first = marie("RDV", message_sid="SM" + "8" * 32)
    retry = marie("RDV", message_sid="SM" + "8" * 32)
    assert retry.xml == first.xml


def test_two_clinics_on_one_server_are_kept_apart(phone, signed_rt):
    at_parc, at_westmount = phone(MARIE, "+15145550100"), phone(MARIE, WESTMOUNT)
    parc_offer = at_parc("RDV")
    westmount_offer = at_westmount("book")
    assert len(slots(parc_offer)) == 3
    assert len(slots(westmount_offer)) == 3
    at_westmount("2")  # answers Westmount's offer (9:40, a 20-minute slot), not the Parc's (9:30)
    if label(slots(westmount_offer)[1]) not in at_westmount.history[-1].text:
        at_westmount(WORDS["en"]["name"])
    at_westmount("YES" if "YES" in at_westmount.history[-1].text else "OUI")
    [appointment] = appointments(signed_rt, MARIE)
    assert appointment.clinic_id == "westmount"
    assert local_start(appointment) == dt.datetime(2026, 12, 7, 9, 40)
    whom = at_parc("1")  # the Parc's conversation still waits on its own offer; the name is known
    assert WORDS["en"]["name"] in whom.choices[0], whom.text  # for her, or someone else?
    read_back = at_parc("1")
    assert label(slots(parc_offer)[0]) in read_back.text, read_back.text
    at_parc("OUI")
    parc, westmount = sorted(appointments(signed_rt, MARIE), key=lambda a: a.clinic_id)
    assert (parc.clinic_id, local_start(parc)) == ("parc", dt.datetime(2026, 12, 7, 9, 15))
    parc_listed = at_parc("MES RDV").text
    assert "9 h 40" not in parc_listed, parc_listed
    assert "9:40" not in parc_listed, parc_listed


def test_slots_of_one_clinic_are_never_offered_by_the_other(phone):
    offer = phone(MARIE, WESTMOUNT)("book")
    assert slots(offer), offer.text
    # Westmount has 20-minute slots from 09:00, the Parc 15-minute ones: 9:20 and 9:40 are Westmount's.
    assert [label(c) for c in slots(offer)] == [
        "Mon Dec 7 at 9:20 AM",
        "Mon Dec 7 at 9:40 AM",
        "Mon Dec 7 at 10:00 AM",
    ]


def test_an_emergency_at_the_end_of_a_long_message_is_answered_first(phone):
    story = "Bonjour, je vous écris parce que " + "j'ai eu une longue semaine au travail et " * 30
    answer = phone()(story + "maintenant j'ai une douleur à la poitrine")
    assert len(story) > 1000
    assert "9-1-1" in answer.text or "911" in answer.text
