"""Whole phone calls as callers play them, over signed Twilio requests, every answer parsed as TwiML.

The clock starts on Monday 7 December 2026 at 09:00 in Montréal (the reception of Clinique du Parc is
open). Each sentence is read by core.language as it is; the flows behind them are also tested with the
detail given (the `understood` fixture).
"""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

import pytest
from sqlalchemy import select

from core.models import CallbackRequest, Patient
from tests.support.apps import MARIE, PARC_LINE, WESTMOUNT
from tests.support.arrange import book, booked_starts

THU, FRI = dt.date(2026, 12, 10), dt.date(2026, 12, 11)
SUNDAY = dt.date(2026, 12, 13)
HIDDEN = "+266696687"  # "ANONYMOUS" as Twilio spells a hidden caller ID
# The same estimate as bench/voice_cost.py: words at a telephone pace, pauses between sentences and commas.
WORDS_PER_MINUTE = {"fr-CA": 165, "en-US": 150}
SENTENCE_PAUSE, COMMA_PAUSE = 0.4, 0.25
SILENCE_BUDGET = 45  # seconds from the end of a question to the end of the call, for a silent caller


def spoken_seconds(texts: list[str], tag: str = "fr-CA") -> float:
    words = sum(len(re.findall(r"[\w'’-]+", text)) for text in texts)
    commas = sum(text.count(",") for text in texts)
    return words * 60 / WORDS_PER_MINUTE[tag] + SENTENCE_PAUSE * len(texts) + COMMA_PAUSE * commas


def last_xml(call) -> ET.Element:
    return ET.fromstring(call.requests[-1].xml)


def says(call) -> list[ET.Element]:
    return list(last_xml(call).iter("Say"))


def gather(call) -> ET.Element | None:
    return last_xml(call).find("Gather")


def callbacks(rt) -> list[CallbackRequest]:
    with rt.session_factory() as session:
        return list(session.scalars(select(CallbackRequest)))


# ---- 1. a change said as a sentence ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("to", "sentence", "heard_day", "yes"),
    [
        (None, "déplacez mon rendez-vous à vendredi matin", "vendredi onze décembre", "oui"),
        (WESTMOUNT, "move it to friday morning", "Friday, December eleventh", "yes"),
    ],
)
def test_move_it_to_friday_morning_takes_friday_as_the_new_day(dial, signed_rt, to, sentence, heard_day, yes):
    clinic = "westmount" if to else "parc"
    book(signed_rt, MARIE, day=THU, at=dt.time(10, 0), clinic=clinic, person="Marie Tremblay")
    call = dial(to=to) if to else dial()
    call.say(sentence)
    assert heard_day in call.text, call.text  # the new wish, not the old appointment's day
    assert "jeudi dix décembre" in call.text or "Thursday, December tenth" in call.text  # which one moves
    assert booked_starts(signed_rt, MARIE) == [dt.datetime.combine(THU, dt.time(10, 0))]
    call.press("1")
    assert booked_starts(signed_rt, MARIE) == [
        dt.datetime.combine(THU, dt.time(10, 0))
    ]  # kept until the new one is booked
    call.say(yes)
    [moved] = booked_starts(signed_rt, MARIE)
    assert moved.date() == FRI
    assert moved.hour < 12


def test_no_i_want_to_change_it_at_the_cancel_question_moves_it_on_the_phone(dial, signed_rt):
    book(signed_rt, MARIE, day=THU, at=dt.time(10, 0), person="Marie Tremblay")
    call = dial()
    call.say("annuler mon rendez-vous")
    assert "annuler" in call.text
    call.say("non, je veux le changer pour vendredi")
    assert "vendredi onze décembre" in call.text
    assert "annuler" not in call.text.split(".")[-1]
    call.press("1")
    call.press("1")
    [moved] = booked_starts(signed_rt, MARIE)
    assert moved.date() == FRI


# ---- 3. pointing at the offer --------------------------------------------------------------------------------


def test_the_830_one_picks_it_from_the_offer_by_speech(dial, signed_rt):
    call = dial()
    call.say("un rendez-vous jeudi matin")
    assert "huit heures trente" in call.text
    call.say("celle de 8 h 30")
    call.say("Marie Tremblay")
    assert "jeudi dix décembre à huit heures trente" in call.text, call.text


# ---- 7. safety ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "tag"), [("je pense au suicide", "fr-CA"), ("I keep thinking about killing myself", "en-US")]
)
def test_self_harm_gets_988_first_on_the_phone_in_the_language_spoken(dial, understood, text, tag):
    understood[text] = {"intent": "emergency", "self_harm": True}
    call = dial()
    call.say(text)
    first = says(call)[0]
    assert "9-8-8" in "".join(first.itertext())
    assert first.get("language") == tag
    assert "9-1-1" in call.text
    assert call.state == "gather"


def test_self_harm_gets_988_on_the_phone_e2e(dial):
    call = dial()
    call.say("je veux mourir")
    assert "9-8-8" in call.heard[0]


# ---- 8. endings --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("thanks", ["merci", "merci, bonne journée"])
def test_thanks_after_anything_else_ends_the_call_politely(dial, signed_rt, thanks):
    call = dial()
    call.press("2")  # walk-in
    call.press("1")  # for oneself only
    call.press("1")  # told by text
    assert "autre chose" in call.text
    call.say(thanks)
    assert call.ended
    assert "au revoir" in call.text.lower()
    assert last_xml(call).find("Hangup") is not None


# ---- 9. silence ----------------------------------------------------------------------------------------------------


def silent_call_seconds(call) -> float:
    """Gather timeouts + the words said after the first question, until the call ends or is transferred."""
    total = 0.0
    while call.state == "gather":
        total += int(call.gather["timeout"])
        call.silence()
        total += spoken_seconds(call.heard, call.gather.get("language", "fr-CA"))
    return total


def test_a_silent_caller_hears_two_shorter_prompts_then_is_transferred_within_45_seconds(dial):
    call = dial()
    seconds = silent_call_seconds(call)
    assert call.state == "dial"
    assert call.dialled == PARC_LINE
    prompts_heard = [r for r in call.requests if r.path.startswith("/voice/silence")]
    assert len(prompts_heard) == 3  # two reworded prompts and the way out
    assert seconds <= SILENCE_BUDGET, seconds


@pytest.mark.parametrize("to", [None, WESTMOUNT])
def test_a_silent_caller_when_closed_hears_the_number_and_no_callback_is_left(dial, clock, signed_rt, to):
    clock.set_local(SUNDAY, dt.time(11, 0))
    call = dial(to=to) if to else dial()
    seconds = silent_call_seconds(call)
    assert call.ended, seconds
    assert seconds <= SILENCE_BUDGET, seconds
    assert re.search(r"\d, \d \d \d, \d \d \d \d", call.text), call.text  # the clinic's number, in groups
    assert callbacks(signed_rt) == []


@pytest.mark.parametrize(
    ("words", "name"),
    [("rappelez-moi s'il vous plaît", "Marie Tremblay"), ("please call me back", "Mary Smith")],
)
def test_a_callback_is_left_when_the_caller_asks_for_one(dial, clock, signed_rt, words, name):
    clock.set_local(SUNDAY, dt.time(11, 0))
    call = dial()
    call.say(words)
    assert call.state == "gather"
    call.say(name)
    assert call.ended
    [request] = callbacks(signed_rt)
    assert (request.phone, request.name) == (MARIE, name)


def test_a_person_asked_for_when_closed_is_offered_a_callback_and_no_means_none(dial, clock, signed_rt):
    clock.set_local(SUNDAY, dt.time(11, 0))
    call = dial()
    call.press("0")
    assert "rappelle" in call.text
    call.press("2")
    assert call.ended
    assert callbacks(signed_rt) == []


@pytest.mark.parametrize(("to", "tag"), [(None, "fr-CA"), (WESTMOUNT, "en-US")])
def test_a_hidden_caller_who_keys_a_mobile_is_asked_text_or_call(dial, signed_rt, to, tag):
    call = dial(from_=HIDDEN, to=to) if to else dial(from_=HIDDEN)
    call.press("1")  # book: a number is needed
    call.press("5145551234#")
    call.press("1")  # yes, that is my number
    assert call.gather["language"] == tag
    assert [s.strip() for s in call.heard][0].endswith("?")
    assert len(gather(call).findall("Say")) == 3  # the question, 1 by text, 2 by a call
    call.press("2")
    with signed_rt.session_factory() as session:
        assert session.scalar(select(Patient.notify_by).where(Patient.phone == MARIE)) == "call"
    assert call.state == "gather"  # and the booking goes on


# ---- 10. slow mode ----------------------------------------------------------------------------------------------


def prosody_rates(call) -> set[str | None]:
    rates = set()
    for say in says(call):
        inner = say.find("prosody")
        rates.add(inner.get("rate") if inner is not None else None)
    return rates


@pytest.mark.parametrize(
    ("how", "to"), [("8", None), ("plus lentement s'il vous plaît", None), ("slower please", WESTMOUNT)]
)
def test_slower_slows_the_voice_and_lengthens_timeouts_for_the_rest_of_the_call(dial, how, to):
    call = dial(to=to) if to else dial()
    normal = int(call.gather["timeout"])
    call.press(how) if how.isdigit() else call.say(how)
    assert prosody_rates(call) == {"85%"}
    assert int(call.gather["timeout"]) > normal
    assert int(call.gather["speechTimeout"]) > 3
    call.press("1")  # the rest of the call
    assert prosody_rates(call) == {"85%"}
    assert int(call.gather["timeout"]) > normal


def test_the_line_remembers_the_slower_voice_for_that_patient(dial, signed_rt):
    first = dial()
    first.press("8")
    first.hang_up()
    again = dial()  # another call, days later
    assert prosody_rates(again) == {"85%"}
    with signed_rt.session_factory() as session:
        assert session.scalar(select(Patient.slow_voice).where(Patient.phone == MARIE)) is True
    again.say("plus vite")
    assert prosody_rates(again) == {None}
    assert dial().gather["timeout"] == "6"


def test_the_slow_key_is_said_in_the_help_and_after_a_silence(dial):
    call = dial()
    call.say("aide")
    assert any("appuyez sur 8" in text for text in call.heard)
    call.silence()
    assert any("Pour ralentir, appuyez sur 8" in text for text in call.heard)


@pytest.mark.parametrize(("slower", "to"), [("8", None), ("slower please", WESTMOUNT)])
def test_a_silence_after_slowing_down_does_not_offer_to_slow_down_again(dial, slower, to):
    call = dial(to=to) if to else dial()
    call.press(slower) if slower.isdigit() else call.say(slower)
    call.silence()
    assert call.heard, call.heard
    assert not any("8" in text for text in call.heard), call.heard
    assert prosody_rates(call) == {"85%"}


def keys_said(call) -> list[str]:
    """Every 'press N' / 'appuyez sur N' heard since the caller's last input, in order."""
    return re.findall(r"(?:press|appuyez sur) (\d)", call.text)


@pytest.mark.parametrize(
    ("to", "booking", "name", "gibberish"),
    [
        (None, "je voudrais un rendez-vous jeudi matin", "Julie Côté", "banane"),
        (WESTMOUNT, "an appointment thursday morning", "Ann Roy", "banana"),
    ],
)
def test_a_retry_on_the_phone_names_each_key_once(dial, to, booking, name, gibberish):
    call = dial(to=to) if to else dial()
    call.say(booking)
    call.press("1")
    call.say(name)
    call.say(gibberish)
    keys = keys_said(call)
    assert sorted(keys) == ["1", "2"], call.text  # not "press 1, press 2" and then "press 1, press 2" again
    call.press("1")  # the keys still work after the shorter retry
    assert "code" in call.text, call.text


def test_a_callback_name_said_naturally_is_the_name(dial, clock, signed_rt, understood):
    understood["c'est Marc Gagnon"] = {"name": "Marc Gagnon"}
    clock.set_local(SUNDAY, dt.time(11, 0))
    call = dial()
    call.say("rappelez-moi")
    call.say("c'est Marc Gagnon")
    [request] = callbacks(signed_rt)
    assert request.name == "Marc Gagnon"
