"""Running late in Québec French and English: `late` and `late_minutes` of the understanding."""

from __future__ import annotations

import datetime as dt

import pytest

from core.language import INTENTS, understand
from core.language.late import minutes_answer

NOW = dt.datetime(2026, 12, 7, 9, 0)  # Monday morning, clinic time

LATE_FR = [
    ("je serai en retard", None),
    ("je serai en retard de 10 min", 10),
    ("Je serai en retard (de 10 min)", 10),
    ("j'ai 15 minutes de retard", 15),
    ("chu en retard", None),
    ("chui en retard de 10", 10),
    ("en retard de 1/2 heure", 30),
    ("je vais être en retard d'une demi-heure", 30),
    ("jvais etre en retard de 5-10 min", 10),
    ("je vais avoir 10 ou 15 minutes de retard", 15),
    ("je serai en retard de dix minutes", 10),
    ("je vais arriver environ vingt minutes en retard", 20),
    ("j'aurai un quart d'heure de retard", 15),
    ("j'aurai environ une heure de retard", 60),
    ("je serai en retard d'une heure et demie", 90),
    ("j'ai une dizaine de minutes de retard", 10),
    ("désolé chu en retrad, j'arrive dans 20 minutes", 20),
    ("en retar de 10 min", 10),
    ("je suis en reatrd", None),
    ("je suis retardée par la neige", None),
    ("pogné dans le trafic, 10 min de retard", 10),
    ("Bonjour! Petit retard de 5 min, désolée", 5),
    ("je serai en retard pour mon rdv de 14 h", None),  # 14 h is the appointment, not the lateness
    ("retard", None),
    ("EN RETARD 10MIN", 10),
]
LATE_EN = [
    ("running late", None),
    ("I'll be 10 min late", 10),
    ("10 min late", 10),
    ("I'm running about 15 minutes late", 15),
    ("running 5 mins late sorry", 5),
    ("I'll be late by 20 minutes", 20),
    ("gonna be half an hour late", 30),
    ("I'll be an hour late", 60),
    ("im late sorry", None),
    ("I'm late", None),
    ("runnin late!!", None),
    ("stuck in traffic, there in ten minutes", 10),
    ("I'm running a bit behind, maybe 10-15 min", 15),
    ("sorry, I'll be a few minutes late", None),
    ("I will be twenty minutes late", 20),
]
NOT_LATE = [
    ("fr", "je ne serai pas en retard"),
    ("fr", "le médecin est en retard?"),
    ("fr", "est-ce que la clinique a du retard aujourd'hui"),
    ("fr", "je veux retarder mon rdv"),
    ("fr", "est-ce trop tard pour annuler"),
    ("fr", "plus tard cette semaine"),
    ("fr", "RDV demain 10 h"),
    ("en", "I won't be late"),
    ("en", "is the doctor running late?"),
    ("en", "are you running late today?"),
    ("en", "do you have a late afternoon slot?"),
    ("en", "can it be late afternoon"),
    ("en", "I'd like a late appointment on Friday"),
    ("en", "is it too late to cancel"),
    ("en", "anything later today?"),
]


@pytest.mark.parametrize(("text", "minutes"), LATE_FR)
def test_french_words_of_running_late_are_read_with_their_minutes(text, minutes):
    u = understand(text, "fr", NOW)
    assert (u.late, u.late_minutes) == (True, minutes)
    assert u.lang == "fr"


@pytest.mark.parametrize(("text", "minutes"), LATE_EN)
def test_english_words_of_running_late_are_read_with_their_minutes(text, minutes):
    u = understand(text, "fr", NOW)  # a French clinic: the words still say English
    assert (u.late, u.late_minutes) == (True, minutes)
    assert u.lang == "en"


@pytest.mark.parametrize(("lang", "text"), NOT_LATE)
def test_a_refusal_someone_else_late_or_a_late_time_is_not_running_late(lang, text):
    u = understand(text, lang, NOW)
    assert (u.late, u.late_minutes) == (False, None)


def test_the_intent_list_is_unchanged_and_late_is_a_field():
    documented = "book walkin position cancel reschedule list help person yes no choice language stop start"
    assert set((documented + " emergency other").split()) <= set(INTENTS)  # DESIGN §3: never renamed
    assert "late" not in INTENTS
    result = understand("je serai en retard de 10 min", "fr", NOW).as_dict()
    assert (result["late"], result["late_minutes"]) == (True, 10)
    assert result["intent"] in INTENTS


def test_a_request_keeps_its_intent_next_to_the_lateness():
    u = understand("je vais être en retard, annulez mon rdv", "fr", NOW)
    assert u.intent == "cancel"
    assert u.late


def test_safety_words_come_before_lateness():
    u = understand("je serai en retard, j'ai une douleur à la poitrine", "fr", NOW)
    assert u.intent == "emergency"


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("10", 10),
        ("dix", 10),
        ("15 min", 15),
        ("environ 20", 20),
        ("une demi-heure", 30),
        ("half an hour", 30),
        ("an hour", 60),
        ("vingt minutes", 20),
        ("bof", None),
        ("0", None),
        ("500", None),
    ],
)
def test_the_answer_to_how_many_minutes(text, minutes):
    assert minutes_answer(text.lower(), "fr") == minutes
