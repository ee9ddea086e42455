"""Cancelling or changing a named person's appointment: the name is found as booking for someone finds it.

A name that is one of the phone's people with an upcoming appointment acts on theirs; a name said that
matches nobody with one is said plainly ("Je ne trouve pas de RDV au nom de Marc.") and what is offered
next names whose appointment it is, so another person's is never taken for it silently. The clock starts on
Monday 7 December 2026 at 09:00; every SMS reply fits 2 segments (the `phone` fixture checks).
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.dialog.test_households import booked_for, seed

THU, FRI = dt.date(2026, 12, 10), dt.date(2026, 12, 11)
TEN = dt.time(10, 0)
NONE_FR, NONE_EN = "Je ne trouve pas de RDV au nom de", "No appt found under the name"


@pytest.mark.parametrize(
    ("ask", "named"),
    [
        ("annuler le RDV de Emma", "Emma"),
        ("annuler le rdv de léa", "Léa"),
        ("cancel emmas appointment", "Emma"),
        ("cancel Emma's appointment", "Emma"),
        ("cancel Emma\u2019s appointment", "Emma"),
        ("Please cancel the appointment for lea", "Léa"),
    ],
)
def test_the_person_named_is_the_one_whose_appointment_is_cancelled(phone, signed_rt, ask, named):
    seed(
        signed_rt,
        ["Julie Tremblay", "Emma Tremblay", "Léa Tremblay"],
        [(0, THU, TEN), (1, FRI, TEN), (2, FRI, dt.time(11, 0))],
    )
    mom = phone()
    sure = mom(ask)
    assert not sure.choices, sure.text
    assert named in sure.text, sure.text
    assert NONE_FR not in sure.text, sure.text
    assert NONE_EN not in sure.text, sure.text
    mom("oui" if "annuler" in ask else "yes")
    assert named not in " ".join(name for name, _ in booked_for(signed_rt))
    assert len(booked_for(signed_rt)) == 2


@pytest.mark.parametrize(
    ("ask", "none_for"),
    [
        ("annuler le RDV de Marc", f"{NONE_FR} Marc."),
        ("annuler le rdv de marc svp", f"{NONE_FR} Marc."),
        ("changer le rendez-vous de Marc", f"{NONE_FR} Marc."),
        ("cancel emmas appointment", f"{NONE_EN} Emma."),
        ("cancel Emma's appointment", f"{NONE_EN} Emma."),
        ("cancel Emma\u2019s appt", f"{NONE_EN} Emma."),
    ],
)
def test_a_name_that_matches_nobody_is_said_and_the_list_names_each(phone, signed_rt, ask, none_for):
    seed(signed_rt, ["Julie Tremblay", "Léa Tremblay"], [(0, THU, TEN), (1, FRI, TEN)])
    mom = phone()
    which = mom(ask)
    assert which.text.startswith(none_for), which.text
    assert len(which.choices) == 2, which.text
    assert "Julie" in which.choices[0], which.text
    assert "Léa" in which.choices[1], which.text
    assert len(booked_for(signed_rt)) == 2


@pytest.mark.parametrize(
    ("ask", "none_for", "no"),
    [
        ("annuler le RDV de Marc", f"{NONE_FR} Marc.", "non"),
        ("annuler le rdv d'Émilie", "Je ne trouve pas de RDV au nom d'Émilie.", "non"),
        ("cancel Emma's appointment", f"{NONE_EN} Emma.", "no"),
        ("cancel emmas appt", f"{NONE_EN} Emma.", "no"),
    ],
)
def test_on_a_phone_of_one_person_the_offer_after_another_name_says_whose_it_is(
    phone, signed_rt, ask, none_for, no
):
    seed(signed_rt, ["Julie Tremblay"], [(0, THU, TEN)])
    mom = phone()
    sure = mom(ask)
    assert sure.text.startswith(none_for), sure.text
    assert "Julie" in sure.text, sure.text  # never "your appointment" after another name was said
    mom(no)
    assert booked_for(signed_rt) == [("Julie Tremblay", dt.datetime.combine(THU, TEN))]


@pytest.mark.parametrize(
    "ask",
    [
        "annuler mon rdv de jeudi",
        "Annuler mon RDV de suivi",
        "annuler le rdv de demain matin",
        "cancel this appointment",
        "cancel thursdays appointment",
        "cancel tomorrow's appt",
    ],
)
def test_words_that_are_no_name_are_not_read_as_someone_elses(phone, signed_rt, ask):
    seed(signed_rt, ["Julie Tremblay"], [(0, THU, TEN)])
    mom = phone()
    sure = mom(ask)
    assert NONE_FR not in sure.text, sure.text
    assert NONE_EN not in sure.text, sure.text


@pytest.mark.parametrize(
    ("said", "lang"),
    [("annuler le rendez-vous de Marc", "fr"), ("cancel Emma's appointment", "en")],
)
def test_on_the_phone_a_name_that_matches_nobody_is_said_first(patient_factory, runtime, said, lang):
    seed(runtime, ["Julie Tremblay", "Léa Tremblay"], [(0, THU, TEN), (1, FRI, TEN)], lang=lang)
    caller = patient_factory(channel="voice")
    caller.call()
    caller.send(said)
    assert caller.keys[0] == "no_appointment_named", caller.keys
    assert caller.value("no_appointment_named", "name") in ("Marc", "Emma")
    assert caller.state.question == "appt_pick"
    caller.press("2")
    assert caller.keys[-1] == "confirm_cancel_named", caller.keys
    assert caller.value("confirm_cancel_named", "name") == "Léa"


@pytest.mark.parametrize(
    ("answer", "none_for"), [("celui de Marc", f"{NONE_FR} Marc."), ("celui à Zoé", f"{NONE_FR} Zoé.")]
)
def test_at_the_list_a_name_that_matches_nobody_is_said_and_the_list_asked_again(
    phone, signed_rt, answer, none_for
):
    seed(signed_rt, ["Julie Tremblay", "Léa Tremblay"], [(0, THU, TEN), (1, FRI, TEN)])
    mom = phone()
    mom("ANNULER")
    again = mom(answer)
    assert again.text.startswith(none_for), again.text
    assert len(again.choices) == 2, again.text
    sure = mom("celui de Léa")
    assert "Léa" in sure.text, sure.text
    assert not sure.choices, sure.text
    assert len(booked_for(signed_rt)) == 2


@pytest.mark.parametrize(
    ("ask", "yes"),
    [("annule celui de léa vendredi", "oui"), ("actually cancel Léa's appointment on friday", "yes")],
)
def test_a_request_for_a_person_while_for_whom_is_asked_is_that_request(phone, signed_rt, ask, yes):
    seed(signed_rt, ["Julie Tremblay", "Léa Tremblay"], [(1, FRI, TEN)])
    mom = phone()
    mom("rdv jeudi")
    assert "Pour qui" in mom("1").text
    sure = mom(ask)  # Léa is named for the cancellation, not as the person this booking is for
    assert "Léa" in sure.text, sure.text
    mom(yes)
    assert booked_for(signed_rt) == []


@pytest.mark.parametrize(
    ("ask", "day"),
    [
        ("peux-tu mettre le rdv de Léa à mardi prochain", dt.date(2026, 12, 15)),
        ("pouvez-vous bouger le rendez-vous de Léa à mardi", dt.date(2026, 12, 8)),
    ],
)
def test_putting_a_persons_appointment_on_another_day_changes_it(phone, signed_rt, ask, day):
    seed(signed_rt, ["Julie Tremblay", "Léa Tremblay"], [(1, FRI, TEN)])
    mom = phone()
    offer = mom(ask)
    assert "Changement du RDV de Léa" in offer.text, offer.text
    mom("1")
    mom("oui")
    [(name, start)] = booked_for(signed_rt)
    assert name == "Léa Tremblay"
    assert start.date() == day
