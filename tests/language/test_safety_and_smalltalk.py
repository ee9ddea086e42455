"""Self-harm words are emergencies that also call for 9-8-8; politeness is small talk, not a request;
worded opt-outs stop the messages; a long message's intent and language are its own."""

import datetime as dt

import pytest

from core.language import understand

NOW = dt.datetime(2026, 12, 2, 9, 0)


def read(text: str, lang: str | None = None):
    return understand(text, lang, NOW)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("je veux mourir", "fr"),
        ("j'ai envie de mourrir", "fr"),
        ("je pense à me suicider", "fr"),
        ("je pense au sucide", "fr"),
        ("j'ai plus le goût de vivre", "fr"),
        ("j'ai envie de me faire du mal", "fr"),
        ("je veux en finir", "fr"),
        ("j'ai des idées noires", "fr"),
        ("i want to kill myself", "en"),
        ("i wanna kil my self", "en"),
        ("i want to end my life", "en"),
        ("i might hurt myself tonight", "en"),
        ("i've been cutting myself again", "en"),
        ("i wish i was dead", "en"),
        ("thinking about suicde", "en"),
        ("thinking about ending it", "en"),
    ],
)
def test_words_of_suicide_or_self_harm_are_an_emergency_with_self_harm(text, lang):
    result = read(text, "fr" if lang == "en" else "en")
    assert (result.intent, result.self_harm, result.lang) == ("emergency", True, lang)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("j'ai une douleur à la poitrine", "fr"),
        ("my dad can't breathe", "en"),
        ("I have chest pains and my left arm feels numb, should I come to the clinic?", "en"),
    ],
)
def test_other_emergencies_are_not_self_harm(text, lang):
    result = read(text, lang)
    assert (result.intent, result.self_harm) == ("emergency", False)


@pytest.mark.parametrize(
    "text",
    [
        "je me suis fait mal au dos",
        "je meurs de faim",
        "I'm dying to see the doctor",
        "I want to end my subscription",
        "the clinic is 5 kms away",
        "this back pain is killing me, I need an appointment",
    ],
)
def test_everyday_words_are_not_self_harm(text):
    assert read(text).self_harm is False


def test_self_harm_is_in_the_json_form():
    assert read("je veux me tuer", "fr").as_dict()["self_harm"] is True


# --- small talk --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lang", "kind"),
    [
        ("merci", "fr", "thanks"),
        ("merci!", "fr", "thanks"),
        ("merci beaucoup 🙂", "fr", "thanks"),
        ("thanks!", "en", "thanks"),
        ("thank you so much", "en", "thanks"),
        ("merci beaucoup bonne journée", "fr", "bye"),
        ("merci, bonne fin de semaine", "fr", "bye"),
        ("bonne soirée", "fr", "bye"),
        ("bye!", "en", "bye"),
        ("thank you so much, have a great day", "en", "bye"),
        ("bonjour", "fr", "hello"),
        ("bon matin", "fr", "hello"),
        ("hi", "en", "hello"),
    ],
)
def test_politeness_alone_is_small_talk(text, lang, kind):
    result = read(text, lang)
    assert (result.smalltalk, result.intent) == (kind, "other")
    assert (result.date, result.part_of_day, result.polarity) == (None, None, None)


@pytest.mark.parametrize(
    ("text", "lang", "intent"),
    [("ok merci", "fr", "yes"), ("non merci", "fr", "no"), ("ok thanks", "en", "yes")],
)
def test_an_answer_with_thanks_keeps_the_answer(text, lang, intent):
    result = read(text, lang)
    assert (result.smalltalk, result.intent) == ("thanks", intent)


@pytest.mark.parametrize(
    ("text", "lang", "intent"),
    [
        ("bonsoir, je voudrais un rdv demain", "fr", "book"),
        ("merci, pouvez-vous annuler mon rdv?", "fr", "cancel"),
        ("Good morning, do you have anything tomorrow morning?", "en", "book"),
        ("thanks, can I move it to friday?", "en", "reschedule"),
    ],
)
def test_politeness_with_a_request_is_the_request(text, lang, intent):
    result = read(text, lang)
    assert (result.intent, result.smalltalk) == (intent, None)


def test_a_greeting_names_no_part_of_day():
    assert read("bonsoir, un rdv demain svp", "fr").part_of_day is None


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("arrête de m'écrire", "fr"),
        ("arrêtez de m'envoyer des textos", "fr"),
        ("ne m'écrivez plus", "fr"),
        ("je veux plus recevoir de messages", "fr"),
        ("stop texting me", "en"),
        ("please stop sending me messages", "en"),
        ("don't text me anymore", "en"),
    ],
)
def test_worded_opt_outs_stop(text, lang):
    result = read(text)
    assert (result.intent, result.lang) == ("stop", lang)


# --- long messages ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "default"),
    [
        (
            "Hi, I'm at the Clinique du Parc on rue Saint-Denis, my dad has severe chest pain what do I do",
            "fr",
        ),
        (
            "My wife is having trouble breathing since this morning and she is 80 years old, what should we do",
            "fr",
        ),
        ("Sorry my french is bad, Jean-François Côté here, I think I'm having a heart attack", "fr"),
    ],
)
def test_a_long_english_emergency_is_answered_in_english(text, default):
    result = read(text, default)
    assert (result.intent, result.lang) == ("emergency", "en")


@pytest.mark.parametrize(
    ("text", "default", "lang", "intent"),
    [
        (
            "Hello, my son Jean-François has had a fever since Tuesday, is there any walk-in today at the "
            "Clinique du Parc?",
            "fr",
            "en",
            "walkin",
        ),
        (
            "I have an appointment with Dr. Côté at the Clinique Médicale Saint-Laurent on Thursday but I can't "
            "make it",
            "fr",
            "en",
            "cancel",
        ),
        (
            "Bonjour, ma fille a mal à la gorge depuis deux jours, est-ce qu'il y aurait une place demain "
            "après-midi? Thanks",
            "en",
            "fr",
            "book",
        ),
        ("Sorry my french is bad. Je suis malade, I need a doctor tomorrow please", "fr", "en", "book"),
    ],
)
def test_a_long_message_keeps_its_own_language_and_request(text, default, lang, intent):
    result = read(text, default)
    assert (result.lang, result.intent) == (lang, intent)


@pytest.mark.parametrize(
    ("text", "lang", "date"),
    [
        ("merci, à demain!", "fr", dt.date(2026, 12, 3)),
        ("thanks, see you tomorrow", "en", dt.date(2026, 12, 3)),
    ],
)
def test_a_farewell_that_names_a_day_keeps_the_day(text, lang, date):
    result = read(text, lang)
    assert (result.smalltalk, result.intent, result.date) == ("bye", "other", date)


@pytest.mark.parametrize(
    ("text", "lang", "intent", "date"),
    [
        (
            "Hi, last time I had to cancel because of work but now I'd like to book a new appointment for next week",
            "en",
            "book",
            dt.date(2026, 12, 7),
        ),
        (
            "Bonjour, j'ai annulé mon rdv la semaine passée, est-ce que je peux en reprendre un jeudi?",
            "fr",
            "book",
            dt.date(2026, 12, 3),
        ),
        (
            "j'avais réservé pour mardi mais j'ai dû annuler, y a-tu de la place jeudi?",
            "fr",
            "book",
            dt.date(2026, 12, 3),
        ),
        ("I had booked tuesday but can I get thursday instead", "en", "book", dt.date(2026, 12, 3)),
        ("Je ne veux pas annuler mon rendez-vous, je veux juste savoir l'heure", "fr", "list", None),
    ],
)
def test_a_request_told_as_a_past_event_gives_way_to_the_request_that_follows(text, lang, intent, date):
    result = read(text, lang)
    assert (result.intent, result.date) == (intent, date)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("j'ai annulé mon rdv", "fr"),
        ("I cancelled my appointment", "en"),
        ("I have to cancel my appointment", "en"),
    ],
)
def test_a_cancellation_said_alone_is_still_a_cancellation(text, lang):
    assert read(text, lang).intent == "cancel"


@pytest.mark.parametrize(
    "text",
    [
        "my kid swallowed bleach",
        "my son ate some pills, what do I do",
        "mon fils a avalé de l'eau de javel",
        "ma fille a avalé une pile bouton",
        "mon bébé fait 40 de fièvre",
        "my baby has a fever since last night",
        "my daughter won't wake up",
        "il ne se réveille pas",
    ],
)
def test_poisoning_a_child_who_does_not_wake_and_a_baby_with_fever_are_emergencies(text):
    result = read(text)
    assert result.intent == "emergency"
    assert not result.self_harm


@pytest.mark.parametrize(
    "text",
    [
        "rdv pour mon bébé jeudi",
        "my baby needs a checkup",
        "I take my pills every day",
        "i swallowed my pride",
    ],
)
def test_a_baby_or_pills_alone_are_no_emergency(text):
    assert read(text).intent != "emergency"
