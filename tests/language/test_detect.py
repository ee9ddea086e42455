"""Language detection: the text decides when it can, short answers keep the known language."""

import datetime as dt

import pytest

from core.language import detect_language, understand


@pytest.mark.parametrize(
    "text",
    [
        "Je voudrais un rendez-vous demain",
        "j'peux-tu annuler mon rdv",
        "c'est quand mon tour?",
        "Bonjour, j'ai besoin d'aide",
    ],
)
def test_french_text_is_french(text):
    assert detect_language(text, None) == "fr"
    assert detect_language(text, "en") == "fr"


@pytest.mark.parametrize(
    "text",
    ["I would like an appointment tomorrow", "can you cancel my appointment", "Where am I in the queue?"],
)
def test_english_text_is_english(text):
    assert detect_language(text, None) == "en"
    assert detect_language(text, "fr") == "en"


@pytest.mark.parametrize("text", ["ok", "2", "oui", "yes", "correct", "merci", "thanks"])
def test_short_answers_keep_the_known_language(text):
    assert detect_language(text, "fr") == "fr"
    assert detect_language(text, "en") == "en"


def test_unknown_and_ambiguous_defaults_to_french():
    assert detect_language("ok", None) == "fr"
    assert detect_language("2", None) == "fr"


def test_understand_reports_the_detected_language():
    now = dt.datetime(2026, 12, 1, 9, 0)
    assert understand("I need an appointment", None, now).lang == "en"
    assert understand("oui", "en", now).lang == "en"


@pytest.mark.parametrize("text", ["walk-in", "cancel appt", "my appointments", "book", "reschedule", "leave"])
def test_a_short_english_keyword_is_english_even_where_french_is_the_default(text):
    assert detect_language(text, "fr") == "en"


@pytest.mark.parametrize("text", ["RDV", "annuler", "sans rdv", "quitter", "mes rdv"])
def test_a_short_french_keyword_is_french_even_where_english_is_the_default(text):
    assert detect_language(text, "en") == "fr"


@pytest.mark.parametrize(
    "text",
    [
        "apointment tommorow afternon pls",  # typos hide the English words: repaired before they are counted
        "can i get an apointmnt for my son",
        "If you don't mind, anyone else available?",
        "What's their phone number?",
        "whats the earliest you have",
    ],
)
def test_english_with_typos_or_plain_words_is_english_at_a_french_clinic(text):
    assert detect_language(text, "fr") == "en"


@pytest.mark.parametrize(
    "text", ["le dernier week-end de septembre", "deux dernières minutes", "je veux un rendez vous"]
)
def test_french_stays_french_at_an_english_clinic(text):
    assert detect_language(text, "en") == "fr"
