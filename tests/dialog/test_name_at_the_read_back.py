"""A name said at the booking's read-back ("Au nom de Marc: … Je confirme?") changes whom the booking is for
and reads the booking back again: it never books without a yes, and what is booked is what was read back.

The phone's people are found by first name alone too ("non, Léa"); someone new takes a first and last name
(by SMS). A yes that names another person ("oui, pour Léa Roy") is that person's read-back, not a yes to
the one read before. The clock starts on Monday 7 December 2026 at 09:00.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.dialog.test_households import THU, booked_for, held, seed
from tests.support.apps import MARIE, WESTMOUNT
from tests.support.households import names_of

FOR_MARC = {"fr": "RDV pour Marc jeudi matin", "en": "appointment for Marc thursday morning"}
YES = {"fr": "oui", "en": "yes"}


def _to_read_back(rt, phone, people: list[str], lang: str):
    seed(rt, people, clinic_id="parc" if lang == "fr" else "westmount", lang=lang)
    mom = phone() if lang == "fr" else phone(to=WESTMOUNT)
    mom(FOR_MARC[lang])
    read_back = mom("1")
    assert "Marc" in read_back.text, read_back.text
    return mom


@pytest.mark.parametrize(
    ("lang", "people", "said", "now_for"),
    [
        ("fr", ["Julie Tremblay"], "Marc Tremblay", "Marc Tremblay"),
        ("fr", ["Julie Tremblay"], "non c'est pour Léa Roy", "Léa Roy"),
        ("fr", ["Julie Tremblay"], "non, Léa Roy", "Léa Roy"),
        ("fr", ["Julie Tremblay"], "oui pour Léa Roy", "Léa Roy"),
        ("fr", ["Julie Tremblay", "Léa Roy"], "non c'est pour Léa Roy", "Léa Roy"),
        ("fr", ["Julie Tremblay", "Léa Roy"], "Léa Roy", "Léa Roy"),
        ("fr", ["Julie Tremblay", "Léa Roy"], "non, Léa", "Léa Roy"),
        ("fr", ["Julie Tremblay", "Léa Roy"], "oui, pour Léa", "Léa Roy"),
        ("en", ["Julie Tremblay"], "no, it's for Emma Roy", "Emma Roy"),
        ("en", ["Julie Tremblay"], "Emma Roy", "Emma Roy"),
        ("en", ["Julie Tremblay"], "yes for Emma Roy", "Emma Roy"),
        ("en", ["Julie Tremblay", "Emma Roy"], "no, Emma", "Emma Roy"),
    ],
)
def test_a_name_at_the_read_back_reads_back_again_then_books_that_person(
    phone, signed_rt, lang, people, said, now_for
):
    mom = _to_read_back(signed_rt, phone, people, lang)
    again = mom(said)
    assert now_for in again.text, again.text
    assert "Marc:" not in again.text, again.text  # the read-back is no longer "Au nom de Marc:"
    assert booked_for(signed_rt) == []  # never booked without a yes
    assert held(signed_rt) == 1  # the slot is still theirs
    mom(YES[lang])
    assert [name for name, _ in booked_for(signed_rt)] == [now_for]


@pytest.mark.parametrize("said", ["non trop tôt", "non merci", "non, un autre jour"])
def test_a_no_that_names_no_one_still_lets_the_slot_go(phone, signed_rt, said):
    mom = _to_read_back(signed_rt, phone, ["Julie Tremblay"], "fr")
    mom(said)
    assert held(signed_rt) == 0
    assert booked_for(signed_rt) == []


@pytest.mark.parametrize(
    ("said", "now_for"), [("non c'est pour Léa Roy", "Léa Roy"), ("non, Léa", "Léa Roy")]
)
def test_on_the_phone_a_name_at_the_read_back_reads_back_again(patient_factory, runtime, said, now_for):
    seed(runtime, ["Julie Tremblay", "Léa Roy"])
    caller = patient_factory(channel="voice")
    caller.call()
    caller.send("rendez-vous pour Marc jeudi matin")
    caller.press("1")
    assert caller.value("confirm_recap_named", "name") == "Marc"
    caller.send(said)
    assert caller.state.question == "book_confirm"
    assert caller.value("confirm_recap_named", "name") == now_for
    assert booked_for(runtime) == []
    caller.press("1")
    assert [name for name, _ in booked_for(runtime)] == [now_for]


def test_a_change_is_never_renamed_after_another_of_the_phones_people(phone, signed_rt):
    seed(signed_rt, ["Julie Tremblay", "Marc Tremblay"], [(1, THU, dt.time(10, 0))])
    mom = phone()
    slots = mom("changer le RDV de Marc")
    assert slots.choices, slots.text
    read_back = mom("1")
    assert "Marc Tremblay" in read_back.text, read_back.text
    again = mom("Julie Tremblay")  # Marc's appointment moves; it cannot become Julie's
    assert "Marc Tremblay" in again.text, again.text
    assert booked_for(signed_rt) == [("Marc Tremblay", dt.datetime.combine(THU, dt.time(10, 0)))]
    mom("oui")
    [(name, start)] = booked_for(signed_rt)
    assert name == "Marc Tremblay"
    assert start != dt.datetime.combine(THU, dt.time(10, 0))
    assert names_of(signed_rt, MARIE) == ["Julie Tremblay", "Marc Tremblay"]
