"""Answers that point at an offer ("celle de 9 h 15", "the last one") and texting shorthand ("jeudi pm",
"dem", "sem pro", "c beau", "how much longer")."""

import datetime as dt

import pytest

from core.language import understand

NOW = dt.datetime(2026, 12, 2, 9, 0)  # a Wednesday morning
D = dt.date
T = dt.time


def read(text: str, lang: str | None = None):
    return understand(text, lang, NOW)


# --- pointing at what was offered ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang", "time"),
    [
        ("celle de 9 h 15", "fr", T(9, 15)),
        ("celui de 14 h", "fr", T(14, 0)),
        ("9h15 c'est bon", "fr", T(9, 15)),
        ("ok pour 10h30", "fr", T(10, 30)),
        ("the 10:30 one", "en", T(10, 30)),
        ("the 2:45 please", "en", T(14, 45)),
        ("10:30 works", "en", T(10, 30)),
        ("the ten thirty one", "en", T(10, 30)),
        ("celle de neuf heures quinze", "fr", T(9, 15)),
    ],
)
def test_a_time_alone_points_at_an_offer_without_a_day(text, lang, time):
    result = read(text, lang)
    assert (result.time, result.date, result.choice) == (time, None, None)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("le dernier", "fr"),
        ("la dernière", "fr"),
        ("je prends la dernière svp", "fr"),
        ("the last one", "en"),
        ("last one please", "en"),
        ("I'll take the last", "en"),
    ],
)
def test_the_last_one_picks_the_last_offer(text, lang):
    result = read(text, lang)
    assert (result.intent, result.pick_last, result.choice, result.date) == ("choice", True, None, None)


@pytest.mark.parametrize(
    ("text", "lang", "date"),
    [
        ("le dernier jour de décembre", "fr", D(2026, 12, 31)),
        ("the last week of december", "en", D(2026, 12, 28)),
    ],
)
def test_last_inside_a_date_is_no_pick(text, lang, date):
    result = read(text, lang)
    assert (result.pick_last, result.date) == (False, date)


@pytest.mark.parametrize(
    ("text", "lang", "n"),
    [
        ("la 2e", "fr", 2),
        ("la deuxième", "fr", 2),
        ("the second", "en", 2),
        ("the third one", "en", 3),
        ("the earliest one", "en", 1),
    ],
)
def test_an_ordinal_picks_by_number(text, lang, n):
    result = read(text, lang)
    assert (result.intent, result.choice, result.pick_last) == ("choice", n, False)


def test_a_day_alone_stays_a_day():
    result = read("vendredi", "fr")
    assert (result.intent, result.date, result.choice) == ("book", D(2026, 12, 4), None)


# --- texting shorthand --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang", "date", "part"),
    [
        ("jeudi pm", "fr", D(2026, 12, 3), "afternoon"),
        ("ven pm", "fr", D(2026, 12, 4), "afternoon"),
        ("lun am", "fr", D(2026, 12, 7), "morning"),
        ("mer am", "fr", D(2026, 12, 9), "morning"),
        ("dem matin", "fr", D(2026, 12, 3), "morning"),
        ("auj pm", "fr", D(2026, 12, 2), "afternoon"),
        ("tmrw am", "en", D(2026, 12, 3), "morning"),
        ("fri am", "en", D(2026, 12, 4), "morning"),
        ("sat morning", "en", D(2026, 12, 5), "morning"),
        ("Thurs p.m.", "en", D(2026, 12, 3), "afternoon"),
    ],
)
def test_am_and_pm_after_a_day_are_parts_of_day(text, lang, date, part):
    result = read(text, lang)
    assert (result.date, result.part_of_day, result.time) == (date, part, None)


@pytest.mark.parametrize(
    ("text", "lang", "date", "span"),
    [
        ("auj", "fr", D(2026, 12, 2), None),
        ("dem", "fr", D(2026, 12, 3), None),
        ("2moro", "en", D(2026, 12, 3), None),
        ("tmrw", "en", D(2026, 12, 3), None),
        ("thurs", "en", D(2026, 12, 3), None),
        ("wed", "en", D(2026, 12, 9), None),
        ("sem pro", "fr", D(2026, 12, 7), "week"),
        ("la sem pro", "fr", D(2026, 12, 7), "week"),
        ("next wk", "en", D(2026, 12, 7), "week"),
        ("nxt wk tues", "en", D(2026, 12, 8), None),
    ],
)
def test_shortened_days_and_weeks(text, lang, date, span):
    result = read(text, lang)
    assert (result.date, result.span) == (date, span)


def test_a_time_after_a_day_keeps_its_meridiem():
    result = read("jeudi 3 pm", "fr")
    assert (result.date, result.time) == (D(2026, 12, 3), T(15, 0))


@pytest.mark.parametrize(
    "text",
    ["c beau", "c correct", "ça marche", "parfait", "go", "ok c bon", "ouin", "correct", "ça me va", "c bon"],
)
def test_quebec_yeses(text):
    result = read(text, "fr")
    assert (result.intent, result.polarity) == ("yes", "yes")


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("how much longer", "en"),
        ("how much longer do i have to wait", "en"),
        ("how long till my turn", "en"),
        ("am i next?", "en"),
        ("ça va être long?", "fr"),
        ("ça va tu être long encore", "fr"),
        ("c'est quand mon tour", "fr"),
        ("combien de temps encore?", "fr"),
        ("il reste combien de personnes avant moi", "fr"),
    ],
)
def test_how_long_questions_ask_for_the_place_in_the_queue(text, lang):
    assert read(text, lang).intent == "position"


@pytest.mark.parametrize(
    ("text", "date", "time"),
    [
        ("the one at 2", None, T(14, 0)),
        ("one at 3 please", None, T(15, 0)),
        ("the friday one", D(2026, 12, 4), None),
    ],
)
def test_one_as_a_pronoun_is_not_the_first_of_the_month(text, date, time):
    result = read(text, "en")
    assert (result.date, result.time) == (date, time)


@pytest.mark.parametrize(("text", "lang"), [("the later one", "en"), ("la plus tard", "fr")])
def test_the_later_of_the_offers_is_the_last(text, lang):
    assert read(text, lang).pick_last is True


@pytest.mark.parametrize("text", ["plus tard", "un peu plus tard", "a bit later please"])
def test_later_alone_asks_for_more_and_points_at_no_option(text):
    result = understand(text, "fr", dt.datetime(2026, 12, 1, 9, 0))
    assert result.more
    assert not result.pick_last


@pytest.mark.parametrize(
    "text",
    [
        "plus tôt svp",
        "anything earlier?",
        "rien de plus tôt?",
        "avez-vous quelque chose de plus tôt",
        "earlier than that",
    ],
)
def test_asking_for_sooner_options_sets_earlier(text):
    assert understand(text, "fr", dt.datetime(2026, 12, 1, 9, 0)).earlier


@pytest.mark.parametrize(
    "text", ["plus tôt que jeudi", "le plus tôt possible", "je voudrais arriver plus tôt"]
)
def test_a_limit_or_asap_is_not_asking_for_sooner_options(text):
    assert not understand(text, "fr", dt.datetime(2026, 12, 1, 9, 0)).earlier
