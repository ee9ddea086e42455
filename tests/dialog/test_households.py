"""One phone, several people, over signed Twilio requests: a parent books for her son then for herself and both
are listed by name; "for my mother Rita" is not asked "for whom?"; cancelling one of two people's
appointments cancels the right one; a ninth person is refused politely; names that are not names are asked
again in other words.

The clock starts on Monday 7 December 2026 at 09:00 in Montréal. Every SMS reply must fit 2 segments (the
`phone` fixture checks each one); on the phone, the seconds a booking for a second person costs are measured.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.models import Person, Slot, SlotStatus
from core.services import patients, people
from smsbot.segments import segments
from tests.dialog.test_conversation_voice import spoken_seconds
from tests.support.apps import MARIE, PARC, TOKEN, WESTMOUNT, signed_runtime
from tests.support.arrange import book, booked, local_start
from tests.support.households import add_people
from tests.support.twilio_requests import Texter

THU, FRI = dt.date(2026, 12, 10), dt.date(2026, 12, 11)
CLINIC = {"fr": ("parc", None), "en": ("westmount", WESTMOUNT)}

WORDS = {
    "fr": {
        "for_son": "RDV pour mon fils jeudi matin",
        "son_name": "Quel est le nom de votre fils",
        "book_afternoon": "RDV jeudi après-midi",
        "son_friday": "RDV pour mon fils vendredi",
        "whom": "Pour qui",
        "me": "moi",
        "own_name": "Quel est votre nom",
        "other": "Quelqu'un d'autre",
        "someone_else": "quelqu'un d'autre",
        "other_name": "Quel est le nom de la personne",
        "yes": "oui",
        "list": "MES RDV",
        "cancel": "ANNULER",
        "for_mother": "RDV pour ma mère Rita Roy vendredi",
        "full": "8 personnes",
        "retry_own": "Écrivez votre prénom et votre nom",
        "retry_other": "Écrivez son prénom et son nom",
        "cancelled": "C'est annulé",
    },
    "en": {
        "for_son": "appointment for my son thursday morning",
        "son_name": "What is your son's name",
        "book_afternoon": "appointment thursday afternoon",
        "son_friday": "appointment for my son friday",
        "whom": "Who is the appointment for",
        "me": "me",
        "own_name": "What is your name",
        "other": "Someone else",
        "someone_else": "someone else",
        "other_name": "What is the person's name",
        "yes": "yes",
        "list": "my appointments",
        "cancel": "cancel appt",
        "for_mother": "appointment for my mother Rita Roy on friday",
        "full": "8 people",
        "retry_own": "Please text your first and last name",
        "retry_other": "Please text their first and last name",
        "cancelled": "Cancelled",
    },
}


def booked_for(rt, phone: str = MARIE) -> list[tuple[str | None, dt.datetime]]:
    """(person's name, local start) of a phone's booked appointments, soonest first."""
    return [(a.person.name, local_start(a)) for a in booked(rt, phone)]


def people_named(rt, phone: str = MARIE) -> list[tuple[str | None, str | None]]:
    """(name, relation) of a phone's people, its owner first."""
    with rt.session_factory() as session:
        patient = patients.find_patient(session, phone)
        return [(p.name, p.relation) for p in people.people_of(session, patient)] if patient else []


def seed(rt, names: list[str], bookings=(), clinic_id: str = "parc", lang: str = "fr", phone: str = MARIE):
    """A phone with these people (the first is its owner) and appointments [(person index, day, time)]."""
    add_people(rt, phone, names, lang)
    for index, day, at in bookings:
        book(rt, phone, day=day, at=at, clinic=clinic_id, person=names[index])


def held(rt) -> int:
    with rt.session_factory() as session:
        return len(session.scalars(select(Slot).where(Slot.status == SlotStatus.HELD)).all())


# ---- a parent for her son, then for herself --------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_parent_books_for_her_son_then_for_herself_and_both_are_listed_by_name(phone, signed_rt, lang):
    w = WORDS[lang]
    clinic_id, to = CLINIC[lang]
    mom = phone(to=to) if to else phone()
    mom(w["for_son"])
    asked = mom("1")
    assert w["son_name"] in asked.text
    assert w["whom"] not in asked.text  # the message said whom for
    read_back = mom("Marc Tremblay")
    assert "Marc Tremblay" in read_back.text
    done = mom(w["yes"])
    assert "Marc" in done.text
    assert [name for name, _ in booked_for(signed_rt)] == ["Marc Tremblay"]

    mom(w["book_afternoon"])
    whom = mom("1")
    assert whom.text.startswith(w["whom"]), whom.text
    assert whom.choices[-1].endswith(w["other"])
    assert any("Marc Tremblay" in c for c in whom.choices)
    own = mom(w["me"])
    assert w["own_name"] in own.text  # "moi" is the phone's owner, never named yet
    assert "Julie Tremblay" in mom("Julie Tremblay").text
    mom(w["yes"])

    listing = mom(w["list"])
    assert len(listing.choices) == 2, listing.text
    assert "Marc" in listing.choices[0], listing.text
    assert "Julie" in listing.choices[1], listing.text
    assert [name for name, _ in booked_for(signed_rt)] == ["Marc Tremblay", "Julie Tremblay"]
    assert people_named(signed_rt) == [("Julie Tremblay", None), ("Marc Tremblay", "son")]

    # A third booking: "pour mon fils" now finds Marc, neither "for whom?" nor his name asked.
    mom(w["son_friday"])
    read_back = mom("1")
    assert "Marc Tremblay" in read_back.text, read_back.text
    assert w["whom"] not in read_back.text, read_back.text
    mom(w["yes"])
    assert [name for name, _ in booked_for(signed_rt)].count("Marc Tremblay") == 2
    assert len(people_named(signed_rt)) == 2


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_someone_else_by_the_question_adds_a_person_and_books_for_them(phone, signed_rt, lang):
    w = WORDS[lang]
    clinic_id, to = CLINIC[lang]
    seed(signed_rt, ["Julie Tremblay"], clinic_id=clinic_id, lang=lang)
    mom = phone(to=to) if to else phone()
    mom(w["book_afternoon"])
    whom = mom("1")
    assert whom.choices == ["1) Julie Tremblay", f"2) {w['other']}"], whom.text
    assert w["other_name"] in mom(w["someone_else"]).text
    assert "Léa Tremblay" in mom("Léa Tremblay").text
    mom(w["yes"])
    assert [name for name, _ in booked_for(signed_rt)] == ["Léa Tremblay"]
    assert people_named(signed_rt) == [("Julie Tremblay", None), ("Léa Tremblay", None)]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_for_my_mother_rita_skips_the_question(phone, signed_rt, lang):
    w = WORDS[lang]
    clinic_id, to = CLINIC[lang]
    seed(signed_rt, ["Julie Tremblay"], clinic_id=clinic_id, lang=lang)
    daughter = phone(to=to) if to else phone()
    daughter(w["for_mother"])
    read_back = daughter("1")
    assert "Rita Roy" in read_back.text, read_back.text
    assert w["whom"] not in read_back.text, read_back.text
    daughter(w["yes"])
    [(name, start)] = booked_for(signed_rt)
    assert name == "Rita Roy"
    assert start.date() == FRI
    assert people_named(signed_rt) == [("Julie Tremblay", None), ("Rita Roy", "mother")]


# ---- cancelling one of two people's appointments ------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_cancelling_one_of_two_peoples_appointments_cancels_the_right_one(phone, signed_rt, lang):
    w = WORDS[lang]
    clinic_id, to = CLINIC[lang]
    seed(
        signed_rt,
        ["Julie Tremblay", "Marc Tremblay"],
        [(0, THU, dt.time(10, 0)), (1, FRI, dt.time(10, 0))],
        clinic_id=clinic_id,
        lang=lang,
    )
    mom = phone(to=to) if to else phone()
    which = mom(w["cancel"])
    assert "Julie" in which.choices[0], which.text
    assert "Marc" in which.choices[1], which.text
    sure = mom("2")
    assert "Marc" in sure.text, sure.text
    assert "Julie" not in sure.text, sure.text
    done = mom(w["yes"])
    assert w["cancelled"] in done.text
    assert "Marc" in done.text
    assert booked_for(signed_rt) == [("Julie Tremblay", dt.datetime.combine(THU, dt.time(10, 0)))]


def test_cancel_naming_the_person_goes_straight_to_that_appointment(phone, signed_rt):
    seed(signed_rt, ["Julie Tremblay", "Marc Tremblay"], [(0, THU, dt.time(10, 0)), (1, THU, dt.time(11, 0))])
    mom = phone()
    sure = mom("annuler le RDV de Marc")
    assert sure.text.startswith("Annuler le RDV de Marc"), sure.text
    assert "11 h" in sure.text, sure.text
    mom("oui")
    assert booked_for(signed_rt) == [("Julie Tremblay", dt.datetime.combine(THU, dt.time(10, 0)))]


@pytest.mark.parametrize(
    ("ask", "none_for"),
    [
        ("annuler le RDV de Marc", "Aucun RDV à venir pour Marc."),
        ("cancel Marc's appt", "No upcoming appt for Marc."),
    ],
)
def test_cancel_naming_a_person_without_one_says_so_before_offering_the_other(
    phone, signed_rt, ask, none_for
):
    seed(signed_rt, ["Julie Tremblay", "Marc Tremblay"], [(0, THU, dt.time(10, 0))])
    mom = phone()
    sure = mom(ask)
    assert sure.text.startswith(none_for), sure.text
    assert "Julie" in sure.text  # what would be cancelled is named: never taken for Marc's
    mom("non")
    assert booked_for(signed_rt) == [("Julie Tremblay", dt.datetime.combine(THU, dt.time(10, 0)))]


def test_a_person_named_at_which_one_picks_their_appointment(phone, signed_rt):
    seed(signed_rt, ["Julie Tremblay", "Marc Tremblay"], [(0, THU, dt.time(10, 0)), (1, THU, dt.time(11, 0))])
    mom = phone()
    mom("ANNULER")
    sure = mom("celui de Julie")
    assert "Julie" in sure.text, sure.text
    assert "10 h" in sure.text, sure.text
    mom("oui")
    assert booked_for(signed_rt) == [("Marc Tremblay", dt.datetime.combine(THU, dt.time(11, 0)))]


# ---- limits and bad input ---------------------------------------------------------------------------------------


EIGHT = [f"{first} Tremblay" for first in ("Julie", "Marc", "Léa", "Paul", "Rose", "Jean", "Anne", "Luc")]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_ninth_person_is_refused_politely_and_one_of_the_eight_can_still_be_booked(phone, signed_rt, lang):
    w = WORDS[lang]
    clinic_id, to = CLINIC[lang]
    seed(signed_rt, EIGHT, clinic_id=clinic_id, lang=lang)
    mom = phone(to=to) if to else phone()
    mom(w["book_afternoon"])
    whom = mom("1")
    assert len(whom.choices) == 8
    assert not any(w["other"] in c for c in whom.choices)  # no room for a ninth
    refused = mom("Zoé Gagnon")
    assert w["full"] in refused.text, refused.text
    assert len(refused.choices) == 8, refused.text
    assert held(signed_rt) == 1  # the slot is still theirs while they choose
    read_back = mom("3")
    assert "Léa Tremblay" in read_back.text
    mom(w["yes"])
    assert [name for name, _ in booked_for(signed_rt)] == ["Léa Tremblay"]
    assert len(people_named(signed_rt)) == 8


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_ninth_person_named_in_the_request_is_refused_then_the_clinic_is_given(phone, signed_rt, lang):
    w = WORDS[lang]
    clinic_id, to = CLINIC[lang]
    seed(signed_rt, EIGHT, clinic_id=clinic_id, lang=lang)
    mom = phone(to=to) if to else phone()
    mom(w["for_mother"])
    refused = mom("1")
    assert w["full"] in refused.text, refused.text
    assert len(refused.choices) == 8, refused.text
    again = mom("Rita Roy")  # a ninth again: the clinic's number, and the slot goes back
    assert w["full"] in again.text, again.text
    assert "514-555" in again.text, again.text
    assert not again.choices, again.text
    assert held(signed_rt) == 0
    assert booked_for(signed_rt) == []
    assert len(people_named(signed_rt)) == 8


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("bad", ["😀🙂👍", "4185551234", "Marie " * 84], ids=["emoji", "digits", "500-chars"])
def test_a_name_that_is_not_a_name_is_asked_again_in_other_words(phone, signed_rt, lang, bad):
    w = WORDS[lang]
    clinic_id, to = CLINIC[lang]
    marie = phone(to=to) if to else phone()
    marie(w["book_afternoon"])
    asked = marie("1")
    assert w["own_name"] in asked.text
    again = marie(bad)
    assert w["retry_own"] in again.text, again.text
    assert again.text != asked.text, again.text
    assert held(signed_rt) == 1
    marie("Marie Tremblay")
    marie(w["yes"])
    assert [name for name, _ in booked_for(signed_rt)] == ["Marie Tremblay"]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_bad_name_for_someone_else_is_asked_again_about_them(phone, signed_rt, lang):
    w = WORDS[lang]
    clinic_id, to = CLINIC[lang]
    seed(signed_rt, ["Julie Tremblay"], clinic_id=clinic_id, lang=lang)
    mom = phone(to=to) if to else phone()
    mom(w["book_afternoon"])
    mom("1")
    mom("2")
    again = mom("🎉" * 40)
    assert w["retry_other"] in again.text, again.text
    assert "Léa Roy" in mom("Léa Roy").text
    assert people_named(signed_rt) == [("Julie Tremblay", None)]  # nobody is added before the booking


# ---- on the phone ----------------------------------------------------------------------------------------------------


VOICE = {
    "fr": {
        "for_daughter": "un rendez-vous pour ma fille demain",
        "daughter_name": "Quel est le nom de votre fille",
    },
    "en": {
        "for_daughter": "an appointment for my daughter tomorrow",
        "daughter_name": "What is your daughter's name",
    },
}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_on_the_phone_a_parent_books_for_her_daughter_then_herself_by_keypad(dial, signed_rt, lang):
    clinic_id, to = CLINIC[lang]
    tag = "fr-CA" if lang == "fr" else "en-US"
    call = dial(to=to) if to else dial()
    call.say(VOICE[lang]["for_daughter"])
    call.press("1")
    assert VOICE[lang]["daughter_name"] in call.text, call.text
    call.say("Léa Tremblay")
    assert "Léa Tremblay" in call.text
    call.press("1")
    assert [name for name, _ in booked_for(signed_rt)] == ["Léa Tremblay"]

    # The second person, a new call: menu 1, tomorrow, the first slot, "for yourself", the name, yes.
    second = dial(to=to) if to else dial()
    second.press("1").press("2").press("1")
    whom = second.text
    assert ("Pour vous" in whom and "Pour Léa Tremblay" in whom) or (
        "For yourself" in whom and "For Léa" in whom
    )
    second.press("1")
    second.say("Julie Tremblay")
    assert "Julie Tremblay" in second.text
    second.press("1")
    assert sorted(name for name, _ in booked_for(signed_rt)) == ["Julie Tremblay", "Léa Tremblay"]
    seconds = spoken_seconds(second.bot_said, tag)
    print(f"\nspoken seconds of a call booking for a second person ({lang}), greeting to code: {seconds:.1f}")
    assert seconds < 120


# ---- SMS cost of a booking for a second person ---------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_booking_for_a_second_person_costs_one_or_two_segments_a_reply(phone, signed_rt, lang):
    w = WORDS[lang]
    clinic_id, to = CLINIC[lang]
    seed(signed_rt, ["Marie-Ève Bélanger-Côté"], clinic_id=clinic_id, lang=lang)
    mom = phone(to=to) if to else phone()
    replies = [mom(w["book_afternoon"]), mom("1"), mom("2"), mom("Léa-Rose Bélanger-Côté"), mom(w["yes"])]
    costs = [segments(r.text).segments for r in replies]
    print(f"\nSMS segments of a booking for a second person ({lang}): {costs} = {sum(costs)}")
    for reply in replies:
        print(f"  > {reply.sent}\n  < " + reply.text.replace("\n", " | "))
    assert all(1 <= c <= 2 for c in costs)
    assert sum(costs) <= 8
    assert [name for name, _ in booked_for(signed_rt)] == ["Léa-Rose Bélanger-Côté"]
    assert replies[-1].text.startswith("C'est réservé" if lang == "fr" else "Booked for Léa-Rose")  # a French
    # name typed by an English-speaking parent leaves the conversation in English


# ---- both databases --------------------------------------------------------------------------------------------------


@pytest.fixture
def rt(database_url, clock, tmp_path):
    runtime = signed_runtime(database_url, clock, tmp_path)
    yield runtime
    runtime.dispose()


@pytest.fixture
def texter(rt):
    from clinicline.app import create_app

    return Texter(create_app(runtime=rt).test_client(), TOKEN, MARIE, PARC, max_segments=2)


def at_ten(offer) -> str:
    """The digit of the 10:00 slot offered."""
    return next(line.split(")")[0] for line in offer.choices if line.endswith("à 10 h"))


def test_two_people_of_a_phone_may_be_booked_at_one_time_but_one_person_not_twice(rt, texter):
    seed(rt, ["Julie Tremblay", "Marc Tremblay"], [(0, THU, dt.time(10, 0))])
    assert "Pour qui" in texter(at_ten(texter("RDV jeudi 10 h"))).text  # the other practitioner's 10:00
    texter("Julie")
    refused = texter("oui")
    assert "Julie Tremblay a déjà un rendez-vous" in refused.text, refused.text
    assert len(booked_for(rt)) == 1
    assert held(rt) == 0
    texter(at_ten(texter("RDV jeudi 10 h")))
    texter("Marc")
    texter("oui")
    ten = dt.datetime.combine(THU, dt.time(10, 0))
    assert sorted(booked_for(rt)) == [("Julie Tremblay", ten), ("Marc Tremblay", ten)]


def test_cancelling_marcs_appointment_leaves_julies_on_both_databases(rt, texter):
    seed(rt, ["Julie Tremblay", "Marc Tremblay"], [(0, THU, dt.time(10, 0)), (1, THU, dt.time(10, 15))])
    texter("ANNULER")
    assert "Marc" in texter("2").text
    texter("oui")
    assert booked_for(rt) == [("Julie Tremblay", dt.datetime.combine(THU, dt.time(10, 0)))]


def test_on_the_phone_the_someone_else_key_skips_8_which_slows_the_voice(dial, signed_rt):
    seed(signed_rt, EIGHT[:7])
    call = dial()
    call.press("1").press("2").press("1")
    assert "Pour Luc Tremblay" not in call.text, call.text
    assert "Pour Anne Tremblay, appuyez sur 7" in call.text, call.text
    assert "Pour quelqu'un d'autre, appuyez sur 9" in call.text
    assert "appuyez sur 8" not in call.text
    call.press("9")
    assert "Quel est le nom de la personne" in call.text, call.text


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_on_the_phone_cancelling_marcs_appointment_names_him_and_leaves_julies(dial, signed_rt, lang):
    clinic_id, to = CLINIC[lang]
    seed(
        signed_rt,
        ["Julie Tremblay", "Marc Tremblay"],
        [(0, THU, dt.time(10, 0)), (1, FRI, dt.time(10, 0))],
        clinic_id=clinic_id,
        lang=lang,
    )
    call = dial(to=to) if to else dial()
    call.press("3")
    listed = call.text
    assert listed.index("Julie") < listed.index("Marc"), listed
    call.press("2")
    assert "Marc" in call.text, call.text
    assert "Julie" not in call.text, call.text
    call.press("1")  # cancel it
    assert "Marc" in call.text, call.text  # "annuler le rendez-vous de Marc, vendredi…?"
    call.press("1")
    assert "Marc" in call.text
    assert booked_for(signed_rt) == [("Julie Tremblay", dt.datetime.combine(THU, dt.time(10, 0)))]


@pytest.mark.parametrize(
    ("lang", "sentence", "asked"),
    [
        ("fr", "annuler le RDV de mon fils", "Annuler le RDV de Marc"),
        ("en", "cancel my son's appt", "Cancel Marc's"),
    ],
)
def test_cancel_my_sons_appointment_finds_the_son_booked_for_before(phone, signed_rt, lang, sentence, asked):
    clinic_id, to = CLINIC[lang]
    seed(
        signed_rt,
        ["Julie Tremblay", "Marc Tremblay"],
        [(0, THU, dt.time(10, 0)), (1, FRI, dt.time(10, 0))],
        clinic_id=clinic_id,
        lang=lang,
    )
    with signed_rt.session_factory.begin() as session:
        session.scalar(select(Person).where(Person.first_name == "Marc")).relation = "son"
    mom = phone(to=to) if to else phone()
    sure = mom(sentence)
    assert sure.text.startswith(asked), sure.text
    mom(WORDS[lang]["yes"])
    assert booked_for(signed_rt) == [("Julie Tremblay", dt.datetime.combine(THU, dt.time(10, 0)))]
