"""Moving an appointment said as a sentence: the new wish in date/part_of_day, the old day in old_date;
and words of change that ask for nothing."""

import datetime as dt

import pytest

from core.language import understand

NOW = dt.datetime(2026, 12, 2, 9, 0)  # a Wednesday morning
D = dt.date


def read(text: str, lang: str | None = None):
    return understand(text, lang, NOW)


@pytest.mark.parametrize(
    ("text", "lang", "new", "old"),
    [
        ("je pourrai pas vendredi, tu peux me le mettre mardi?", "fr", D(2026, 12, 8), D(2026, 12, 4)),
        ("je peux pas venir demain, faudrait le reporter à lundi", "fr", D(2026, 12, 7), D(2026, 12, 3)),
        ("mon rdv de jeudi, je peux-tu le déplacer à mardi prochain", "fr", D(2026, 12, 8), D(2026, 12, 3)),
        ("j'aimerais déplacer mon rendez-vous du 10 décembre au 15", "fr", D(2026, 12, 15), D(2026, 12, 10)),
        (
            "au lieu de jeudi, est-ce que vendredi ça marche pour changer?",
            "fr",
            D(2026, 12, 4),
            D(2026, 12, 3),
        ),
        ("I can't make it thursday, can you move it to monday?", "en", D(2026, 12, 7), D(2026, 12, 3)),
        ("can we switch my appointment from tuesday to friday", "en", D(2026, 12, 4), D(2026, 12, 8)),
        ("please reschedule my thursday appointment to saturday", "en", D(2026, 12, 5), D(2026, 12, 3)),
        ("Friday doesn't work, could you push it to Monday", "en", D(2026, 12, 7), D(2026, 12, 4)),
        ("mon rdv pour jeudi, je peux le changer pour lundi?", "fr", D(2026, 12, 7), D(2026, 12, 3)),
        ("can I move my appointment for thursday to monday", "en", D(2026, 12, 7), D(2026, 12, 3)),
        ("j'ai un empêchement jeudi, on peut-tu le déplacer à lundi?", "fr", D(2026, 12, 7), D(2026, 12, 3)),
        ("something came up on wednesday, can we move it to friday?", "en", D(2026, 12, 4), D(2026, 12, 9)),
    ],
)
def test_a_change_names_the_new_day_and_the_day_it_moves_from(text, lang, new, old):
    result = read(text, lang)
    assert (result.intent, result.date, result.old_date) == ("reschedule", new, old)


@pytest.mark.parametrize(
    ("text", "lang", "date", "part"),
    [
        ("move it to friday morning", "en", D(2026, 12, 4), "morning"),
        ("bump my appt to tmrw pm", "en", D(2026, 12, 3), "afternoon"),
        ("peux-tu le mettre lundi en après-midi", "fr", D(2026, 12, 7), "afternoon"),
        ("changer mon rdv pour jeudi matin", "fr", D(2026, 12, 3), "morning"),
        ("déplacer mon rdv pour lundi après-midi", "fr", D(2026, 12, 7), "afternoon"),
    ],
)
def test_a_day_named_as_the_destination_is_not_the_old_day(text, lang, date, part):
    result = read(text, lang)
    assert (result.intent, result.date, result.part_of_day, result.old_date) == (
        "reschedule",
        date,
        part,
        None,
    )


def test_a_change_to_a_whole_week_keeps_its_span():
    result = read("can you push my appointment to next week", "en")
    assert (result.intent, result.date, result.span) == ("reschedule", D(2026, 12, 7), "week")


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("non, je veux le changer", "fr"),
        ("non je veux pas l'annuler, juste le changer", "fr"),
        ("no, I want to reschedule it", "en"),
        ("I need to cancel and rebook", "en"),
        ("faudrait le décaler", "fr"),
    ],
)
def test_a_refusal_that_asks_for_a_change_is_a_reschedule(text, lang):
    assert read(text, lang).intent == "reschedule"


@pytest.mark.parametrize(
    ("text", "lang"),
    [("annuler, pas déplacer", "fr"), ("cancel it, don't reschedule", "en"), ("annulez mon rdv svp", "fr")],
)
def test_a_cancellation_that_refuses_a_change_stays_a_cancellation(text, lang):
    assert read(text, lang).intent == "cancel"


def test_cancelling_names_the_day_of_the_appointment_too():
    result = read("je veux annuler mon rdv de jeudi", "fr")
    assert (result.intent, result.old_date) == ("cancel", D(2026, 12, 3))


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("ça ne change rien", "fr"),
        ("ça change pas grand-chose", "fr"),
        ("j'ai changé d'idée", "fr"),
        ("that doesn't change anything", "en"),
        ("nothing has changed", "en"),
        ("I changed my mind", "en"),
    ],
)
def test_words_of_change_that_ask_for_nothing_are_not_a_reschedule(text, lang):
    assert read(text, lang).intent != "reschedule"


def test_a_change_word_buried_in_a_question_is_not_a_reschedule():
    text = (
        "Bonjour, j'ai une question: j'ai pris un rdv la semaine passée, ça ne change rien mais je voulais "
        "savoir si je dois apporter ma carte?"
    )
    assert read(text, "fr").intent != "reschedule"


def test_a_refused_wish_is_not_the_old_day():
    result = read("je veux le déplacer, pas lundi mais mardi", "fr")
    assert (result.intent, result.date, result.old_date) == ("reschedule", D(2026, 12, 8), None)


def test_the_old_day_is_found_however_the_patient_says_they_cannot_come():
    result = read("I won't be able to make it on friday, can we reschedule for next week", "en")
    assert (result.date, result.span, result.old_date) == (D(2026, 12, 7), "week", D(2026, 12, 4))


@pytest.mark.parametrize(
    ("text", "lang", "date"),
    [
        ("i can't do monday but tuesday works", "en", D(2026, 12, 8)),
        ("je peux pas lundi, mardi plutôt", "fr", D(2026, 12, 8)),
    ],
)
def test_while_booking_a_day_refused_is_no_change_of_appointment(text, lang, date):
    result = read(text, lang)
    assert result.intent != "reschedule"
    assert (result.date, result.old_date) == (date, None)


def test_a_day_with_a_conflict_is_not_the_wish():
    assert read("something came up on wednesday, can we do friday?", "en").date == D(2026, 12, 4)
