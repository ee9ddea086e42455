"""Names said naturally: introduced in a sentence (extract_name, Understanding.name) or as the whole
message (clean_name); accents kept, capitals made sensible, noise refused."""

import datetime as dt

import pytest

from core.language import clean_name, extract_name, understand
from core.language.names import tidy_name


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("c'est Marc Gagnon", "Marc Gagnon"),
        ("moi c Line", "Line"),
        ("mon nom est julie côté", "Julie Côté"),
        ("non, c'est à mon nom, Julie Côté", "Julie Côté"),
        ("Bonjour, ici françois bérubé, je voudrais un rdv", "François Bérubé"),
        ("je m'appelle jean-pierre LAVOIE et je veux annuler", "Jean-Pierre Lavoie"),
        ("MON NOM EST MARIE DE LA FONTAINE", "Marie de la Fontaine"),
        ("c’est Line pour mon rdv de jeudi", "Line"),
        ("my name is Ann O'Neil", "Ann O'Neil"),
        ("it's Bob Smith", "Bob Smith"),
        ("hi it's kate, i'd like to book", "Kate"),
        ("I'm Sarah and I need an appointment", "Sarah"),
        ("the name is DeBlois", "DeBlois"),
        ("c'est Paul. J'aimerais annuler", "Paul"),
        ("non c'est pour moi, Julie Côté", "Julie Côté"),
        ("Julie Côté, c'est mon nom", "Julie Côté"),
        ("it should be under Ann Lee", "Ann Lee"),
        ("the name should be Ann Lee", "Ann Lee"),
        ("mettez-le au nom de paul roy", "Paul Roy"),
    ],
)
def test_an_introduced_name_is_read_with_its_accents_and_capitals(text, name):
    assert extract_name(text, "fr") == name
    assert understand(text, "fr", dt.datetime(2026, 12, 2, 9)).name == name


@pytest.mark.parametrize(
    "text",
    [
        "c'est correct",
        "c'est pour demain",
        "c'est urgent",
        "je suis malade",
        "je suis en retard",
        "I'm running late",
        "I'm writing because my mother needs an appointment",
        "i'm looking for a doctor",
        "it's me",
        "i'm fine thanks",
        "my name is 😀",
        "it's 12345",
        "c'est " + "x" * 500,
    ],
)
def test_sentences_that_introduce_no_name_give_none(text):
    assert extract_name(text, "en") is None


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("julie côté", "Julie Côté"),
        ("JULIE CÔTÉ.", "Julie Côté"),
        ("Ann O'Neil", "Ann O'Neil"),
        ("jean-françois d'amours", "Jean-François D'Amours"),
        ("McDonald", "McDonald"),
        ("marc gagnon svp", "Marc Gagnon"),
        ("Line Roy", "Line Roy"),
        ("c'est Marc Gagnon", "Marc Gagnon"),
        ("non, Julie Côté", "Julie Côté"),
    ],
)
def test_a_whole_message_is_cleaned_into_a_name(text, name):
    assert clean_name(text) == name


@pytest.mark.parametrize(
    "text", ["😀", "12345", "Marc 2", "x" * 500, "ok", "oui", "je suis malade", "", "   ", "a", "<script>"]
)
def test_a_whole_message_that_cannot_be_a_name_gives_none(text):
    assert clean_name(text) is None


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("c est Julie Côté", "Julie Côté"),
        ("C est Marc Gagnon", "Marc Gagnon"),
        ("je m appelle Line Roy", "Line Roy"),
        ("jm appelle Paul Roy", "Paul Roy"),
        ("her name is Emma Brown", "Emma Brown"),  # a parent booking for a child
        ("son nom est Léa Tremblay", "Léa Tremblay"),
    ],
)
def test_a_name_introduced_without_the_apostrophe_texting_drops(text, name):
    assert extract_name(text) == name


def test_c_est_without_apostrophe_before_a_plain_word_is_no_name():
    assert extract_name("c est correct") is None


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("julie côté", "Julie Côté"),  # a name as typed or heard gets the same capitals as one read
        (" MARIE-ÈVE   O’BRIEN ", "Marie-Ève O’Brien"),
        ("jean de la fontaine", "Jean de la Fontaine"),
        ("DeBlois", "DeBlois"),
        ("J. Tremblay", "J. Tremblay"),
    ],
)
def test_a_name_is_kept_in_one_form_however_it_came(text, name):
    assert tidy_name(text) == name


@pytest.mark.parametrize("text", [None, "", "😀", "Marc 2", "x" * 61, "un deux trois quatre cinq six", "a"])
def test_what_cannot_be_a_name_is_not_kept(text):
    assert tidy_name(text) is None
