"""Intents: requests, carrier keywords, emergencies, yes/no and numbered choices."""

import datetime as dt

import pytest

from core.language import INTENTS, understand

NOW = dt.datetime(2026, 12, 1, 9, 0)


def intent_of(text: str, lang: str | None = None) -> str:
    return understand(text, lang, NOW).intent


@pytest.mark.parametrize(
    "text",
    [
        "RDV",
        "rdv svp",
        "rendez-vous",
        "rendez vous",
        "Je voudrais voir un médecin jeudi matin",
        "j'peux-tu avoir un rdv demain?",
        "book",
        "appointment",
        "I need an appt",
        "anything tomorrow after 3?",
        "Can I book a appoitment for friday",
        "demain matin",
        "next Tuesday at 2",
    ],
)
def test_booking_requests_are_book(text):
    assert intent_of(text) == "book"


@pytest.mark.parametrize(
    "text",
    [
        "SANS RDV",
        "sans rendez-vous",
        "walk-in",
        "file",
        "file d'attente",
        "I want to join the walk in queue",
        "Je veux une place dans la file",
    ],
)
def test_walk_in_requests_are_walkin(text):
    assert intent_of(text) == "walkin"


@pytest.mark.parametrize(
    "text",
    [
        "POSITION",
        "PLACE",
        "where am I",
        "ma place",
        "chu rendu où dans la file?",
        "how many people ahead of me",
    ],
)
def test_queue_position_questions_are_position(text):
    assert intent_of(text) == "position"


@pytest.mark.parametrize(
    "text",
    [
        "QUITTER",
        "leave",
        "leave the queue",
        "je veux sortir de la file",
        "annuler ma place",
        "cancel my spot",
    ],
)
def test_leaving_the_queue_is_cancel_with_walkin_target(text):
    result = understand(text, None, NOW)
    assert (result.intent, result.target) == ("cancel", "walkin")


def test_cancelling_an_appointment_keeps_its_day():
    result = understand("annuler mon rdv de jeudi", "fr", NOW)
    assert (result.intent, result.target, result.date) == ("cancel", "appointment", dt.date(2026, 12, 3))


@pytest.mark.parametrize("text", ["ANNULER", "cancel my appointment", "cancel appt", "Cancel my appointment"])
def test_cancel_requests_are_cancel(text):
    assert intent_of(text) == "cancel"


@pytest.mark.parametrize(
    "text", ["CHANGER", "déplacer mon rdv", "reschedule", "change my appointment", "resceduling please"]
)
def test_change_requests_are_reschedule(text):
    assert intent_of(text) == "reschedule"


@pytest.mark.parametrize("text", ["MES RDV", "my appointments", "mes rendez-vous", "c'est quand mon rdv?"])
def test_listing_requests_are_list(text):
    assert intent_of(text) == "list"


@pytest.mark.parametrize("text", ["?", "comment ça marche", "help me"])
def test_help_requests_are_help(text):
    assert intent_of(text) == "help"


@pytest.mark.parametrize(
    "text",
    [
        "parler à quelqu'un",
        "réceptionniste",
        "agent",
        "a person",
        "operator",
        "human please",
        "je veux parler à une vraie personne",
        # typed without apostrophe, accents or lower case, and texting shorthand
        "PARLER A QUELQU UN",
        "parler a quelqu'un",
        "parler avec quelqu un svp",
        "parler à qqn",
        "PARLER A QQUN",
        "je veux parler a une personne",
        "pouvez-vous me passer quelqu'un",
        "talk to someone",
        "speak to a human",
        "real person",
        "can I talk to somebody",
    ],
)
def test_asking_for_a_human_is_person(text):
    assert intent_of(text) == "person"


@pytest.mark.parametrize(
    "text",
    [
        "oui",
        "Ouin",
        "ouais",
        "yep",
        "correct",
        "d'accord",
        "ok",
        "Parfait!",
        "c'est beau",
        "yes",
        "sure",
        "that works",
        "sounds good",
        "that would be great",
        "Oui merci",
    ],
)
def test_agreement_is_yes(text):
    result = understand(text, "fr", NOW)
    assert (result.intent, result.polarity) == ("yes", "yes")


@pytest.mark.parametrize(
    "text",
    [
        "non",
        "nope",
        "pantoute",
        "pas vraiment",
        "no",
        "not really",
        "that doesn't work",
        "Non merci",
        "chu correct merci",
        "ça marche pas",
    ],
)
def test_refusal_is_no(text):
    result = understand(text, "fr", NOW)
    assert (result.intent, result.polarity) == ("no", "no")


def test_polarity_survives_a_longer_request():
    result = understand("Yes, I'd like to make an appointment around 10:30", "en", NOW)
    assert (result.intent, result.polarity, result.time) == ("book", "yes", dt.time(10, 30))


def test_a_correction_answers_no():
    result = understand("Actually, make it for the 14th instead", "en", NOW)
    assert result.polarity == "no"
    assert result.date == dt.date(2026, 12, 14)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("2", 2),
        ("le 2", 2),
        ("le deuxième", 2),
        ("deux", 2),
        ("option trois", 3),
        ("the second one", 2),
        ("#1", 1),
        ("number 3", 3),
        ("first", 1),
        ("premier", 1),
        ("la 1", 1),
        ("Le 3e svp", 3),
        ("I'll take the first one", 1),
        ("oui le 2", 2),
    ],
)
def test_numbered_choices(text, number):
    result = understand(text, "fr", NOW)
    assert (result.intent, result.choice) == ("choice", number)


@pytest.mark.parametrize("text", ["demain à 2h", "2 personnes", "dans 2 jours", "at 2pm"])
def test_numbers_inside_other_requests_are_not_choices(text):
    result = understand(text, "fr", NOW)
    assert result.intent != "choice"
    assert result.choice is None


@pytest.mark.parametrize(
    ("text", "switch_to"),
    [
        ("ENGLISH", "en"),
        ("anglais", "en"),
        ("FRANÇAIS", "fr"),
        ("FRANCAIS", "fr"),
        ("french", "fr"),
        ("en anglais svp", "en"),
        ("Can we speak in French?", "fr"),
    ],
)
def test_language_requests(text, switch_to):
    result = understand(text, None, NOW)
    assert (result.intent, result.switch_to, result.lang) == ("language", switch_to, switch_to)


@pytest.mark.parametrize(
    "text",
    [
        "chest pain",
        "I can't breathe",
        "thinking about suicide",
        "I want to kill myself",
        "douleur à la poitrine",
        "douleur thoracique",
        "je respire mal",
        "je ne respire plus",
        "je veux mourir",
        "je pense à me suicider",
        "overdose",
        "il saigne beaucoup",
        "je pense que c'est un AVC",
        "my dad is having a stroke",
        "J'ai mal a la poitrine, je veux un rdv demain",
    ],
)
def test_emergencies(text):
    assert intent_of(text) == "emergency"


@pytest.mark.parametrize("text", ["STOP chest pain", "cancel, I can't breathe", "ANNULER je veux mourir"])
def test_emergency_comes_before_everything_even_stop(text):
    assert intent_of(text) == "emergency"


@pytest.mark.parametrize(
    "text",
    [
        "STOP",
        "stop",
        "Stop.",
        "ARRET",
        "ARRÊT",
        "arrêt!",
        "END",
        "QUIT",
        "UNSUBSCRIBE",
        "CANCEL",
        "cancel",
        "STOPALL",
        "OPTOUT",
        "REVOKE",
    ],
)
def test_carrier_opt_out_words_alone_are_stop(text):
    assert intent_of(text) == "stop"


@pytest.mark.parametrize("text", ["START", "unstop", "Start!"])
def test_carrier_opt_in_words_are_start(text):
    assert intent_of(text) == "start"


@pytest.mark.parametrize(("text", "lang"), [("AIDE", "fr"), ("HELP", "en"), ("INFO", "en"), ("aide?", "fr")])
def test_carrier_help_words_and_their_language(text, lang):
    result = understand(text, None, NOW)
    assert (result.intent, result.lang) == ("help", lang)


def test_opt_out_words_inside_a_sentence_are_not_stop():
    assert intent_of("cancel my appointment") == "cancel"
    assert intent_of("can I stop by tomorrow morning?") != "stop"
    assert intent_of("je veux arrêter mes médicaments, je dois voir le médecin") != "stop"
    assert intent_of("I will quit my job, can I get a note from the doctor?") != "stop"


def test_unrelated_messages_are_other():
    assert intent_of("What is the address of the clinic?") == "other"
    assert intent_of("J'ai un cancer de la peau") != "cancel"


def test_every_intent_returned_is_known():
    for text in ["oui", "2", "STOP", "rdv", "hello", "douleur thoracique", "english"]:
        assert intent_of(text) in INTENTS


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("Sorry, could you make it 3 pm instead?", "no"),
        ("Désolé, je voudrais plutôt mardi", "no"),
        ("Possibly later.", "no"),
        ("I'll decide later", "no"),
        ("I'm all good, thanks", "no"),
        ("ça ne me convient pas", "no"),
        ("ça me convient", "yes"),
        ("I would love that", "yes"),
        ("I would like to.", "yes"),
        ("You have it all right", "yes"),
    ],
)
def test_apologies_postponements_and_plain_agreements(text, answer):
    assert understand(text, None, NOW).polarity == answer


@pytest.mark.parametrize(
    "text",
    [
        "i cant come anymore",
        "I can no longer come",
        "I won't be able to make it anymore",
        "je ne peux plus venir",
        "finalement je pourrai plus venir",
        "Je ne pourrai plus me rendre à mon rendez-vous",
        "je me désiste",
        "j'ai un empêchement",
    ],
)
def test_no_longer_coming_is_cancel(text):
    assert intent_of(text) == "cancel"


@pytest.mark.parametrize(
    "text",
    [
        "I can't come before noon",
        "je ne peux pas venir avant 15h",
        "je peux pas venir le matin",
        "i can't come until 4",
    ],
)
def test_a_time_one_cannot_come_limits_a_booking_and_cancels_nothing(text):
    assert intent_of(text) == "book"


@pytest.mark.parametrize(
    "text",
    [
        "peux-tu mettre le rdv de Noé à mardi prochain en pm",
        "pouvez-vous bouger mon rendez-vous à lundi",
        "can you put my appointment on friday",
    ],
)
def test_putting_an_appointment_elsewhere_is_a_change(text):
    assert intent_of(text) == "reschedule"


@pytest.mark.parametrize(
    "text", ["je voudrais mettre un rdv jeudi", "peux-tu me mettre un rendez-vous demain"]
)
def test_putting_down_a_new_appointment_books(text):
    assert intent_of(text) == "book"


@pytest.mark.parametrize(
    "text",
    [
        "aucun ne me convient",
        "aucune de ces heures",
        "aucun de ces moments ne me va",
        "rien ne me convient",
        "none of these work",
        "none work for me",
        "none of them",
    ],
)
def test_none_of_what_was_offered_is_no(text):
    assert understand(text, None, NOW).polarity == "no"


@pytest.mark.parametrize("text", ["ça me convient", "le premier me convient"])
def test_what_suits_is_yes(text):
    assert understand(text, None, NOW).polarity == "yes"


@pytest.mark.parametrize(("text", "answer"), [("y", "yes"), ("Y!", "yes"), ("n", "no"), ("N.", "no")])
def test_a_texted_letter_is_yes_or_no(text, answer):
    assert understand(text, None, NOW).polarity == answer


@pytest.mark.parametrize("text", ["y a-t-il de la place demain", "n'importe quand"])
def test_french_words_of_one_letter_are_no_answer(text):
    assert understand(text, None, NOW).polarity is None


@pytest.mark.parametrize(
    "text",
    [
        "c'est quoi mon code déjà?",
        "what is my confirmation code",
        "quel est mon numéro de confirmation",
        "I lost my code for my appointment",
        "code?",
    ],
)
def test_asking_for_ones_code_is_code(text):
    assert intent_of(text) == "code"


@pytest.mark.parametrize("text", ["mon code postal", "what is your area code", "rdv demain"])
def test_other_codes_are_not_asked_for(text):
    assert intent_of(text) != "code"
