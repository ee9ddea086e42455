"""Limits are limits: day limits (inclusive) in not_before / not_after, time limits in after / before; the
date read alongside always lies inside the day limits."""

import datetime as dt

import pytest

from core.language import understand

NOW = dt.datetime(2026, 12, 2, 9, 0)  # a Wednesday morning
D = dt.date
T = dt.time


def read(text: str, lang: str | None = None):
    return understand(text, lang, NOW)


@pytest.mark.parametrize(
    ("text", "lang", "first"),
    [
        ("pas avant le 15", "fr", D(2026, 12, 15)),
        ("pas avant jeudi prochain svp", "fr", D(2026, 12, 10)),
        ("not before the 15th", "en", D(2026, 12, 15)),
        ("à partir de mardi", "fr", D(2026, 12, 8)),
        ("dès lundi", "fr", D(2026, 12, 7)),
        ("starting monday", "en", D(2026, 12, 7)),
        ("no earlier than the 9th", "en", D(2026, 12, 9)),
        ("après jeudi", "fr", D(2026, 12, 4)),
        ("anytime after the 10th", "en", D(2026, 12, 11)),
        ("après la semaine prochaine", "fr", D(2026, 12, 14)),
        ("sometime next week, not before wednesday", "en", D(2026, 12, 9)),
    ],
)
def test_lower_day_limits_give_the_first_day_allowed(text, lang, first):
    result = read(text, lang)
    assert result.not_before == first
    assert result.date == first  # the date read is inside the limit: never a day before it
    assert result.intent == "book"


@pytest.mark.parametrize(
    ("text", "lang", "last"),
    [
        ("au plus tard vendredi", "fr", D(2026, 12, 4)),
        ("vendredi au plus tard", "fr", D(2026, 12, 4)),
        ("by friday at the latest", "en", D(2026, 12, 4)),
        ("no later than the 20th", "en", D(2026, 12, 20)),
        ("d'ici lundi", "fr", D(2026, 12, 7)),
        ("avant le 20", "fr", D(2026, 12, 19)),
        ("before the 20th please", "en", D(2026, 12, 19)),
        ("jusqu'à jeudi", "fr", D(2026, 12, 3)),
    ],
)
def test_upper_day_limits_give_the_last_day_allowed(text, lang, last):
    result = read(text, lang)
    assert result.not_after == last
    assert result.not_before is None
    assert result.date is None or result.date <= last


@pytest.mark.parametrize(
    ("text", "lang", "first", "last"),
    [
        ("Can I get something between monday and wednesday?", "en", D(2026, 12, 7), D(2026, 12, 9)),
        ("n'importe quand entre mardi et jeudi", "fr", D(2026, 12, 8), D(2026, 12, 10)),
        ("from the 10th to the 14th", "en", D(2026, 12, 10), D(2026, 12, 14)),
        ("après jeudi mais avant mercredi prochain", "fr", D(2026, 12, 4), D(2026, 12, 8)),
        ("du 10 au 15 décembre", "fr", D(2026, 12, 10), D(2026, 12, 15)),
        ("du lundi au mercredi", "fr", D(2026, 12, 7), D(2026, 12, 9)),
    ],
)
def test_two_limits_make_a_window(text, lang, first, last):
    result = read(text, lang)
    assert (result.not_before, result.not_after) == (first, last)


@pytest.mark.parametrize(
    ("text", "lang", "after", "before"),
    [
        ("avant midi", "fr", None, T(12, 0)),
        ("je peux seulement avant 10h", "fr", None, T(10, 0)),
        ("after 3pm", "en", T(15, 0), None),
        ("jeudi après 14h", "fr", T(14, 0), None),
        ("anything before 11 am?", "en", None, T(11, 0)),
    ],
)
def test_time_limits_are_after_and_before(text, lang, after, before):
    result = read(text, lang)
    assert (result.after, result.before) == (after, before)
    assert result.not_before is None
    assert result.not_after is None


@pytest.mark.parametrize(
    ("text", "lang", "date"),
    [
        ("the day after tomorrow", "en", D(2026, 12, 4)),
        ("après-demain", "fr", D(2026, 12, 4)),
        ("a week from friday", "en", D(2026, 12, 11)),
        ("the day before the 20th", "en", D(2026, 12, 19)),
        ("après-midi", "fr", D(2026, 12, 2)),
    ],
)
def test_dates_counted_from_other_dates_are_not_limits(text, lang, date):
    result = read(text, lang)
    assert (result.not_before, result.not_after) == (None, None)
    assert result.date in (date, None)


def test_limits_are_in_the_json_form():
    data = read("pas avant le 15 et au plus tard le 20", "fr").as_dict()
    assert (data["not_before"], data["not_after"]) == ("2026-12-15", "2026-12-20")


@pytest.mark.parametrize(
    ("text", "lang", "first"),
    [
        ("je suis libre à partir du 10", "fr", D(2026, 12, 10)),
        ("au plus tôt mardi", "fr", D(2026, 12, 8)),
        ("mardi au plus tôt", "fr", D(2026, 12, 8)),
        ("no sooner than tuesday", "en", D(2026, 12, 8)),
        ("plus tard que jeudi", "fr", D(2026, 12, 4)),
    ],
)
def test_more_ways_to_say_the_first_day_allowed(text, lang, first):
    result = read(text, lang)
    assert (result.intent, result.not_before, result.date, result.asap) == ("book", first, first, False)


def test_any_day_before_a_holiday_is_a_limit_and_the_day_before_it_a_date():
    assert read("any day before christmas", "en").not_after == D(2026, 12, 24)
    result = read("the day before christmas", "en")
    assert (result.date, result.not_after) == (D(2026, 12, 24), None)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("anything but monday", "en"),
        ("n'importe quel jour sauf lundi", "fr"),
        ("monday doesn't work", "en"),
        ("lundi me convient pas", "fr"),
    ],
)
def test_a_day_excluded_or_refused_is_not_the_wish(text, lang):
    assert read(text, lang).date != D(2026, 12, 7)


def test_the_day_said_after_a_refused_one_is_the_wish():
    result = read("finalement mardi me convient pas, est-ce qu'on peut faire jeudi?", "fr")
    assert result.date == D(2026, 12, 3)
