"""Details the dialogs rely on: other options, bare ordinals, no preference, worded opt-outs, how to be told,
being on the way, keeping a place, and hours said without am/pm."""

import datetime as dt

import pytest

from core.language import understand

NOW = dt.datetime(2026, 12, 1, 9, 0)  # a Tuesday morning
D = dt.date
T = dt.time


def read(text: str, lang: str | None = None):
    return understand(text, lang, NOW)


# --- asking for other or later options -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("AUTRES", "fr"),
        ("autre", "fr"),
        ("d'autres?", "fr"),
        ("autre chose?", "fr"),
        ("plus tard", "fr"),
        ("Avez-vous d'autres heures jeudi?", "fr"),
        ("non, aucune de ces plages ne me convient", "fr"),
        ("others", "en"),
        ("more", "en"),
        ("later", "en"),
        ("other times?", "en"),
        ("anything later in the week?", "en"),
        ("none of those work, show me more", "en"),
    ],
)
def test_asking_for_other_options_sets_more(text, lang):
    result = read(text, lang)
    assert result.more is True
    assert result.intent in ("other", "no", "book", "reschedule")


@pytest.mark.parametrize(
    "text", ["oui", "2", "demain matin", "I want to book for Friday", "autrement dit, oui"]
)
def test_ordinary_answers_do_not_ask_for_more(text):
    assert read(text).more is False


def test_more_is_in_the_json_form():
    assert read("autres", "fr").as_dict()["more"] is True


# --- a bare ordinal is a choice, not a date --------------------------------------------------------------------


@pytest.mark.parametrize("text", ["le premier", "la première", "Le premier svp", "the first one", "first"])
def test_a_spelled_ordinal_alone_is_a_choice_without_a_date(text):
    result = read(text)
    assert (result.intent, result.choice, result.date) == ("choice", 1, None)


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("le premier décembre", D(2026, 12, 1)),
        ("le premier janvier", D(2027, 1, 1)),
        ("le premier du mois prochain", D(2027, 1, 1)),
        ("le 1er", D(2026, 12, 1)),
        ("January first", D(2027, 1, 1)),
    ],
)
def test_an_ordinal_with_a_month_or_in_digits_is_a_date(text, date):
    assert read(text).date == date


def test_the_second_option_is_not_the_second_of_the_month():
    result = read("la deuxième", "fr")
    assert (result.intent, result.choice, result.date) == ("choice", 2, None)


# --- no preference: the earliest opening --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("n'importe quand", "fr"),
        ("N'importe quand, merci", "fr"),
        ("peu importe", "fr"),
        ("le plus tôt possible", "fr"),
        ("la première disponibilité", "fr"),
        ("le premier disponible", "fr"),
        ("anytime", "en"),
        ("any time works", "en"),
        ("whenever", "en"),
        ("first available please", "en"),
        ("the first available slot", "en"),
    ],
)
def test_no_preference_is_booking_as_soon_as_possible(text, lang):
    result = read(text, lang)
    assert (result.intent, result.asap, result.date) == ("book", True, D(2026, 12, 1))


def test_anytime_with_a_bound_keeps_the_bound_instead():
    result = read("anytime after 3 tomorrow", "en")
    assert (result.date, result.after, result.asap) == (D(2026, 12, 2), T(15, 0), False)


def test_first_thing_in_the_morning_is_still_a_morning():
    result = read("first thing tomorrow", "en")
    assert (result.date, result.part_of_day) == (D(2026, 12, 2), "morning")


# --- worded opt-outs --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("stop sending texts", "en"),
        ("Please stop texting me", "en"),
        ("don't text me anymore", "en"),
        ("no more messages please", "en"),
        ("I don't want any more reminders", "en"),
        ("remove my number from your list", "en"),
        ("arrêtez de m'écrire", "fr"),
        ("Arrête de me texter svp", "fr"),
        ("je ne veux plus de textos", "fr"),
        ("je veux plus recevoir de messages", "fr"),
        ("ne m'envoyez plus rien", "fr"),
        ("plus de textos svp", "fr"),
        ("désabonnez-moi", "fr"),
        ("i want to stop getting texts", "en"),
        ("how do I stop receiving these messages", "en"),
        ("je voudrais arrêter de recevoir des textos", "fr"),
        ("comment arrêter de recevoir vos messages?", "fr"),
    ],
)
def test_worded_opt_outs_are_stop_in_their_language(text, lang):
    other = "fr" if lang == "en" else "en"
    result = understand(text, other, NOW)
    assert (result.intent, result.lang) == ("stop", lang)


def test_an_emergency_still_comes_before_a_worded_opt_out():
    assert read("stop texting me I can't breathe").intent == "emergency"


# --- how to be told ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "channel"),
    [
        ("texto", "sms"),
        ("par texto svp", "sms"),
        ("SMS", "sms"),
        ("text me", "sms"),
        ("a text please", "sms"),
        ("par message texte", "sms"),
        ("appel", "call"),
        ("appelez-moi", "call"),
        ("un appel svp", "call"),
        ("call me", "call"),
        ("phone call", "call"),
        ("by phone please", "call"),
        ("pas d'appel, par texto", "sms"),
        ("no text, call me instead", "call"),
    ],
)
def test_how_to_be_told_is_notify_by(text, channel):
    assert read(text).notify_by == channel


@pytest.mark.parametrize("text", ["j'ai reçu un rappel", "je viens d'appeler la clinique", "oui", "demain"])
def test_other_messages_have_no_notify_by(text):
    assert read(text).notify_by is None


# --- on the way, and keeping what one has -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("je viens", "fr"),
        ("J'arrive!", "fr"),
        ("je m'en viens", "fr"),
        ("oui je suis en chemin", "fr"),
        ("I'm coming", "en"),
        ("on my way", "en"),
        ("I'll be there in 10", "en"),
    ],
)
def test_being_on_the_way_answers_yes(text, lang):
    assert read(text, lang).polarity == "yes"


@pytest.mark.parametrize(
    "text", ["je ne viens pas", "je viens pas finalement", "I'm not coming", "I won't be there"]
)
def test_not_coming_answers_no(text):
    assert read(text).polarity == "no"


def test_just_having_done_something_is_not_coming():
    assert read("je viens de recevoir votre message", "fr").polarity is None


@pytest.mark.parametrize(
    "text", ["garder", "je garde ma place", "je le garde", "keep it", "keep my spot please"]
)
def test_keeping_sets_keep(text):
    assert read(text).keep is True


@pytest.mark.parametrize("text", ["annuler", "keep me posted", "oui", "la garde de mes enfants"])
def test_other_messages_do_not_keep(text):
    assert read(text).keep is False


# --- hours without am/pm ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "time"),
    [
        ("at 10", T(10, 0)),
        ("vers 8 heures", T(8, 0)),
        ("at 3", T(15, 0)),
        ("à 5h", T(17, 0)),
        ("tonight at 10", T(22, 0)),
        ("ce soir vers 7 h", T(19, 0)),
        ("10 in the evening", T(22, 0)),
    ],
)
def test_clinic_hours_convention_unless_the_evening_is_said(text, time):
    assert read(text).time == time


@pytest.mark.parametrize(
    ("text", "known", "lang"),
    [("tmrw am?", "fr", "en"), ("tmr pm pls", "fr", "en"), ("ajd pm", "en", "fr"), ("2main am", "en", "fr")],
)
def test_texting_shorthand_alone_tells_the_language_against_the_clinics_default(text, known, lang):
    assert understand(text, known, NOW).lang == lang
