"""Whole SMS conversations as patients play them, over signed Twilio requests: what they mean across turns.

The clock starts on Monday 7 December 2026 at 09:00 in Montréal. Clinique du Parc gives appointments
Monday to Friday, 8:00-12:00 and 13:00-17:00, every 15 minutes. Every reply must fit 2 segments (the
`phone` fixture checks each one). Each sentence is read by core.language as it is; the flows behind
them are also tested with the detail given (the `understood` fixture).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy import select

from core.language.normalize import fold
from core.models import AppointmentStatus, Slot, SlotStatus
from smsbot.segments import segments
from tests.dialog.helpers import primed
from tests.sms.support import label, slots
from tests.support.apps import MARIE, WESTMOUNT
from tests.support.arrange import appointments, book, booked_starts, fill_day, local_start, patient
from tests.support.households import own_name

MON, TUE, WED, THU, FRI = (dt.date(2026, 12, d) for d in (7, 8, 9, 10, 11))
NEXT_MON = dt.date(2026, 12, 14)
FR_DAY = re.compile(r"\b(lun|mar|mer|jeu|ven)\. (\d+) déc\.")


def offered_days(exchange) -> list[dt.date]:
    """The days of the slots offered, read from the numbered lines ('1) jeu. 10 déc. à 8 h')."""
    days = []
    for line in slots(exchange):
        found = FR_DAY.search(line) or re.search(r"\b\w{3} Dec (\d+)\b", line)
        assert found, line
        days.append(dt.date(2026, 12, int(found.groups()[-1])))
    return days


def offered_times(exchange) -> list[str]:
    return [re.split(r" à | at ", label(line))[-1] for line in slots(exchange)]


def held_ids(rt) -> list[int]:
    with rt.session_factory() as session:
        return list(session.scalars(select(Slot.id).where(Slot.status == SlotStatus.HELD)))


# ---- 1. a change said as a sentence ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sentence", "new_day"),
    [
        ("je pourrai pas jeudi, tu peux me le changer pour lundi?", NEXT_MON),
        ("pouvez-vous déplacer mon rendez-vous à vendredi matin", FRI),
        ("can you move my appointment to friday morning?", FRI),
    ],
)
def test_a_change_said_as_a_sentence_offers_the_new_day_and_keeps_the_old_until_booked(
    phone, signed_rt, sentence, new_day
):
    book(signed_rt, MARIE, day=THU, at=dt.time(10, 0), person="Marie Tremblay")
    marie = phone()
    offer = marie(sentence)
    assert offer.choices, offer.text
    assert set(offered_days(offer)) == {new_day}, offer.text  # the day named is the new wish
    assert booked_starts(signed_rt, MARIE) == [dt.datetime.combine(THU, dt.time(10, 0))]  # nothing moved yet
    read_back = marie("1")
    assert label(slots(offer)[0]) in read_back.text
    assert booked_starts(signed_rt, MARIE) == [dt.datetime.combine(THU, dt.time(10, 0))]
    marie("oui" if "je" in sentence or "vous" in sentence else "yes")
    [moved] = booked_starts(signed_rt, MARIE)
    assert moved.date() == new_day
    old = [a for a in appointments(signed_rt, MARIE) if a.status == AppointmentStatus.CANCELLED]
    assert len(old) == 1
    assert local_start(old[0]) == dt.datetime.combine(THU, dt.time(10, 0))


@pytest.mark.parametrize(
    ("cancel", "change", "yes"),
    [
        ("ANNULER", "non, je veux le changer pour vendredi", "oui"),
        ("cancel appt", "no, I want to change it to friday", "yes"),
    ],
)
def test_no_i_want_to_change_it_at_the_cancel_question_goes_to_the_change(
    phone, signed_rt, cancel, change, yes
):
    book(signed_rt, MARIE, day=THU, at=dt.time(10, 0), person="Marie Tremblay")
    marie = phone()
    asked = marie(cancel)
    assert "10" in asked.text  # the appointment read back with the question
    offer = marie(change)
    assert offer.choices, offer.text
    assert set(offered_days(offer)) == {FRI}, offer.text
    assert "annuler" not in offer.text.lower().split("\n")[0] or "Changement" in offer.text
    marie("1")
    done = marie(yes)  # the reflex yes moves the appointment: it never cancels it
    [moved] = booked_starts(signed_rt, MARIE)
    assert moved.date() == FRI, done.text


def test_the_day_of_one_of_several_appointments_names_the_one_to_change(phone, signed_rt):
    book(signed_rt, MARIE, day=THU, at=dt.time(10, 0), person="Marie Tremblay")
    book(signed_rt, MARIE, day=FRI, at=dt.time(14, 0))
    marie = phone()
    offer = marie("changer mon rdv de jeudi")
    assert "Changement du RDV jeu. 10 déc. à 10 h" in offer.text
    assert offer.choices
    marie("1")
    marie("oui")
    starts = booked_starts(signed_rt, MARIE)
    assert dt.datetime.combine(FRI, dt.time(14, 0)) in starts  # the other one is untouched
    assert dt.datetime.combine(THU, dt.time(10, 0)) not in starts


def test_the_old_day_and_the_new_day_in_one_sentence_pick_the_appointment_and_the_wish_e2e(phone, signed_rt):
    book(signed_rt, MARIE, day=THU, at=dt.time(10, 0), person="Marie Tremblay")
    book(signed_rt, MARIE, day=FRI, at=dt.time(14, 0))
    offer = phone()("je pourrai pas jeudi, tu peux me le changer pour lundi?")
    assert "Changement du RDV jeu. 10 déc." in offer.text
    assert set(offered_days(offer)) == {NEXT_MON}


def test_the_old_day_and_the_new_day_in_one_sentence_pick_the_appointment_and_the_wish(
    phone, signed_rt, understood
):
    sentence = "je pourrai pas jeudi, tu peux me le changer pour lundi?"
    understood[sentence] = {"old_date": THU}
    book(signed_rt, MARIE, day=THU, at=dt.time(10, 0), person="Marie Tremblay")
    book(signed_rt, MARIE, day=FRI, at=dt.time(14, 0))
    marie = phone()
    offer = marie(sentence)
    assert "Changement du RDV jeu. 10 déc." in offer.text
    assert set(offered_days(offer)) == {NEXT_MON}
    marie("2")
    marie("oui")
    starts = booked_starts(signed_rt, MARIE)
    assert dt.datetime.combine(FRI, dt.time(14, 0)) in starts
    assert len(starts) == 2
    assert any(s.date() == NEXT_MON for s in starts)


def test_several_appointments_and_no_old_day_ask_which_then_keep_the_new_wish(phone, signed_rt):
    book(signed_rt, MARIE, day=THU, at=dt.time(10, 0), person="Marie Tremblay")
    book(signed_rt, MARIE, day=FRI, at=dt.time(14, 0))
    marie = phone()
    which = marie("can you move my appointment to wednesday afternoon?")
    assert len(which.choices) == 2, which.text
    offer = marie("2")
    assert set(offered_days(offer)) == {WED}, offer.text
    assert all("PM" in line for line in slots(offer)), offer.text


def test_push_my_appointment_to_next_week_is_a_change(phone, signed_rt):
    book(signed_rt, MARIE, day=THU, at=dt.time(10, 0), person="Marie Tremblay")
    offer = phone()("can you push my appointment to next week")
    assert "Changing" in offer.text or "appointment" in offer.text.lower()
    assert offer.choices
    assert min(offered_days(offer)) >= NEXT_MON


# ---- 2. limits are limits ------------------------------------------------------------------------------------


def test_before_a_time_filters_the_offers_strictly(phone):
    for sentence in ("RDV demain avant 10 h", "tomorrow before 10"):
        offer = phone()(sentence)
        times = offered_times(offer)
        assert offer.choices, offer.text
        assert set(offered_days(offer)) == {TUE}, offer.text
        assert all(t in ("8 h", "8 h 15", "8 h 30", "8:00 AM", "8:15 AM", "8:30 AM") for t in times), times


def test_a_closed_day_gives_the_next_open_day_after_it_never_one_before(phone, signed_rt):
    fill_day(signed_rt, FRI)
    offer = phone()("RDV vendredi matin")
    assert "Rien de libre ven. 11 déc." in offer.text
    assert set(offered_days(offer)) == {NEXT_MON}, offer.text  # Thursday is nearer, and before: never
    english = phone(from_="+15145559876")("is there anything saturday afternoon?")
    assert set(offered_days(english)) == {NEXT_MON}, english.text
    assert all(re.search(r"1[3-6] h|[1-4]:\d\d PM", line) for line in slots(english)), english.text


def test_when_nothing_fits_the_rule_that_was_kept_is_said(phone):
    marie = phone()
    reply = marie("jeudi après 17 h")  # the clinic's last slot starts at 16:45
    assert not slots(reply)
    assert "Aucun moment libre jeu. 10 déc., après 17 h" in reply.text, reply.text
    assert segments(reply.text).segments == 1
    again = marie("vendredi")  # the question asked after it takes a new day
    assert set(offered_days(again)) == {FRI}


def test_not_before_a_day_keeps_the_offers_on_or_after_it(phone, signed_rt):
    fill_day(signed_rt, dt.date(2026, 12, 15))
    offer = phone()("RDV pas avant le 15")
    assert offer.choices, offer.text
    assert min(offered_days(offer)) > dt.date(2026, 12, 15), offer.text


def test_not_before_the_15th_in_english_filters_the_offers(phone):
    offer = phone()("not before the 15th")
    assert offer.choices, offer.text
    assert min(offered_days(offer)) >= dt.date(2026, 12, 15), offer.text


def test_after_thursday_offers_only_days_after_thursday(phone):
    offer = phone()("RDV après jeudi")
    assert offer.choices, offer.text
    assert min(offered_days(offer)) > THU, offer.text


def test_at_the_latest_friday_says_so_when_the_week_is_full(phone, signed_rt):
    for day in (MON, TUE, WED, THU, FRI):
        fill_day(signed_rt, day)
    reply = phone()("RDV au plus tard vendredi")
    assert not slots(reply), reply.text
    assert "au plus tard le ven. 11 déc." in reply.text, reply.text


def test_day_limits_filter_the_offers_and_an_empty_search_names_them(phone, signed_rt, understood):
    understood["RDV au plus tard vendredi"] = {"date": None, "not_after": FRI}
    understood["not before the 15th"] = {"intent": "book", "date": None, "not_before": dt.date(2026, 12, 15)}
    understood["RDV après jeudi"] = {"date": None, "not_before": FRI}
    offer = phone()("RDV au plus tard vendredi")
    assert offer.choices
    assert max(offered_days(offer)) <= FRI
    english = phone(from_="+15145559876")("not before the 15th")
    assert min(offered_days(english)) == dt.date(2026, 12, 15), english.text
    after = phone(from_="+15145557777")("RDV après jeudi")
    assert min(offered_days(after)) == FRI, after.text
    for day in (TUE, WED, THU, FRI):
        fill_day(signed_rt, day)
    fill_day(signed_rt, MON)
    full = phone(from_="+15145556666")("RDV au plus tard vendredi")
    assert not slots(full), full.text
    assert "Aucun moment libre au plus tard le ven. 11 déc." in full.text, full.text


# ---- 3. answers that point at the offer -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ask", "point", "picked"),
    [
        ("RDV jeudi matin", "celle de 8 h 30", "jeu. 10 déc. à 8 h 30"),
        ("appointment thursday morning", "the 8:15 one", "Thu Dec 10 at 8:15 AM"),
    ],
)
def test_a_time_of_the_offer_picks_it(phone, ask, point, picked):
    marie = phone()
    offer = marie(ask)
    assert any(picked in line for line in slots(offer)), offer.text
    asked = marie(point)
    assert not asked.choices  # the name is asked: the slot is held
    read_back = marie("Marie Tremblay")
    assert picked in read_back.text


def test_a_time_alone_that_was_not_offered_keeps_the_offered_day(phone):
    marie = phone()
    marie("RDV jeudi matin")
    offer = marie("9 h 15")
    assert set(offered_days(offer)) == {THU}, offer.text
    assert "9 h 15" in offer.text, offer.text


def test_a_weekday_picks_from_an_offer_that_spans_days(phone, clock):
    clock.set_local(FRI, dt.time(16, 20))
    marie = phone()
    offer = marie("RDV")
    assert set(offered_days(offer)) == {FRI, NEXT_MON}, offer.text
    monday = [line for line in slots(offer) if "lun." in line]
    assert len(monday) == 1
    asked = marie("lundi")
    assert not asked.choices
    assert label(monday[0]) in marie("Marie Tremblay").text


def test_the_last_one_picks_the_last_slot_offered_e2e(phone):
    marie = phone()
    offer = marie("RDV jeudi matin")
    assert not marie("le dernier").choices  # the name is asked: a slot is held
    assert label(slots(offer)[-1]) in marie("Marie Tremblay").text


def test_the_last_one_picks_the_last_slot_offered(phone, understood):
    understood["le dernier"] = {"pick_last": True}
    understood["the last one"] = {"pick_last": True}
    for ask, last in (("RDV jeudi matin", "le dernier"), ("appointment thursday morning", "the last one")):
        texter = phone(from_=MARIE if last == "le dernier" else "+15145559876")
        offer = texter(ask)
        assert not texter(last).choices
        assert label(slots(offer)[-1]) in texter("Marie Tremblay").text


# ---- 5. names ---------------------------------------------------------------------------------------------------


def test_the_stored_name_keeps_its_accents_when_the_sms_drops_them(phone, signed_rt):
    marie = phone()
    marie("RDV jeudi matin")
    marie("1")
    read_back = marie("Françoise Côté-Lévêque")
    # The read-back saves a segment by writing the name without ç ô ê; the name kept is the one typed.
    assert "Francoise Coté-Léveque" in read_back.text
    assert segments(read_back.text).encoding == "GSM-7"
    marie("oui")
    assert own_name(signed_rt, MARIE) == "Françoise Côté-Lévêque"


@pytest.mark.parametrize(
    ("said", "name"), [("c'est Marc Gagnon", "Marc Gagnon"), ("my name is Line Roy", "Line Roy")]
)
def test_a_name_said_naturally_is_the_name_e2e(phone, signed_rt, said, name):
    marie = phone()
    marie("RDV jeudi matin")
    marie("1")
    assert name in marie(said).text
    marie("oui")
    assert own_name(signed_rt, MARIE) == name


def test_a_name_said_naturally_is_the_name(phone, signed_rt, understood):
    understood["c'est Marc Gagnon"] = {"name": "Marc Gagnon"}
    marie = phone()
    marie("RDV jeudi matin")
    marie("1")
    read_back = marie("c'est Marc Gagnon")
    assert "Au nom de Marc Gagnon:" in read_back.text
    marie("oui")
    assert own_name(signed_rt, MARIE) == "Marc Gagnon"


def test_a_correction_at_the_read_back_changes_the_name_and_keeps_the_slot(phone, signed_rt, understood):
    understood["non, c'est à mon nom, Julie Côté"] = {"intent": "no", "name": "Julie Côté"}
    marie = phone()
    marie("RDV jeudi matin")
    marie("2")
    first = marie("Marie Tremblay")
    held = held_ids(signed_rt)
    again = marie("non, c'est à mon nom, Julie Côté")
    assert "Au nom de Julie" in again.text, again.text
    assert "jeu. 10 déc. à 8 h 15" in again.text, again.text
    assert first.text != again.text
    assert held_ids(signed_rt) == held
    assert len(held) == 1  # the slot stays held
    marie("oui")
    assert own_name(signed_rt, MARIE) == "Julie Côté"
    assert booked_starts(signed_rt, MARIE) == [dt.datetime.combine(THU, dt.time(8, 15))]


def test_a_correction_at_the_read_back_changes_the_name_e2e(phone, signed_rt):
    marie = phone()
    marie("RDV jeudi matin")
    marie("2")
    marie("Marie Tremblay")
    again = marie("non, c'est à mon nom, Julie Côté")
    assert "Julie" in again.text
    assert "8 h 15" in again.text


# ---- 7. safety ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang"),
    [("je pense au suicide", "fr"), ("I want to end my life", "en")],
)
def test_words_of_self_harm_get_988_first_in_the_language_of_the_message(phone, understood, text, lang):
    understood[text] = {"self_harm": True}
    reply = phone()(text)
    assert reply.text.index("988") < reply.text.index("911"), reply.text
    assert ("Appelez ou textez" in reply.text) == (lang == "fr")
    assert ("Call or text" in reply.text) == (lang == "en")
    assert segments(reply.text).segments <= 2


@pytest.mark.parametrize("text", ["je veux mourir", "I want to kill myself"])
def test_words_of_self_harm_get_988_e2e(phone, text):
    reply = phone()(text)
    assert "988" in reply.text
    assert reply.text.index("988") < reply.text.index("911")


def test_self_harm_words_in_the_middle_of_a_booking_leave_it_pending(phone, understood):
    understood["j'ai envie d'en finir"] = {"intent": "emergency", "self_harm": True}
    marie = phone()
    offer = marie("RDV jeudi matin")
    reply = marie("j'ai envie d'en finir")
    assert reply.text.startswith("Besoin de parler")
    assert "988" in reply.text
    assert not marie("1").choices  # the booking goes on where it was: the name is asked
    assert label(slots(offer)[0]) in marie("Marie Tremblay").text


# ---- 8. small talk and endings -------------------------------------------------------------------------------


@pytest.mark.parametrize(("thanks", "lang"), [("merci", "fr"), ("bonne journée", "fr"), ("thanks", "en")])
def test_thanks_after_a_finished_flow_gets_a_short_goodbye_not_the_menu(phone, understood, thanks, lang):
    understood[thanks] = {"smalltalk": "thanks" if "journ" not in thanks else "bye"}
    texter = phone()
    texter("RDV jeudi matin" if lang == "fr" else "appointment thursday morning")
    texter("1")
    texter("Marie Tremblay")
    texter("oui" if lang == "fr" else "yes")
    bye = texter(thanks)
    assert segments(bye.text).segments == 1, bye.text
    assert len(bye.text) < 40, bye.text
    assert "RDV" not in bye.text
    assert "BOOK" not in bye.text


@pytest.mark.parametrize("thanks", ["merci", "merci beaucoup!", "thanks", "thank you"])
def test_thanks_after_a_finished_flow_e2e(phone, thanks):
    texter = phone()
    texter("SANS RDV")
    bye = texter(thanks)
    assert segments(bye.text).segments == 1, bye.text
    assert "RDV" not in bye.text, bye.text


@pytest.mark.parametrize(
    ("ask", "first", "full", "yes", "clinic"),
    [
        ("RDV jeudi matin", "Julie", "Julie Côté", "ouin", None),
        ("appt thursday morning", "Bob", "Bob Lee", "yep", WESTMOUNT),
    ],
)
def test_a_full_name_texted_at_the_read_back_completes_the_name_e2e(
    phone, signed_rt, ask, first, full, yes, clinic
):
    texter = phone(to=clinic) if clinic else phone()
    texter(ask)
    texter("1")
    assert first in texter(first).text
    read_back = texter(full)
    assert fold(full) in fold(read_back.text), read_back.text
    assert read_back.choices == [], read_back.text  # accents may go
    texter(yes)
    assert own_name(signed_rt, MARIE) == full
    assert len(appointments(signed_rt, MARIE, AppointmentStatus.BOOKED)) == 1


def test_words_at_the_read_back_are_not_taken_for_a_name_e2e(phone, signed_rt):
    texter = phone()
    texter("RDV jeudi matin")
    texter("1")
    texter("Julie Côté")
    texter("plus tard")
    assert own_name(signed_rt, MARIE) in (None, "Julie Côté")
    assert appointments(signed_rt, MARIE, AppointmentStatus.BOOKED) == []


@pytest.mark.parametrize(
    ("ask", "another", "then", "clinic", "day"),
    [
        ("RDV jeudi matin", "autre jour", "vendredi", None, FRI),
        ("RDV jeudi matin", "un autre jour svp", "lundi prochain", None, NEXT_MON),
        ("appt thursday morning", "another day?", "friday", WESTMOUNT, FRI),
        ("appt thursday morning", "not that day", "next monday", WESTMOUNT, NEXT_MON),
    ],
)
def test_another_day_asks_which_day_instead_of_later_times_of_the_same_day_e2e(
    phone, ask, another, then, clinic, day
):
    texter = phone(to=clinic) if clinic else phone()
    assert set(offered_days(texter(ask))) == {THU}
    which = texter(another)
    assert not which.choices, which.text
    assert "?" in which.text, which.text  # the day is asked, nothing offered yet
    assert set(offered_days(texter(then))) == {day}


@pytest.mark.parametrize(
    ("ask", "thanks", "clinic"),
    [
        ("mes rdv", "merci!", None),
        ("my appointments", "ok thanks", WESTMOUNT),
        ("ANNULER", "merci bcp", None),
    ],
)
def test_thanks_after_reading_ones_appointments_closes_the_list_e2e(phone, signed_rt, ask, thanks, clinic):
    clinic_id = "westmount" if clinic else "parc"
    book(signed_rt, MARIE, day=THU, at=dt.time(10, 0), clinic=clinic_id, person="Marie Tremblay")
    book(signed_rt, MARIE, day=FRI, at=dt.time(10, 0), clinic=clinic_id, person="Marie Tremblay")
    texter = phone(to=clinic) if clinic else phone()
    assert texter(ask).choices
    bye = texter(thanks)
    assert not bye.choices, bye.text
    assert segments(bye.text).segments == 1, bye.text
    assert len(bye.text) < 40, bye.text
    assert len(appointments(signed_rt, MARIE, AppointmentStatus.BOOKED)) == 2  # nothing was touched


@pytest.mark.parametrize(("ask", "thanks"), [("mes rdv", "merci"), ("my appointments", "thank you")])
def test_thanks_when_there_is_no_appointment_declines_the_offer_to_book_e2e(phone, ask, thanks):
    texter = phone()
    texter(ask)
    bye = texter(thanks)
    assert not bye.choices, bye.text
    assert len(bye.text) < 40, bye.text


def test_thanks_at_the_read_back_of_a_booking_leaves_the_booking_pending_e2e(phone, signed_rt):
    texter = phone()
    texter("RDV jeudi matin")
    texter("1")
    read_back = texter("Marie Tremblay")
    again = texter("merci")
    assert "OUI" in again.text, again.text  # the question is asked again, not dropped with a goodbye
    assert "réservé" in texter("oui").text
    assert read_back.text
    assert len(appointments(signed_rt, MARIE, AppointmentStatus.BOOKED)) == 1


@pytest.mark.parametrize(
    ("first", "stop", "clinic", "expected"),
    [
        ("I need an appointment", "STOP", None, "You'll get texts"),
        ("je voudrais un rendez-vous", "ARRET", WESTMOUNT, "Vous recevrez de nouveau"),
    ],
)
def test_start_is_answered_in_the_patients_language(phone, clock, first, stop, clinic, expected):
    texter = phone(to=clinic) if clinic else phone()
    texter(first)
    assert texter(stop).text == ""  # the carrier confirms a keyword opt-out
    clock.advance(days=3)  # the conversation is long gone
    assert expected in texter("START").text


@pytest.mark.parametrize(
    ("worded", "again", "expected"),
    [
        ("arrête de m'écrire", "arrêtez de m'écrire svp", "ne vous écrira plus"),
        ("stop texting me", "please stop texting me", "won't text you again"),
    ],
)
def test_a_worded_opt_out_is_confirmed_once(phone, signed_rt, worded, again, expected):
    texter = phone()
    confirmed = texter(worded)
    assert expected in confirmed.text
    assert "START" in confirmed.text
    assert segments(confirmed.text).segments == 1
    assert patient(signed_rt, MARIE).opted_out
    assert texter(again).text == ""  # once
    assert texter("RDV").text == ""  # and nothing more until START


@pytest.mark.parametrize(
    ("answer", "lang"), [("pouvez-vous le changer pour lundi?", "fr"), ("can you change it to monday?", "en")]
)
def test_a_reminder_answered_with_a_change_offers_the_day_named(phone, signed_rt, answer, lang):
    appointment_id = book(signed_rt, MARIE, day=THU, at=dt.time(10, 0), person="Marie Tremblay").id
    primed(
        signed_rt,
        channel="sms",
        phone=MARIE,
        flow="reminder",
        data={"appointment_id": appointment_id},
        minutes=60,
    )
    offer = phone()(answer)
    assert set(offered_days(offer)) == {NEXT_MON}, offer.text
    assert booked_starts(signed_rt, MARIE) == [dt.datetime.combine(THU, dt.time(10, 0))]


# ---- the queue: "how long?" ----------------------------------------------------------------------------------


@pytest.mark.parametrize("asked", ["ça va être long?", "how much longer?"])
def test_how_long_asks_for_the_place_in_the_queue(phone, asked):
    texter = phone()
    texter("SANS RDV")
    place = texter(asked)
    assert re.search(r"\b1\b", place.text), place.text
    assert "Numéro" in place.text or "Number" in place.text, place.text


def test_a_name_said_with_the_request_is_not_asked_again(phone, signed_rt, understood):
    sentence = "c'est Marc Gagnon, je voudrais un rdv jeudi matin"
    understood[sentence] = {"name": "Marc Gagnon"}
    marie = phone()
    offer = marie(sentence)
    read_back = marie("1")
    assert "Au nom de Marc Gagnon:" in read_back.text
    assert label(slots(offer)[0]) in read_back.text
    marie("oui")
    assert own_name(signed_rt, MARIE) == "Marc Gagnon"


def test_a_day_said_with_a_limit_it_breaks_is_read_as_the_limit(phone, understood):
    understood["RDV après jeudi"] = {"date": THU, "not_before": FRI}
    offer = phone()("RDV après jeudi")
    assert min(offered_days(offer)) == FRI, offer.text
    assert "Rien de libre" not in offer.text, offer.text


def test_thanks_the_next_day_is_a_goodbye_not_an_expired_request(phone, clock, understood):
    understood["merci!"] = {"smalltalk": "thanks"}
    marie = phone()
    marie("RDV jeudi matin")  # offered, never answered
    clock.advance(days=1)
    bye = marie("merci!")
    assert "Bonne journée" in bye.text, bye.text
    assert "expiré" not in bye.text, bye.text


def test_self_harm_words_at_the_end_of_a_long_message_give_988_in_its_language(phone, understood):
    text = (
        "Hello, I am writing because I had an appointment last month and the doctor told me to come back "
        "if things did not get better. " * 5 + "Honestly things got worse and I keep thinking about suicide."
    )
    assert len(text) > 500
    understood[text] = {"self_harm": True}
    reply = phone()(text)
    assert "988" in reply.text, reply.text
    assert "Call or text" in reply.text, reply.text
