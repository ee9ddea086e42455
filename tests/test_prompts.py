"""The prompt catalogs: both languages say the same things with the same blanks, and nothing the engine says is missing."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

import prompts
from prompts import LANGS, catalog, placeholders, render

ROOT = Path(__file__).resolve().parents[1]
DIALOG = ROOT / "core" / "dialog"

# Keys the engine builds from a prefix and a value (a flow's purpose, a notice channel, a booking reason).
BUILT_KEYS = {
    "appointments_manage",
    "appointments_cancel",
    "appointments_reschedule",
    "walkin_notice_sms",
    "walkin_notice_call",
    "booked",
    "rescheduled",
}
KEY_FIELDS = {"prompt", "retry", "hints"}
KEY_CALLS = {"Say", "words", "said_any"}
LONG_CLINIC = "Clinique médicale familiale du Plateau-Mont-Royal"
GSM7_BREAKERS = re.compile("[êâîôûëïçœ’«»\u00a0]")


def _variants(value) -> dict[str, object]:
    return value if isinstance(value, dict) else {"any": value}


def _channels(value) -> list[str]:
    """The channels a prompt is written for: a plain string serves both; a table only its variants."""
    if not isinstance(value, dict) or "any" in value:
        return ["sms", "voice"]
    return [c for c in ("sms", "voice") if c in value]


def _templates(value) -> list[str]:
    return [v for v in _variants(value).values() if isinstance(v, str)]


def engine_keys() -> set[str]:
    """Every prompt key written literally in core/dialog: Say("…"), prompt=/retry=/hints="…", words("…")."""
    keys = set()
    for path in DIALOG.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if (
                    name in KEY_CALLS
                    and node.args
                    and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)
                ):
                    keys.add(node.args[0].value)
                for kw in node.keywords:
                    if (
                        kw.arg in KEY_FIELDS
                        and isinstance(kw.value, ast.Constant)
                        and isinstance(kw.value.value, str)
                        and kw.value.value
                    ):
                        keys.add(kw.value.value)
    return keys


def test_both_languages_have_the_same_keys():
    fr, en = catalog("fr"), catalog("en")
    assert sorted(set(fr) - set(en)) == []
    assert sorted(set(en) - set(fr)) == []


@pytest.mark.parametrize("key", sorted(catalog("fr")))
def test_each_key_has_the_same_shape_and_placeholders_in_both_languages(key):
    fr, en = catalog("fr")[key], catalog("en")[key]
    assert type(fr) is type(en), key
    if isinstance(fr, dict):
        assert sorted(fr) == sorted(en), key
        for variant in fr:
            assert placeholders(fr[variant]) == placeholders(en[variant]), f"{key}:{variant}"
    elif isinstance(fr, str):
        assert placeholders(fr) == placeholders(en), key


def test_every_key_the_engine_uses_exists_in_both_languages():
    used = engine_keys() | BUILT_KEYS
    assert len(used) > 100
    for lang in LANGS:
        missing = sorted(k for k in used if k not in catalog(lang))
        assert missing == [], f"{lang}: {missing}"


def test_every_engine_prompt_renders_on_both_channels():
    for lang in LANGS:
        for key in engine_keys() | BUILT_KEYS:
            value = catalog(lang)[key]
            if isinstance(value, list):
                assert value, key
                continue
            for channel in _channels(value):
                template = prompts.text(key, lang, channel)
                values = {name: "x" for name in placeholders(template)}
                assert render(key, lang, channel, **values).strip(), f"{lang}:{key}:{channel}"


def test_no_dialog_prompt_asks_for_a_bare_cancel():
    bare = re.compile(r"\bCANCEL\b(?! APPT)")
    for lang in LANGS:
        for key in engine_keys() | BUILT_KEYS:
            for template in _templates(catalog(lang)[key]):
                assert not bare.search(template), f"{lang}:{key}"


def test_dialog_sms_wording_stays_gsm7():
    for lang in LANGS:
        for key in engine_keys() | BUILT_KEYS:
            value = catalog(lang)[key]
            if isinstance(value, list) or "sms" not in _channels(value):
                continue  # a phone-only prompt (written as a table with only `voice`)
            template = prompts.text(key, lang, "sms")
            assert not GSM7_BREAKERS.search(template), f"{lang}:{key}: {template}"


@pytest.mark.parametrize("lang", LANGS)
def test_help_fits_one_sms_with_a_long_clinic_name(lang):
    text = render(
        "help",
        lang,
        "sms",
        clinic=LONG_CLINIC,
        phone="514-555-0199",
        walkin_short=render("help_walkin_words", lang),
    )
    assert len(text) <= 160, len(text)
    assert "911" in text
    assert "811" in text


def test_people_ahead_reads_naturally_for_none_one_and_many():
    from prompts.format import people_ahead

    assert [people_ahead(n, "fr") for n in (0, 1, 4)] == [
        "personne avant vous",
        "1 personne avant vous",
        "4 personnes avant vous",
    ]
    assert [people_ahead(n, "en") for n in (0, 1, 4)] == [
        "nobody ahead of you",
        "1 person ahead of you",
        "4 people ahead of you",
    ]


@pytest.mark.parametrize(("lang", "word"), [("fr", "automatisé"), ("en", "automated")])
def test_patients_are_told_the_line_is_automated_on_the_phone_and_by_text(lang, word):
    # Law 25: decisions such as "the queue is full" are made without a person; the first words say so.
    for key in ("greeting", "greeting_forwarded"):
        assert word in render(key, lang, "voice", clinic="Clinique du Parc")
    assert word in render("menu", lang, "sms", clinic="Clinique du Parc", walkin="", walkin_short="")


def test_a_value_ending_a_sentence_with_its_own_period_gives_one_period():
    import prompts as catalog

    said = catalog.render("waitlist_joined", "fr", "sms", wish="n'importe quand", until="jeu. 17 déc.")
    assert "jusqu'au jeu. 17 déc. On vous avertit" in said
    assert ".." not in said
    assert catalog.render("waitlist_joined", "fr", "voice", wish="", until="jeu. 17 déc.").count("déc.") == 1
    assert "..." in catalog.render("greeting", "fr", "voice", clinic="Clinique...")  # an ellipsis stays


@pytest.mark.parametrize(
    ("name", "said"),
    [("Eve Roy", "Au nom d'Eve Roy:"), ("Émile", "Au nom d'Émile:"), ("Marc", "Au nom de Marc:")],
)
def test_french_elides_de_before_a_name_that_starts_with_a_vowel(name, said):
    from prompts import render

    assert render("booking_name", "fr", "sms", name=name) == said
    assert render("booking_name", "en", "sms", name=name) == f"For {name}:"


def test_de_before_a_time_keeps_its_e():
    from prompts import render

    assert "de onze heures" in render(
        "spooled_callback_recorded", "fr", "voice", clinic="X", time="onze heures"
    )
