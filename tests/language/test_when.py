"""Dates, times and parts of day, resolved in the future from Tuesday 1 December 2026, 09:00."""

import datetime as dt

import pytest

from core.language import understand

NOW = dt.datetime(2026, 12, 1, 9, 0)
D = dt.date
T = dt.time


def read(text: str, lang: str = "fr", now: dt.datetime = NOW):
    result = understand(text, lang, now)
    return result.date, result.time, result.part_of_day


@pytest.mark.parametrize(
    ("text", "date", "time", "part"),
    [
        # each of dateparser's French traps
        ("demain matin", D(2026, 12, 2), None, "morning"),
        ("vendredi matin", D(2026, 12, 4), None, "morning"),
        ("ce soir", D(2026, 12, 1), None, "evening"),
        ("mardi prochain", D(2026, 12, 8), None, None),
        ("le premier décembre", D(2026, 12, 1), None, None),
        ("demain 9h", D(2026, 12, 2), T(9, 0), None),
        ("jeudi 14h", D(2026, 12, 3), T(14, 0), None),
        ("3/12", D(2026, 12, 3), None, None),
        ("je veux un rendez-vous", None, None, None),
        # everyday Québec forms
        ("demain", D(2026, 12, 2), None, None),
        ("après-demain", D(2026, 12, 3), None, None),
        ("aujourd'hui", D(2026, 12, 1), None, None),
        ("vendredi après-midi", D(2026, 12, 4), None, "afternoon"),
        ("dans deux semaines", D(2026, 12, 15), None, None),
        ("dans 3 jours", D(2026, 12, 4), None, None),
        ("le 3", D(2026, 12, 3), None, None),
        ("1er déc.", D(2026, 12, 1), None, None),
        ("le 15 janvier", D(2027, 1, 15), None, None),
        ("14h", None, T(14, 0), None),
        ("14 h 30", None, T(14, 30), None),
        ("14h30", None, T(14, 30), None),
        ("2h de l'après-midi", None, T(14, 0), "afternoon"),
        ("midi", None, T(12, 0), None),
        ("minuit", None, T(0, 0), None),
        ("midi et quart", None, T(12, 15), None),
        ("quatorze heures trente", None, T(14, 30), None),
        ("vers deux heures", None, T(14, 0), None),
        ("vers 9 heures", None, T(9, 0), None),
        ("à 3 heures et demie", None, T(15, 30), None),
        ("10h moins le quart", None, T(9, 45), None),
        ("en avant-midi", None, None, "morning"),
        ("lundi en huit", D(2026, 12, 14), None, None),
        ("samedi 12 à 8h du matin", D(2026, 12, 12), T(8, 0), "morning"),
        ("le 16 à 18h", D(2026, 12, 16), T(18, 0), None),
        ("Noël", D(2026, 12, 25), None, None),
        ("jour de l'an", D(2027, 1, 1), None, None),
        ("début janvier", D(2027, 1, 1), None, None),
    ],
)
def test_french_forms(text, date, time, part):
    assert read(text, "fr") == (date, time, part)


@pytest.mark.parametrize(
    ("text", "date", "time", "part"),
    [
        ("tomorrow", D(2026, 12, 2), None, None),
        ("today", D(2026, 12, 1), None, None),
        ("tonight", D(2026, 12, 1), None, "evening"),
        ("next Tuesday at 2", D(2026, 12, 8), T(14, 0), None),
        ("the 9th of this month", D(2026, 12, 9), None, None),
        ("half past 3 in the afternoon", None, T(15, 30), "afternoon"),
        ("quarter past 10 in the morning", None, T(10, 15), "morning"),
        ("quarter to 4", None, T(15, 45), None),
        ("evening 4", None, T(16, 0), "evening"),
        ("14:00", None, T(14, 0), None),
        ("4 pm", None, T(16, 0), None),
        ("4:30pm", None, T(16, 30), None),
        ("noon", None, T(12, 0), None),
        ("day after tomorrow", D(2026, 12, 3), None, None),
        ("March 3rd", D(2027, 3, 3), None, None),
        ("on the 5th", D(2026, 12, 5), None, None),
        ("in two weeks", D(2026, 12, 15), None, None),
        ("this weekend", D(2026, 12, 5), None, None),
        ("friday", D(2026, 12, 4), None, None),
        ("12/25", D(2026, 12, 25), None, None),
        ("3/12", D(2026, 12, 3), None, None),
        ("at 10:30", None, T(10, 30), None),
        ("eleven in the morning", None, T(11, 0), "morning"),
        ("4:45 in the evening", None, T(16, 45), "evening"),
        ("Christmas eve", D(2026, 12, 24), None, None),
    ],
)
def test_english_forms(text, date, time, part):
    assert read(text, "en") == (date, time, part)


def test_next_week_is_monday_of_next_week_with_a_week_span():
    for text, lang in [("la semaine prochaine", "fr"), ("next week", "en")]:
        result = understand(text, lang, NOW)
        assert (result.date, result.span) == (D(2026, 12, 7), "week")


def test_weekday_of_next_week():
    assert read("Wednesday next week", "en")[0] == D(2026, 12, 9)
    assert read("mercredi de la semaine prochaine", "fr")[0] == D(2026, 12, 9)


def test_after_sets_a_lower_bound_and_the_earliest_time():
    result = understand("anything tomorrow after 3?", "en", NOW)
    assert result.as_dict()["after"] == "15:00"
    assert (result.date, result.time, result.intent) == (D(2026, 12, 2), T(15, 0), "book")


def test_between_two_times_sets_both_bounds():
    result = understand("jeudi entre 9h30 et 11h", "fr", NOW)
    assert (result.date, result.time, result.after, result.before) == (
        D(2026, 12, 3),
        T(9, 30),
        T(9, 30),
        T(11, 0),
    )


@pytest.mark.parametrize("text", ["en fin de journée", "end of day thursday", "jeudi fin de la journée"])
def test_end_of_day_is_from_four(text):
    # not "the evening" as well: a clinic that closes at 17 h has its last slots for it
    result = understand(text, "fr", NOW)
    assert (result.part_of_day, result.after) == (None, T(16, 0))


def test_the_evening_at_the_end_of_the_day_stays_the_evening():
    assert understand("le soir, en fin de journée", "fr", NOW).part_of_day == "evening"


def test_asap_means_today():
    for text in ["asap", "le plus tôt possible", "as soon as possible"]:
        result = understand(text, None, NOW)
        assert (result.asap, result.date) == (True, D(2026, 12, 1))


def test_a_bare_weekday_equal_to_today_is_next_week():
    assert read("mardi", "fr") == (D(2026, 12, 8), None, None)
    assert read("on tuesday", "en") == (D(2026, 12, 8), None, None)


def test_this_weekday_equal_to_today_is_today():
    assert read("ce mardi", "fr")[0] == D(2026, 12, 1)
    assert read("tuesday of this week", "en")[0] == D(2026, 12, 1)
    assert read("this tuesday", "en")[0] == D(2026, 12, 1)


def test_a_day_of_month_already_past_goes_to_next_month():
    later = dt.datetime(2026, 12, 10, 9, 0)
    assert read("le 3", "fr", later)[0] == D(2027, 1, 3)
    assert read("the 10th", "en", later)[0] == D(2026, 12, 10)


def test_a_month_and_day_already_past_goes_to_next_year():
    assert read("le 15 novembre", "fr")[0] == D(2027, 11, 15)
    assert read("December 1st", "en")[0] == D(2026, 12, 1)


def test_day_first_unless_month_first_is_the_only_reading():
    assert read("5/1", "en")[0] == D(2027, 1, 5)
    assert read("1/15", "en")[0] == D(2027, 1, 15)


def test_a_weekday_with_a_day_number_finds_the_matching_month():
    assert read("jeudi 14", "fr")[0] == D(2027, 1, 14)


def test_je_is_not_jeudi_and_mon_is_not_monday():
    assert read("je veux mon rendez-vous", "fr") == (None, None, None)


def test_durations_are_not_clock_times():
    now = dt.datetime(2026, 12, 1, 9, 0)
    result = understand("dans 2 heures", "fr", now)
    assert (result.date, result.time) == (D(2026, 12, 1), T(11, 0))


def test_as_dict_is_json_ready():
    data = understand("demain 14h30", "fr", NOW).as_dict()
    assert {k: data[k] for k in ("intent", "date", "time", "part_of_day", "choice", "lang")} == {
        "intent": "book",
        "date": "2026-12-02",
        "time": "14:30",
        "part_of_day": None,
        "choice": None,
        "lang": "fr",
    }


@pytest.mark.parametrize(
    ("text", "lang", "date"),
    [
        # one day after / before another day, and counts from another day
        ("le lendemain du 24 décembre", "fr", D(2026, 12, 25)),
        ("la veille du 10 janvier", "fr", D(2027, 1, 9)),
        ("the day after Christmas", "en", D(2026, 12, 26)),
        ("the day before the 20th", "en", D(2026, 12, 19)),
        ("a week from Friday", "en", D(2026, 12, 11)),
        ("3 days after tomorrow", "en", D(2026, 12, 5)),
        # French weeks counted in days
        ("dans huit jours", "fr", D(2026, 12, 8)),
        ("dans quinze jours", "fr", D(2026, 12, 15)),
        ("in a fortnight", "en", D(2026, 12, 15)),
        # parts of a month
        ("la première quinzaine de janvier", "fr", D(2027, 1, 1)),
        ("la deuxième quinzaine de janvier", "fr", D(2027, 1, 16)),
        ("mi-janvier", "fr", D(2027, 1, 10)),
        ("mid January", "en", D(2027, 1, 11)),
        ("le dernier jour de février", "fr", D(2027, 2, 28)),
        ("the last day of the month", "en", D(2026, 12, 31)),
        ("late next week", "en", D(2026, 12, 11)),
        # spelled ordinals of a weekday in a month
        ("le deuxième lundi de janvier", "fr", D(2027, 1, 11)),
        ("the second Monday of January", "en", D(2027, 1, 11)),
        # a day of this month beats a weekday mentioned in the same message
        ("not next Thursday, the 18th of this month", "en", D(2026, 12, 18)),
        # movable feasts
        ("Ash Wednesday", "en", D(2027, 2, 10)),
        ("lundi de Pentecôte", "fr", D(2027, 5, 17)),
    ],
)
def test_dates_counted_from_other_dates_and_parts_of_months(text, lang, date):
    assert read(text, lang)[0] == date


def test_a_refused_weekday_is_not_the_date():
    assert read("I can't do Thursday", "en")[0] is None
    assert read("je peux pas jeudi, plutôt vendredi", "fr")[0] == D(2026, 12, 4)
    assert read("I don't mind Thursday", "en")[0] == D(2026, 12, 3)


def test_not_until_is_a_lower_bound():
    result = understand("I can't come until 4:30", "en", NOW)
    assert (result.time, result.after, result.before) == (T(16, 30), T(16, 30), None)
    result = understand("je ne peux pas venir avant 15h", "fr", NOW)
    assert (result.after, result.before) == (T(15, 0), None)
    assert understand("before 3", "en", NOW).before == T(15, 0)


@pytest.mark.parametrize(
    ("text", "lang", "time"),
    [
        ("dans une heure et demie", "fr", T(10, 30)),
        ("in an hour and a half", "en", T(10, 30)),
        ("2 and a half hours from now", "en", T(11, 30)),
        ("twenty to 5", "en", T(16, 40)),
    ],
)
def test_more_clock_forms(text, lang, time):
    assert read(text, lang)[1] == time


@pytest.mark.parametrize(
    ("text", "lang"), [("right now", "en"), ("at the moment", "en"), ("en ce moment", "fr")]
)
def test_now_alone_is_today_as_soon_as_possible(text, lang):
    result = understand(text, lang, NOW)
    assert (result.asap, result.date) == (True, D(2026, 12, 1))


def test_a_stay_of_some_days_starts_on_its_first_day():
    assert read("for 3 days from the 18th", "en")[0] == D(2026, 12, 18)


@pytest.mark.parametrize(
    ("text", "after", "before"),
    [
        ("pas le matin", T(12, 0), None),
        ("jeudi mais pas le matin", T(12, 0), None),
        ("je travaille le matin", T(12, 0), None),
        ("je peux pas venir le matin", T(12, 0), None),
        ("n'importe quand sauf le matin", T(12, 0), None),
        ("pas en après-midi svp", None, T(12, 0)),
        ("pas le soir", None, T(17, 0)),
        ("not in the morning", T(12, 0), None),
        ("I can't do mornings", T(12, 0), None),
        ("I work in the mornings", T(12, 0), None),
        ("thursday but not in the afternoon", None, T(12, 0)),
        ("no evenings please", None, T(17, 0)),
    ],
)
def test_a_part_of_the_day_ruled_out_leaves_the_rest_of_the_day(text, after, before):
    result = understand(text, "fr", NOW)
    assert (result.part_of_day, result.after, result.before) == (None, after, before)


@pytest.mark.parametrize(
    ("text", "part"),
    [
        ("pas le matin, plutôt l'après-midi", "afternoon"),
        ("I'm busy in the afternoon, morning is ok", "morning"),
        ("not in the morning or the evening", "afternoon"),
        ("jeudi matin", "morning"),
        ("no, morning please", "morning"),  # a refusal, then the wish
        ("bonsoir, un rdv demain", None),
    ],
)
def test_the_part_of_the_day_wished_is_the_one_not_ruled_out(text, part):
    assert understand(text, "fr", NOW).part_of_day == part
