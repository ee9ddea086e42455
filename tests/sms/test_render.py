"""A dialog Reply becomes one compact SMS: the sentences, then the numbered choices, in TwiML."""

from __future__ import annotations

import datetime as dt

from core.dialog.types import Choice, Parts, Reply, Say
from smsbot.reply import reply_text, twiml
from smsbot.routes import MAX_BODY_CHARS, clean_body
from tests.support.twilio_requests import message_texts, twiml_root


def when(day: int, hour: int, minute: int = 0) -> Say:
    return Say("date_at_time", {"date": dt.date(2026, 12, day), "time": dt.time(hour, minute)})


def test_sentences_are_joined_and_choices_numbered_one_per_line():
    reply = Reply(
        says=[
            Say("date_at_time", {"date": "lun.", "time": "9 h"}),
            Say("date_at_time", {"date": "a", "time": "b"}),
        ],
        lang="fr",
        choices=[Choice("1", when(8, 9), "s1"), Choice("2", when(9, 14, 30), "s2")],
        expects="choice",
    )
    assert reply_text(reply) == "lun. à 9 h a à b\n1) mar. 8 déc. à 9 h\n2) mer. 9 déc. à 14 h 30"


def test_dates_and_times_are_written_short_in_the_reply_language():
    reply = Reply(says=[], lang="en", choices=[Choice("1", when(8, 14, 30), "x")])
    assert reply_text(Reply(says=[when(8, 14, 30)], lang="en")) == "Tue Dec 8 at 2:30 PM"
    assert reply_text(reply) == ""  # choices without a sentence are never sent alone


def test_an_aware_instant_is_shown_in_the_clinic_timezone():
    at = dt.datetime(2026, 12, 8, 19, 30, tzinfo=dt.UTC)  # 14:30 in Montréal
    say = Say("sms_choice", {"digit": "1", "label": at})
    assert reply_text(Reply(says=[say], lang="fr"), "America/Toronto") == "1) mar. 8 déc. à 14 h 30"


def test_a_reply_renders_as_one_message_of_a_messaging_response():
    xml = twiml(reply_text(Reply(says=[when(8, 9)], lang="fr"), "America/Toronto"))
    assert message_texts(xml) == ["mar. 8 déc. à 9 h"]


def test_an_empty_reply_is_an_empty_response_so_the_carrier_answers():
    xml = twiml(reply_text(Reply(says=[], lang="fr"), "America/Toronto"))
    root = twiml_root(xml)
    assert list(root) == []


def test_long_bodies_are_capped_at_a_word_boundary():
    body = ("je voudrais un rendez-vous jeudi matin " * 50)[:1600]
    cleaned = clean_body(body)
    assert len(cleaned) <= MAX_BODY_CHARS
    assert cleaned.startswith("je voudrais un rendez-vous jeudi matin")
    assert not cleaned.endswith(" ")
    assert body.startswith(cleaned)


def test_control_characters_and_runs_of_spaces_are_dropped():
    assert clean_body("  RDV\r\n\tjeudi\x00 matin\u2028 ") == "RDV jeudi matin"
    assert clean_body(None) == ""
    assert clean_body("😀" * 1600) == "😀" * MAX_BODY_CHARS


def test_a_sentence_may_be_written_in_the_other_language():
    english = Say("date_at_time", {"date": dt.date(2026, 12, 8), "time": dt.time(9)}, lang="en")
    assert (
        reply_text(Reply(says=[when(8, 9), english], lang="fr")) == "mar. 8 déc. à 9 h Tue Dec 8 at 9:00 AM"
    )


def test_keypad_only_choices_are_left_out_of_a_text():
    reply = Reply(
        says=[Say("date_at_time", {"date": "lun.", "time": "9 h"})],
        lang="fr",
        choices=[
            Choice("1", Say("menu_book"), "book", keypad_only=True),
            Choice("2", when(8, 9), "s2"),
        ],
        expects="choice",
    )
    assert reply_text(reply) == "lun. à 9 h\n2) mar. 8 déc. à 9 h"


def test_a_phone_number_given_raw_is_written_for_the_eye():
    reply = Reply(says=[Say("sorry_error", {"phone": "+15145550199"})], lang="fr")
    assert "514-555-0199" in reply_text(reply)
    assert "+1" not in reply_text(reply)


def test_parts_composed_by_a_flow_are_worded_then_joined():
    limits = Parts(
        (Say("limit_day", {"date": dt.date(2026, 12, 11)}), Say("limit_before", {"time": dt.time(12)}))
    )
    reply = Reply(says=[Say("slots_none_within", {"limit": limits})], lang="fr")
    text = reply_text(reply)
    assert "ven. 11 déc., avant 12 h" in text, text


def test_a_composed_part_keeps_its_own_spaces():
    km = Say("elsewhere_km", {"km": 4})
    reply = Reply(says=[Say("date_at_time", {"date": "Clinique du Parc", "time": km})], lang="fr")
    assert reply_text(reply) == "Clinique du Parc à  (4 km)"
