"""Accent folding has one home (core.language.normalize.fold): understanding, the dialog's own keywords,
names and postal areas all fold text the same way."""

from __future__ import annotations

import datetime as dt

import pytest

from core.dialog.heard import from_text
from core.federation.places import fsa_in_text
from core.language.elsewhere import asks_elsewhere
from core.language.normalize import fold
from core.models import Person
from core.services.people import find_by_name, named_in
from prompts.segments import gsm_fold, is_gsm7

NOW = dt.datetime(2026, 12, 1, 9, 0)


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Léa", "lea"),
        ("MARIE-ÈVE  Côté", "marie-eve cote"),
        ("l’hôpital", "l'hopital"),
        ("  Ça\u00a0va ", "ca va"),
        ("François", "francois"),
    ],
)
def test_folding_lowers_strips_accents_straightens_quotes_and_spaces(raw, folded):
    assert fold(raw) == folded


def test_what_the_patient_said_is_folded_by_the_same_rule():
    said = "Une autre clinique, s’il vous plaît"
    assert from_text(said, "fr", NOW).folded == fold(said)


def test_another_clinic_is_heard_with_accents_and_a_curly_apostrophe():
    assert asks_elsewhere("Un RDV AILLEURS s’il vous plaît")
    assert asks_elsewhere("une autre clinique")


def test_a_name_is_found_whatever_its_accents_and_case():
    lea = Person(first_name="Léa", last_name="Côté")
    marc = Person(first_name="Marc", last_name=None)
    assert find_by_name([lea, marc], "LEA COTE") is lea
    assert find_by_name([lea, marc], "lea") is lea
    assert named_in([lea, marc], "annuler le RDV de Lea") == [lea]
    assert named_in([lea, marc], "Marc’s appointment") == [marc]


def test_a_postal_area_said_with_accents_is_read():
    assert fsa_in_text("près de H2X 1Y4") == "H2X"


def test_a_name_in_an_sms_keeps_only_the_accents_gsm7_has():
    name = gsm_fold("Marie-Ève O’Brien-Côté")
    assert name == "Marie-Eve O'Brien-Coté"
    assert is_gsm7(name)
