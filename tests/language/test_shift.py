"""A change counted from the appointment it moves: "une heure plus tard", "décaler de 30 min", "plus tôt"."""

import datetime as dt

import pytest

from core.language import understand

NOW = dt.datetime(2026, 12, 7, 9, 0)


@pytest.mark.parametrize(
    ("text", "shift"),
    [
        ("peux-tu le décaler d'une heure", ("later", 60)),
        ("pouvez-vous décaler mon rendez-vous de 15 minutes", ("later", 15)),
        ("reporter mon rdv de 30 minutes", ("later", 30)),
        ("avancer mon rdv d'une demi-heure", ("earlier", 30)),
        ("can I push it an hour later", ("later", 60)),
        ("push my appt back 2 hours", ("later", 120)),
        ("move it 1h30 later", ("later", 90)),
        ("can it be 30 min earlier", ("earlier", 30)),
        ("peux-tu le mettre plus tard", ("later", None)),
        ("je voudrais le mettre plus tôt", ("earlier", None)),
    ],
)
def test_a_move_is_counted_from_the_appointment(text, shift):
    heard = understand(text, now=NOW)
    assert heard.shift == shift
    assert heard.time is None  # "d'une heure" is no 1 o'clock


@pytest.mark.parametrize(
    "text", ["rdv demain 14h", "dans une heure", "je serai en retard de 10 min", "move it to friday 2pm"]
)
def test_times_and_delays_are_no_move(text):
    assert understand(text, now=NOW).shift is None
