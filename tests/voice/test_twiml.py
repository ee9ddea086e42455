"""A dialog Reply rendered as TwiML: gathers that always come back, transfers, goodbyes, words for the ear."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

import prompts
from core.dialog.types import Choice, Parts, Reply, Say
from tests.voice.walker import check_twiml
from voicebot.twiml import bilingual_goodbye, render_reply, spoken_phone

URLS = dict(turn_url="/voice/turn?s=2", silence_url="/voice/silence?s=2", transfer_url="/voice/transfer?s=2")
TEST_PROMPTS = {
    "fr": {
        "t_menu": "Que puis-je faire pour vous?",
        "t_book": "Pour prendre un rendez-vous",
        "t_walkin": "Pour le sans rendez-vous",
        "t_person": "Pour parler à quelqu'un",
        "t_english": "For English",
        "t_code": "Votre code est {code}.",
        "t_phone": "J'ai noté le {phone}.",
        "t_when": "C'est {when}.",
        "t_ask_phone": "Entrez votre numéro, puis le carré.",
    },
    "en": {
        "t_menu": "How can I help you?",
        "t_book": "To book an appointment",
        "t_walkin": "For the walk-in clinic",
        "t_person": "To speak with someone",
        "t_english": "For English",
        "t_code": "Your code is {code}.",
        "t_phone": "I have {phone}.",
        "t_when": "It is {when}.",
        "t_ask_phone": "Enter your number, then the pound key.",
    },
}


@pytest.fixture(autouse=True)
def test_prompts(monkeypatch):
    """The renderer's tests use their own prompt keys: they test the adapter, not the dialog's words."""
    real = prompts.catalog

    def catalog(lang):
        return {**real(lang), **TEST_PROMPTS[lang]}

    monkeypatch.setattr(prompts, "catalog", catalog)


def menu(lang="fr") -> Reply:
    return Reply(
        says=[Say("t_menu")],
        lang=lang,
        choices=[
            Choice("1", Say("t_book"), "book"),
            Choice("2", Say("t_walkin"), "walkin"),
            Choice("0", Say("t_person"), "person"),
            Choice("9", Say("t_english", lang="en"), "english"),
        ],
        expects="choice",
        hints=["rendez-vous", "sans rendez-vous", "English"],
        max_digits=1,
    )


def test_a_question_is_a_gather_with_the_choices_inside_then_a_redirect_for_silence():
    root = check_twiml(render_reply(menu(), **URLS))
    gather, redirect = list(root)
    assert gather.tag == "Gather"
    assert redirect.tag == "Redirect"
    assert gather.attrib["input"] == "dtmf speech"
    assert gather.attrib["action"] == "/voice/turn?s=2"
    assert gather.attrib["method"] == "POST"
    assert gather.attrib["language"] == "fr-CA"
    assert gather.attrib["speechTimeout"] == "3"
    assert gather.attrib["timeout"] == "6"
    assert gather.attrib["numDigits"] == "1"
    assert gather.attrib["finishOnKey"] == ""  # '#' is a key of its own in a menu ("skip")
    assert gather.attrib["actionOnEmptyResult"] == "false"
    assert gather.attrib["hints"] == "rendez-vous, sans rendez-vous, English"
    said = [say.text for say in gather]
    assert said[0] == "Que puis-je faire pour vous?"
    assert "Pour prendre un rendez-vous, appuyez sur 1." in said
    assert "Pour parler à quelqu'un, appuyez sur 0." in said
    assert said[-1] == "For English, press 9."  # the last choice: * is not explained after every menu
    assert redirect.text == "/voice/silence?s=2"
    assert redirect.attrib["method"] == "POST"


def test_the_reply_that_opens_a_call_ends_with_the_star_hint_inside_the_gather():
    opening = replace(menu(), says=[Say("greeting", {"clinic": "Clinique du Parc"}), Say("t_menu")])
    gather = check_twiml(render_reply(opening, **URLS))[0]
    said = [say.text for say in gather]
    assert said[0] == "Bonjour, Clinique du Parc, service automatisé."
    assert said[-1] == "Pour réécouter, appuyez sur étoile."


def test_a_switch_of_language_says_the_star_hint_again_in_the_new_language():
    switched = replace(menu("en"), says=[Say("language_set"), Say("t_menu")])
    said = [say.text for say in check_twiml(render_reply(switched, **URLS))[0]]
    assert said[-1] == "To hear this again, press star."


def test_french_is_read_by_a_quebec_voice_and_english_offered_in_english():
    gather = check_twiml(render_reply(menu(), **URLS))[0]
    voices = {say.text: (say.attrib["voice"], say.attrib["language"]) for say in gather}
    assert voices["Que puis-je faire pour vous?"] == ("Polly.Gabrielle-Neural", "fr-CA")
    assert voices["For English, press 9."] == ("Polly.Joanna-Neural", "en-US")


def test_english_replies_listen_in_english():
    gather = check_twiml(render_reply(menu("en"), **URLS))[0]
    assert gather.attrib["language"] == "en-US"
    assert {say.attrib["voice"] for say in gather} == {"Polly.Joanna-Neural"}
    assert [say.text for say in gather][1] == "To book an appointment, press 1."


def test_a_phone_number_is_gathered_until_the_pound_key_without_a_digit_limit():
    reply = Reply(says=[Say("t_ask_phone")], lang="fr", expects="phone", max_digits=10)
    gather = check_twiml(render_reply(reply, **URLS))[0]
    assert "numDigits" not in gather.attrib
    assert gather.attrib["finishOnKey"] == "#"


def test_the_end_of_a_call_says_goodbye_and_hangs_up():
    reply = Reply(says=[Say("voice_transfer_done")], lang="fr", ends=True)
    root = check_twiml(render_reply(reply, **URLS))
    assert [v.tag for v in root] == ["Say", "Hangup"]


def test_a_reply_that_expects_nothing_ends_the_call_rather_than_leaving_silence():
    reply = Reply(says=[Say("voice_transfer_done")], lang="en")
    assert [v.tag for v in check_twiml(render_reply(reply, **URLS))] == ["Say", "Hangup"]


def test_a_transfer_dials_the_reception_and_comes_back_to_us_when_nobody_answers():
    reply = Reply(says=[Say("t_person")], lang="fr", transfer_to="+15145550199")
    root = check_twiml(render_reply(reply, **URLS))
    say, dial = list(root)
    assert dial.tag == "Dial"
    assert dial.text == "+15145550199"
    assert dial.attrib["action"] == "/voice/transfer?s=2"
    assert dial.attrib["method"] == "POST"
    assert 15 <= int(dial.attrib["timeout"]) <= 30


def test_codes_are_read_digit_by_digit_and_phone_numbers_in_groups():
    reply = Reply(
        says=[Say("t_code", {"code": "482193"}), Say("t_phone", {"phone": "+15145551234"})],
        lang="fr",
        ends=True,
    )
    said = [say.text for say in check_twiml(render_reply(reply, **URLS)) if say.tag == "Say"]
    assert said == ["Votre code est 4, 8, 2, 1, 9, 3.", "J'ai noté le 5 1 4, 5 5 5, 1 2 3 4."]
    assert spoken_phone("+33142685300") == "3, 3, 1, 4, 2, 6, 8, 5, 3, 0, 0"


def test_dates_and_times_given_as_values_are_spoken_not_written():
    reply = Reply(says=[Say("t_when", {"when": dt.datetime(2026, 12, 1, 14, 30)})], lang="fr", ends=True)
    say = check_twiml(render_reply(reply, **URLS))[0]
    assert say.text == "C'est mardi premier décembre à quatorze heures trente."


def test_markup_in_values_is_spoken_as_text_never_as_twiml():
    reply = Reply(says=[Say("t_phone", {"phone": "</Say><Hangup/>"})], lang="fr", ends=True)
    root = check_twiml(render_reply(reply, **URLS))
    assert [v.tag for v in root] == ["Say", "Hangup"]
    assert "<Hangup/>" in root[0].text


def test_the_fixed_apology_is_french_first_then_english_with_911_and_811():
    root = check_twiml(bilingual_goodbye("voice_application_error"))
    fr, en, hangup = list(root)
    assert fr.attrib["language"] == "fr-CA"
    assert en.attrib["language"] == "en-US"
    assert "9-1-1" in fr.text
    assert "8-1-1" in fr.text
    assert "9-1-1" in en.text
    assert "8-1-1" in en.text
    assert hangup.tag == "Hangup"


def test_the_walker_refuses_what_twilio_would_not_know():
    with pytest.raises(AssertionError, match="unknown attributes"):
        check_twiml('<Response><Say voicee="x">hi</Say></Response>')
    with pytest.raises(AssertionError, match="followed by a <Redirect>"):
        check_twiml('<Response><Gather input="dtmf"><Say>hi</Say></Gather></Response>')
    with pytest.raises(AssertionError, match="never 'auto'"):
        check_twiml(
            '<Response><Gather input="speech" language="fr-CA" speechTimeout="auto"/>'
            "<Redirect>/voice/silence</Redirect></Response>"
        )
    with pytest.raises(AssertionError, match="not allowed"):
        check_twiml("<Response><Play>x.mp3</Play></Response>")


def test_keypad_only_choices_are_said_on_the_phone():
    reply = Reply(
        says=[Say("t_menu")],
        lang="fr",
        choices=[Choice("1", Say("t_book"), "book", keypad_only=True)],
        expects="choice",
    )
    gather = check_twiml(render_reply(reply, **URLS))[0]
    said = [say.text for say in gather if say.tag == "Say"]
    assert said[0] == "Que puis-je faire pour vous?"
    assert "Pour prendre un rendez-vous" in said[1]
    assert "1" in said[1]


def test_a_composed_part_is_said_with_its_own_values_spoken():
    part = Say("t_when", {"when": dt.datetime(2026, 12, 1, 14, 30)})
    reply = Reply(says=[Say("t_phone", {"phone": Parts((part,))})], lang="fr", ends=True)
    say = check_twiml(render_reply(reply, **URLS))[0]
    assert say.text == "J'ai noté le C'est mardi premier décembre à quatorze heures trente.."[:-1]
