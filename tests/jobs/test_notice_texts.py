"""The notice texts: both languages alike, GSM-7, and within two SMS segments with long names and dates."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pytest

from prompts import placeholders, render, text
from prompts.format import format_when
from smsbot.segments import offending_characters, segments

CATALOGS = Path(__file__).resolve().parents[2] / "prompts"
SMS_KEYS = [
    "notice_booked",
    "notice_cancelled",
    "notice_rescheduled",
    "notice_reminder",
    "notice_reminder_early",
    "notice_queue_near",
    "notice_queue_next",
    "notice_called",
]


def notices(lang: str) -> dict:
    return tomllib.loads((CATALOGS / lang / "notices.toml").read_text(encoding="utf-8"))


def test_both_languages_have_the_same_notice_keys_and_placeholders():
    fr, en = notices("fr"), notices("en")
    assert fr.keys() == en.keys()
    for key in fr:
        french = fr[key] if isinstance(fr[key], str) else " ".join(fr[key].values())
        english = en[key] if isinstance(en[key], str) else " ".join(en[key].values())
        assert placeholders(french) == placeholders(english), key


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("key", SMS_KEYS)
def test_sms_notices_stay_gsm7_within_two_segments(lang, key):
    longest_date = dt.datetime(2026, 9, 30, 12, 30)  # "mer. 30 sept. à 12 h 30"
    text = render(
        key,
        lang,
        "sms",
        clinic="Clinique médicale familiale du Centre-Sud",
        when=format_when(longest_date, lang, "sms"),
        practitioner="Dre Geneviève Tremblay-Lafontaine",
        code="123456",
        number=30,
        ahead=29,
        minutes=435,
    )
    assert offending_characters(text) == ""
    assert segments(text).segments <= 2


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_no_notice_asks_anyone_to_reply_cancel(lang):
    for key in SMS_KEYS:
        assert "CANCEL" not in text(key, lang, "sms"), key  # the SMS wording, whatever the catalog's shape
