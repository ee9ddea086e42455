"""Words of asking for other times and of texting or calling have one home, core.language: the dialog reads
`Understanding.more` and `Understanding.notify_by` and keeps no word list of its own for them."""

from __future__ import annotations

import datetime as dt

import pytest

from core.dialog.heard import from_text
from prompts import catalog

NOW = dt.datetime(2026, 12, 1, 9, 0)


@pytest.mark.parametrize(
    "text",
    [
        "autres",
        "autre",
        "d'autres",
        "autres moments",
        "plus tard",
        "suivants",
        "encore",
        "Others",
        "other times",
    ]
    + ["more", "later", "next"],
)
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_asking_for_other_times_is_heard_in_either_language(text, lang):
    assert from_text(text, lang, NOW).more


@pytest.mark.parametrize(
    ("text", "way"),
    [
        ("texto", "sms"),
        ("par texto", "sms"),
        ("message", "sms"),
        ("SMS", "sms"),
        ("texte", "sms"),
        ("text", "sms"),
        ("by text", "sms"),
        ("text message", "sms"),
        ("appel", "call"),
        ("par appel", "call"),
        ("appelez-moi", "call"),
        ("téléphone", "call"),
        ("un appel", "call"),
        ("call", "call"),
        ("by call", "call"),
        ("phone call", "call"),
        ("call me", "call"),
        ("phone", "call"),
    ],
)
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_way_to_be_reached_is_heard_in_either_language(text, way, lang):
    assert from_text(text, lang, NOW).notify_by == way


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_catalogs_keep_no_second_copy_of_these_words(lang):
    assert not {"words_more", "words_sms", "words_call"} & set(catalog(lang))
