"""Times and dates said the long way: quarters, minutes to noon, "trois quarts", ordinal days and
abbreviated months."""

import datetime as dt

import pytest

from core.language import understand

NOW = dt.datetime(2026, 12, 2, 9, 0)
D = dt.date
T = dt.time


def read(text: str, lang: str | None = None):
    return understand(text, lang, NOW)


@pytest.mark.parametrize(
    ("text", "lang", "time"),
    [
        ("a quarter past 3pm", "en", T(15, 15)),
        ("quarter to 5 pm", "en", T(16, 45)),
        ("15 to noon", "en", T(11, 45)),
        ("twenty past noon", "en", T(12, 20)),
        ("10 to midnight", "en", T(23, 50)),
        ("half past 2 in the afternoon", "en", T(14, 30)),
        ("onze heures trois quarts", "fr", T(11, 45)),
        ("dix heures trois quarts", "fr", T(10, 45)),
        ("midi moins cinq", "fr", T(11, 55)),
        ("midi et quart", "fr", T(12, 15)),
        ("minuit moins le quart", "fr", T(23, 45)),
        ("onze heures moins le quart", "fr", T(10, 45)),
        ("trois heures et quart", "fr", T(15, 15)),
    ],
)
def test_clock_times_said_the_long_way(text, lang, time):
    assert read(text, lang).time == time


def test_a_quarter_of_an_hour_is_a_delay():
    result = read("dans un quart d'heure", "fr")
    assert (result.date, result.time) == (D(2026, 12, 2), T(9, 15))


@pytest.mark.parametrize(
    ("text", "lang", "date"),
    [
        ("le 3e jour d'octobre", "fr", D(2027, 10, 3)),
        ("le troisième jour de novembre", "fr", D(2027, 11, 3)),
        ("the 3rd of october", "en", D(2027, 10, 3)),
        ("the 3rd day of january", "en", D(2027, 1, 3)),
        ("the fifth of december", "en", D(2026, 12, 5)),
        ("3 oct.", "fr", D(2027, 10, 3)),
        ("le 4 déc.", "fr", D(2026, 12, 4)),
        ("déc. 14", "fr", D(2026, 12, 14)),
        ("le 3 sept", "fr", D(2027, 9, 3)),
        ("sept 3", "en", D(2027, 9, 3)),
        ("12 janv.", "fr", D(2027, 1, 12)),
        ("le 3 fév.", "fr", D(2027, 2, 3)),
        ("nov. 12th", "en", D(2027, 11, 12)),
    ],
)
def test_ordinal_days_and_abbreviated_months(text, lang, date):
    assert read(text, lang).date == date
