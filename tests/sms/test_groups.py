"""A family at the walk-in by text, as signed Twilio requests, in French and in English: consecutive
numbers, one per person, what is left offered when the queue is nearly full, the group's place, leaving one
or all, and "inscris-moi aussi" from a phone already in line. Every reply fits 2 SMS segments.

The clock starts on Monday 7 December 2026 at 09:00 in Montréal; Clinique du Parc has 30 walk-in places.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.models import Person, TicketStatus
from tests.support.apps import MARIE
from tests.support.arrange import fill_queue, patient, tickets

LANGS = ["fr", "en"]
FAMILY = {"fr": "Sans rdv pour moi et mes 2 enfants", "en": "walk-in for 3"}
SKIP = {"fr": "PASSER", "en": "SKIP"}
LEAVE = {"fr": "QUITTER", "en": "LEAVE"}
ALL = {"fr": "TOUS", "en": "ALL"}
YES = {"fr": "OUI", "en": "YES"}


def waiting(rt, phone=MARIE) -> list[int]:
    return [t.number for t in tickets(rt, phone) if t.status in (TicketStatus.WAITING, TicketStatus.NOTIFIED)]


def names_of(rt, phone=MARIE) -> dict[int, str | None]:
    """Ticket number -> the name of the person it belongs to."""
    with rt.session_factory() as s:
        out = {}
        for t in tickets(rt, phone):
            out[t.number] = s.get(Person, t.person_id).name
        return out


@pytest.mark.parametrize("lang", LANGS)
def test_a_family_of_three_gets_three_consecutive_numbers_and_may_name_the_others(phone, signed_rt, lang):
    fill_queue(signed_rt, 2)
    marie = phone()
    joined = marie(FAMILY[lang])
    assert waiting(signed_rt) == [3, 4, 5]
    assert ("3, 4 et 5" if lang == "fr" else "3, 4 and 5") in joined.text, joined.text
    assert ("2 autres personnes" if lang == "fr" else "2 others") in joined.text, joined.text
    bad = marie("😀😀, 12345")
    assert waiting(signed_rt) == [3, 4, 5], bad.text
    assert "virgule" in bad.text or "commas" in bad.text, bad.text
    long = marie("a" * 500)
    assert "virgule" in long.text or "commas" in long.text, long.text
    saved = marie("Léa, Marc")
    assert "Léa, Marc" in saved.text, saved.text
    first = patient(signed_rt, MARIE)
    assert first is not None
    assert list(names_of(signed_rt).values())[1:] == ["Léa", "Marc"]
    with signed_rt.session_factory() as s:
        assert len(s.scalars(select(Person).where(Person.patient_id == first.id)).all()) == 3


@pytest.mark.parametrize("lang", LANGS)
def test_a_family_coming_back_uses_the_people_it_named_before(phone, signed_rt, clock, lang):
    marie = phone()
    marie(FAMILY[lang])
    marie("Léa, Marc")
    marie(LEAVE[lang])
    marie(ALL[lang])
    assert waiting(signed_rt) == []
    again = marie(FAMILY[lang])
    assert waiting(signed_rt) == [4, 5, 6]
    assert "Léa" not in again.text or "?" not in again.text  # no names asked: they are known
    assert [names_of(signed_rt)[n] for n in (5, 6)] == ["Léa", "Marc"]


@pytest.mark.parametrize("lang", LANGS)
def test_a_group_larger_than_the_places_left_is_offered_what_is_left(phone, signed_rt, lang):
    fill_queue(signed_rt, 28)
    marie = phone()
    offer = marie(FAMILY[lang])
    assert waiting(signed_rt) == []  # all or nothing: no number until the family says yes
    assert ("Il reste 2 places" if lang == "fr" else "2 walk-in places are left") in offer.text, offer.text
    marie(YES[lang])
    assert waiting(signed_rt) == [29, 30]
    full = phone(from_="+15145557777")({"fr": "SANS RDV", "en": "walk-in"}[lang])
    assert "compl" in full.text or "full" in full.text, full.text


def test_declining_what_is_left_registers_no_one(phone, signed_rt):
    fill_queue(signed_rt, 29)
    marie = phone()
    offer = marie("Sans rdv pour 2")
    assert "Il reste 1 place" in offer.text, offer.text
    assert "personne n'a" in marie("NON").text
    assert waiting(signed_rt) == []


@pytest.mark.parametrize("lang", LANGS)
def test_position_answers_for_the_group(phone, signed_rt, lang):
    fill_queue(signed_rt, 3)
    marie = phone()
    marie({"fr": "sans rdv pour 2", "en": "walk-in for 2"}[lang])
    marie(SKIP[lang])
    where = marie({"fr": "POSITION", "en": "where am I"}[lang])
    assert ("Vos numéros 4 et 5" if lang == "fr" else "Your numbers 4 and 5") in where.text, where.text
    assert ("3 personnes avant vous" if lang == "fr" else "3 people ahead") in where.text, where.text


@pytest.mark.parametrize("lang", LANGS)
def test_leaving_asks_who_and_lets_one_leave_or_all(phone, signed_rt, lang):
    marie = phone()
    marie(FAMILY[lang])
    marie("Léa, Marc")
    which = marie(LEAVE[lang])
    assert "Léa" in which.text, which.text
    assert "Marc" in which.text, which.text
    left = marie("Marc")
    assert "Marc" in left.text, left.text
    assert waiting(signed_rt) == [1, 2]
    which = marie(LEAVE[lang])
    left = marie("2")
    assert waiting(signed_rt) == [1]
    last = marie(LEAVE[lang])  # one number left: it goes without a question
    assert waiting(signed_rt) == [], last.text


def test_leaving_by_name_in_the_message_and_all_at_once(phone, signed_rt):
    marie = phone()
    marie("Sans rdv pour moi et mes 2 enfants")
    marie("Léa, Marc")
    marie("QUITTER Léa")
    assert waiting(signed_rt) == [1, 3]
    done = marie("QUITTER TOUS")
    assert waiting(signed_rt) == [], done.text
    assert "2 numéros" in done.text, done.text


@pytest.mark.parametrize("lang", LANGS)
def test_add_me_too_adds_the_writer_beside_the_child_already_in_line(phone, signed_rt, lang):
    fill_queue(signed_rt, 1)
    marie = phone()
    first = marie({"fr": "sans rdv pour ma fille Léa", "en": "walk-in for my daughter Lea"}[lang])
    assert waiting(signed_rt) == [2], first.text
    fill_queue(signed_rt, ["+15145561000"])  # not one of the first queue's phones
    also = marie({"fr": "inscris-moi aussi", "en": "add me too"}[lang])
    assert waiting(signed_rt) == [2, 4], also.text
    assert "4" in also.text, also.text
    assert "déjà" not in also.text, also.text
    assert "Already" not in also.text, also.text
    owners = names_of(signed_rt)
    assert owners[2] in ("Léa", "Lea")
    assert owners[4] is None  # the writer: the phone's first person


def test_a_group_of_more_than_eight_is_asked_again(phone, signed_rt):
    marie = phone()
    asked = marie("sans rdv pour 12")
    assert "8" in asked.text
    assert waiting(signed_rt) == []
    marie("3")
    assert waiting(signed_rt) == [1, 2, 3]


def test_several_children_unsaid_are_counted_first(phone, signed_rt):
    marie = phone()
    asked = marie("sans rdv pour moi et mes enfants")
    assert "Combien" in asked.text
    assert waiting(signed_rt) == []
    marie("4")
    assert waiting(signed_rt) == [1, 2, 3, 4]


def test_a_name_given_for_a_new_number_that_the_phone_knows_gives_the_ticket_to_that_person(phone, signed_rt):
    marie = phone()
    marie("Sans rdv pour moi et mes 2 enfants")
    marie("Léa, Marc")
    marie("QUITTER TOUS")
    marie("sans rdv pour 2")  # two of three known people: which one comes is asked with the names
    saved = marie("Marc")
    assert "Marc" in saved.text, saved.text
    with signed_rt.session_factory() as s:
        first = patient(signed_rt, MARIE)
        known = s.scalars(select(Person).where(Person.patient_id == first.id).order_by(Person.id)).all()
        assert [p.name for p in known] == [None, "Léa", "Marc"]  # no one added twice
    assert [names_of(signed_rt)[n] for n in waiting(signed_rt)] == [None, "Marc"]
