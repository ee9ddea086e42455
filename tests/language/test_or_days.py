"""Several days that would all do: "mercredi ou jeudi", "tuesday or thursday", "demain ou vendredi".

The soonest is the date; the others are kept in `also`. A list that is refused or excluded is no list."""

import datetime as dt

import pytest

from core.language import understand

NOW = dt.datetime(2026, 12, 7, 9, 0)  # a Monday morning
D = dt.date


@pytest.mark.parametrize(
    ("text", "date", "also"),
    [
        ("rdv mercredi ou jeudi", D(2026, 12, 9), (D(2026, 12, 10),)),
        ("j'aimerais un rendez-vous mardi ou bien jeudi svp", D(2026, 12, 8), (D(2026, 12, 10),)),
        ("can i come tuesday or thursday", D(2026, 12, 8), (D(2026, 12, 10),)),
        ("wednesday or friday morning works", D(2026, 12, 9), (D(2026, 12, 11),)),
        ("mardi, mercredi ou vendredi", D(2026, 12, 8), (D(2026, 12, 9), D(2026, 12, 11))),
        ("jeudi/vendredi", D(2026, 12, 10), (D(2026, 12, 11),)),
        # the soonest comes first whatever the order said, and today's weekday is next week's
        ("vendredi ou mercredi", D(2026, 12, 9), (D(2026, 12, 11),)),
        ("lundi ou jeudi apres-midi", D(2026, 12, 10), (D(2026, 12, 14),)),
        # a later week said for the list keeps every day in it
        ("mardi ou mercredi de la semaine prochaine", D(2026, 12, 15), (D(2026, 12, 16),)),
        ("tuesday or wednesday next week", D(2026, 12, 15), (D(2026, 12, 16),)),
        # tomorrow, today and the day after count as days of a list
        ("demain ou jeudi", D(2026, 12, 8), (D(2026, 12, 10),)),
        ("today or tomorrow after 3", D(2026, 12, 7), (D(2026, 12, 8),)),
        ("après-demain ou vendredi", D(2026, 12, 9), (D(2026, 12, 11),)),
    ],
)
def test_days_joined_by_or_are_all_kept_soonest_first(text, date, also):
    heard = understand(text, now=NOW)
    assert heard.intent == "book"
    assert (heard.date, heard.also) == (date, also)


def test_the_time_of_day_said_with_the_days_is_kept():
    heard = understand("jeudi ou vendredi après 15h", now=NOW)
    assert (heard.date, heard.also, heard.after) == (D(2026, 12, 10), (D(2026, 12, 11),), dt.time(15, 0))


@pytest.mark.parametrize(
    "text",
    [
        "rdv jeudi",  # one day
        "jeudi ou jeudi",  # the same day twice
        "anything but monday or tuesday",  # excluded
        "pas lundi, mardi",  # a refusal, then the day
        "rdv la semaine prochaine",  # a span, no list
        "demain ou mardi",  # said on a Monday: one day
    ],
)
def test_no_list_of_days_gives_no_other_day(text):
    assert understand(text, now=NOW).also == ()


def test_a_list_of_days_refused_is_no_wish():
    heard = understand("je peux pas lundi ou mardi", now=NOW)
    assert heard.also == ()


@pytest.mark.parametrize(
    ("text", "same"),
    [
        ("et pour moi le même jour", "day"),
        ("and one for me the same day", "day"),
        ("pis moi aussi la même journée", "day"),
        ("pareil pour ma fille", "time"),
        ("same for my son please", "time"),
        ("book my husband at the same time", "time"),
        ("et ma fille juste après", "after"),
        ("my daughter right after please", "after"),
    ],
)
def test_as_the_appointment_just_booked_is_a_booking_request(text, same):
    heard = understand(text, now=NOW)
    assert (heard.intent, heard.same) == ("book", same)


@pytest.mark.parametrize("text", ["juste après le dîner", "rdv jeudi juste après", "right after 3pm"])
def test_a_time_said_after_after_is_that_time_not_the_appointment_booked(text):
    assert understand(text, now=NOW).same is None
