"""Whom a message is for and how many people: the readers behind "Pour qui?" and group walk-ins."""

from __future__ import annotations

import datetime as dt

import pytest

from core.language import understand
from core.language.household import party_size, whom, whose

NOW = dt.datetime(2026, 12, 1, 9, 0)


def _simple(text: str) -> list[tuple]:
    return [(w.me, w.relation, w.name, w.count) for w in whom(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("pour mon fils Marc", [(False, "son", "Marc", 1)]),
        ("c'est pour ma fille", [(False, "daughter", None, 1)]),
        ("cest pour ma fille svp", [(False, "daughter", None, 1)]),
        ("RDV pour ma mère demain matin", [(False, "mother", None, 1)]),
        ("rdv pour ma mere", [(False, "mother", None, 1)]),
        ("for my mother Rita", [(False, "mother", "Rita", 1)]),
        ("for my son, Liam Roy", [(False, "son", "Liam Roy", 1)]),
        ("Je voudrais un rdv pour ma blonde Julie", [(False, "spouse", "Julie", 1)]),
        ("un rendez-vous pour mon bébé", [(False, "child", None, 1)]),
        ("appointment for my dad next week", [(False, "father", None, 1)]),
        ("pour ma grand-mère", [(False, "grandparent", None, 1)]),
        ("pour moi", [(True, None, None, 1)]),
        ("c'est pour moi-même", [(True, None, None, 1)]),
        ("For Me please", [(True, None, None, 1)]),
        ("it's for myself", [(True, None, None, 1)]),
        ("pour moi et ma fille", [(True, None, None, 1), (False, "daughter", None, 1)]),
        ("moi et mes 2 enfants", [(True, None, None, 1), (False, "child", None, 2)]),
        ("my two kids and me", [(False, "child", None, 2), (True, None, None, 1)]),
        ("pour mes enfants", [(False, "child", None, None)]),
        ("RDV pour Léa", [(False, None, "Léa", 1)]),
        ("book for Rita Roy tomorrow", [(False, None, "Rita Roy", 1)]),
        ("pour Marc et moi", [(False, None, "Marc", 1), (True, None, None, 1)]),
        ("inscris-moi aussi", [(True, None, None, 1)]),
    ],
)
def test_whom_a_message_is_for(text, expected):
    assert _simple(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "RDV demain matin",
        "RDV POUR DEMAIN",
        "rdv pour lundi",
        "rdv pour Lundi",
        "anything tomorrow after 3?",
        "oui",
        "1",
    ],
)
def test_a_message_that_names_nobody_says_nothing_of_whom(text):
    assert whom(text) == ()


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("sans rdv pour 2", 2),
        ("Sans rendez-vous pour 3 personnes", 3),
        ("nous sommes 3", 3),
        ("on est 4", 4),
        ("we are three", 3),
        ("walk-in for 2", 2),
        ("walk-in for 3 people", 3),
        ("party of 2", 2),
        ("pour moi et ma fille", 2),
        ("moi et mes 2 enfants", 3),
        ("my two kids and me", 3),
        ("pour deux", 2),
    ],
)
def test_party_sizes(text, size):
    assert party_size(text) == size


@pytest.mark.parametrize(
    "text",
    ["rdv pour 2h", "pour le 2", "sans rdv", "pour moi", "pour mes enfants", "for 2 pm", "rdv pour 2:30"],
)
def test_no_party_size_when_none_is_said(text):
    assert party_size(text) is None


def test_a_count_of_people_is_not_read_as_a_time():
    heard = understand("sans rdv pour 2", "fr", NOW)
    assert (heard.intent, heard.party, heard.time) == ("walkin", 2, None)
    assert understand("rdv pour 2h", "fr", NOW).time == dt.time(14, 0)
    both = understand("nous sommes 3, demain matin", "fr", NOW)
    assert (both.party, both.date, both.part_of_day) == (3, dt.date(2026, 12, 2), "morning")


def test_understanding_carries_whom_as_json():
    data = understand("book for my mother Rita next tuesday", "en", NOW).as_dict()
    assert data["intent"] == "book"
    assert data["date"] == "2026-12-08"
    assert data["whom"] == [{"me": False, "relation": "mother", "name": "Rita", "count": 1}]
    assert data["party"] is None


# ---- whose appointment a request names -----------------------------------------------------------------------


def _whose(text: str) -> tuple | None:
    who = whose(text)
    return None if who is None else (who.relation, who.name)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("annuler le RDV de Marc", (None, "Marc")),
        ("annuler le rdv de marc", (None, "Marc")),
        ("ANNULER LE RDV DE MARC", (None, "Marc")),
        ("changer le rendez-vous de Marc Tremblay svp", (None, "Marc Tremblay")),
        ("annuler le rdv d'Émilie", (None, "Émilie")),
        ("celui de Léa", (None, "Léa")),
        ("celui à Marc", (None, "Marc")),
        ("annuler le rdv de ma fille Léa", ("daughter", "Léa")),
        ("annuler le rdv de maman", ("mother", None)),
        ("cancel emmas appointment", (None, "Emma")),
        ("cancel Emma's appointment", (None, "Emma")),
        ("cancel Emma\u2019s appointment", (None, "Emma")),
        ("Can you cancel Emma's appt?", (None, "Emma")),
        ("cancel James' appointment", (None, "James")),
        ("cancel Marc Tremblay's appointment", (None, "Marc Tremblay")),
        ("cancel the appointment for emma", (None, "Emma")),
        ("I need to cancel my daughters appointment", ("daughter", None)),
        ("cancel my son's appointment", ("son", None)),
    ],
)
def test_whose_appointment_a_request_names(text, expected):
    assert _whose(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "annuler mon rdv de jeudi",
        "Annuler mon RDV de suivi",
        "ANNULER MON RDV DE SUIVI",
        "annuler le rdv de demain matin",
        "annuler le rdv de 10h",
        "annuler mon rdv d'aujourd'hui",
        "annuler le rdv de l'après-midi",
        "Annuler le rdv de cet après-midi",
        "cancel this appointment",
        "cancel todays appointment",
        "cancel tomorrow's appt",
        "cancel thursdays appointment",
        "cancel the appointment for tomorrow",
        "cancel the doctors appointment",
        "cancel his appointment",
        "cancel my next appointment",
        "ANNULER",
        "cancel appt",
    ],
)
def test_a_request_that_names_no_one_has_no_whose(text):
    assert whose(text) is None


@pytest.mark.parametrize(
    ("text", "relation"),
    [
        ("can my husband and I both get appointments on tuesday", "spouse"),
        ("my son and I need appointments friday", "son"),
        ("an appointment for my daughter and I.", "daughter"),
        ("for my mom and myself", "mother"),
    ],
)
def test_someone_and_i_names_the_writer_too(text, relation):
    assert [(w.me, w.relation) for w in whom(text)] == [(False, relation), (True, None)]


def test_and_i_that_starts_a_new_clause_names_only_the_other():
    assert [(w.me, w.relation) for w in whom("book for my son and i need it tomorrow")] == [(False, "son")]


@pytest.mark.parametrize(
    ("text", "relation", "name"),
    [
        ("rdv pour ma mère, elle s'appelle Jeanne Lavoie, mardi vers 10h", "mother", "Jeanne Lavoie"),
        ("rdv pour mon fils, il s\u2019appelle Léo Roy", "son", "Léo Roy"),
        ("appointment for my mom, her name is Rita Roy", "mother", "Rita Roy"),
        ("rdv pour ma mère, elle est malade", "mother", None),
    ],
)
def test_the_name_said_in_a_clause_after_the_relation_is_theirs(text, relation, name):
    assert [(w.relation, w.name) for w in whom(text)] == [(relation, name)]


@pytest.mark.parametrize(
    ("text", "relation"),
    [
        ("need appt for my dauter monday pm", "daughter"),
        ("appt for my daugther", "daughter"),
        ("for my mothr", "mother"),
    ],
)
def test_a_misspelled_relation_is_still_that_relation(text, relation):
    assert [w.relation for w in whom(text)] == [relation]
