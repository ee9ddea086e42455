"""Whom a booking is for, said before anything else ("pour ma fille Léa") or while the day is asked: kept,
the same on both channels, so neither asks the caller's own name nor "for whom?"."""

from __future__ import annotations

import pytest

from tests.dialog.test_households import booked_for


def _to_read_back(patient, channel: str) -> None:
    """Today, then the first slot offered, as each channel answers it."""
    if channel == "voice" and patient.state.question == "book_day":
        patient.press("1")
    patient.press("1") if channel == "voice" else patient.send("1")


@pytest.mark.parametrize("channel", ["sms", "voice"])
@pytest.mark.parametrize(
    ("first", "named"),
    [
        ("pour ma fille Léa", "Léa"),
        ("c'est pour mon fils Marc Roy", "Marc Roy"),
        ("for my daughter Lea", "Lea"),
        ("it's for my mother, Rita Roy", "Rita Roy"),
    ],
)
def test_the_person_said_first_is_the_one_booked(patient_factory, runtime, channel, first, named):
    patient = patient_factory(channel=channel)
    if channel == "voice":
        patient.call()
    patient.send(first)
    assert patient.state.question in ("book_day", "book_pick"), patient.keys
    _to_read_back(patient, channel)
    assert patient.state.question == "book_confirm", patient.keys
    assert "ask_name" not in patient.keys
    patient.press("1") if channel == "voice" else patient.send("oui")
    assert [name for name, _ in booked_for(runtime)] == [named]


@pytest.mark.parametrize("channel", ["sms", "voice"])
def test_the_person_said_while_the_day_is_asked_is_kept(patient_factory, runtime, channel):
    patient = patient_factory(channel=channel)
    if channel == "voice":
        patient.call()
        patient.press("1")  # book
        assert patient.state.question == "book_day"
    else:
        patient.send("RDV")
        assert patient.state.question == "book_pick"
    question = patient.state.question
    patient.send("c'est pour ma fille Léa")
    assert patient.state.question == question, patient.keys
    assert patient.state.data["name"] == "Léa"
    _to_read_back(patient, channel)
    assert patient.state.question == "book_confirm", patient.keys
    patient.press("1") if channel == "voice" else patient.send("oui")
    assert [name for name, _ in booked_for(runtime)] == ["Léa"]


@pytest.mark.parametrize("said", ["pour moi", "merci", "bonjour"])
def test_words_that_name_no_one_else_still_get_the_menu(patient_factory, runtime, said):
    patient = patient_factory(channel="voice")
    patient.call()
    patient.send(said)
    assert patient.state.question in ("menu", None), patient.keys
