"""Relative months and weeks, weekdays and weekends counted within a month, spoken clock forms and bounds.

Resolved from Tuesday 1 December 2026, 09:00, unless a test says otherwise.
"""

import datetime as dt

import pytest

from core.language import understand

NOW = dt.datetime(2026, 12, 1, 9, 0)
D = dt.date
T = dt.time


@pytest.mark.parametrize(
    ("text", "lang", "date"),
    [
        ("à la fin du mois", "fr", D(2026, 12, 21)),
        ("fin du mois prochain svp", "fr", D(2027, 1, 21)),
        ("au début du mois prochain", "fr", D(2027, 1, 1)),
        ("toward the end of next month", "en", D(2027, 1, 21)),
        ("early next month would be good", "en", D(2027, 1, 1)),
        ("mid next month", "en", D(2027, 1, 11)),
    ],
)
def test_parts_of_this_or_next_month(text, lang, date):
    assert understand(text, lang, NOW).date == date


def test_the_beginning_of_the_month_said_late_in_it_is_next_months():
    assert understand("au début du mois", "fr", dt.datetime(2026, 12, 25, 9, 0)).date == D(2027, 1, 1)


@pytest.mark.parametrize(
    ("text", "lang", "date", "span"),
    [
        ("le mois prochain", "fr", D(2027, 1, 1), "month"),
        ("sometime next month", "en", D(2027, 1, 1), "month"),
        ("any day this month", "en", D(2026, 12, 1), "month"),
        ("ce mois-ci si possible", "fr", D(2026, 12, 1), "month"),
        ("l'année prochaine", "fr", D(2027, 1, 1), "year"),
        ("the week after next", "en", D(2026, 12, 14), "week"),
        ("the weekend after next", "en", D(2026, 12, 12), "weekend"),
        ("within the week", "en", D(2026, 12, 1), "week"),
        ("dans la semaine du 14", "fr", D(2026, 12, 14), "week"),
        ("the week of the 16th", "en", D(2026, 12, 14), "week"),
    ],
)
def test_whole_months_years_and_weeks_are_spans(text, lang, date, span):
    result = understand(text, lang, NOW)
    assert (result.date, result.span) == (date, span)


@pytest.mark.parametrize(
    ("text", "lang", "date"),
    [
        ("the last Friday of the month", "en", D(2026, 12, 25)),
        ("le deuxième mardi de ce mois", "fr", D(2026, 12, 8)),
        ("le dernier vendredi du mois", "fr", D(2026, 12, 25)),
        ("the first weekend of January", "en", D(2027, 1, 2)),
        ("le dernier week-end de janvier", "fr", D(2027, 1, 30)),
        ("the first weekend of next month", "en", D(2027, 1, 2)),
        ("the 3rd last day of January", "en", D(2027, 1, 29)),
        ("second to last day of the month", "en", D(2026, 12, 30)),
        ("l'avant-dernier jour du mois", "fr", D(2026, 12, 30)),
    ],
)
def test_weekdays_weekends_and_days_counted_within_a_month(text, lang, date):
    assert understand(text, lang, NOW).date == date


def test_a_weekday_of_this_month_already_past_is_next_months():
    assert understand("le premier vendredi du mois", "fr", dt.datetime(2026, 12, 20, 9, 0)).date == D(
        2027, 1, 1
    )


@pytest.mark.parametrize(
    ("text", "lang", "time"),
    [
        ("quarter to noon", "en", T(11, 45)),
        ("a quarter past noon", "en", T(12, 15)),
        ("half past midnight", "en", T(0, 30)),
        ("à une heure moins dix", "fr", T(12, 50)),
        ("five thirty", "en", T(17, 30)),
        ("eleven forty-five", "en", T(11, 45)),
        ("ten to four", "en", T(15, 50)),
        ("at five to one", "en", T(12, 55)),
        ("from 2:30 to 4", "en", T(14, 30)),
    ],
)
def test_spoken_and_relative_clock_forms(text, lang, time):
    assert understand(text, lang, NOW).time == time


def test_a_spoken_time_with_a_day():
    result = understand("tomorrow at nine oh five", "en", NOW)
    assert (result.date, result.time) == (D(2026, 12, 2), T(9, 5))


@pytest.mark.parametrize("text", ["it was two fifty dollars", "three twenty minutes", "two twenty year olds"])
def test_spelled_amounts_are_not_spoken_clock_times(text):
    assert understand(text, "en", NOW).time is None


def test_from_ten_to_four_spelled_is_a_range():
    result = understand("from ten to four", "en", NOW)
    assert (result.after, result.before) == (T(10, 0), T(16, 0))


def test_a_day_of_month_then_a_part_of_day_is_not_a_clock_time():
    result = understand("le 15 en soirée", "fr", NOW)
    assert (result.date, result.time, result.part_of_day) == (D(2026, 12, 15), None, "evening")


@pytest.mark.parametrize(
    ("text", "lang", "before"),
    [
        ("d'ici 17h", "fr", T(17, 0)),
        ("au plus tard à 16h", "fr", T(16, 0)),
        ("no later than 4", "en", T(16, 0)),
    ],
)
def test_deadlines_are_upper_bounds(text, lang, before):
    result = understand(text, lang, NOW)
    assert (result.time, result.before) == (None, before)


def test_no_later_than_is_not_a_no():
    result = understand("no later than 4 on Friday", "en", NOW)
    assert (result.intent, result.date, result.before) == ("book", D(2026, 12, 4), T(16, 0))


def test_within_some_hours_is_not_a_deadline():
    assert understand("d'ici 2 heures", "fr", NOW).before is None


@pytest.mark.parametrize(
    ("text", "lang", "part", "after", "before"),
    [
        ("en fin d'après-midi", "fr", "afternoon", T(15, 0), None),
        ("late morning", "en", "morning", T(10, 0), None),
        ("en début d'après-midi", "fr", "afternoon", None, T(14, 0)),
        ("tôt le matin", "fr", "morning", None, T(9, 0)),
        ("early evening", "en", "evening", None, T(18, 0)),
        ("après le déjeuner", "fr", "morning", None, None),
    ],
)
def test_early_and_late_parts_of_day_bound_the_time(text, lang, part, after, before):
    result = understand(text, lang, NOW)
    assert (result.part_of_day, result.after, result.before) == (part, after, before)
