"""The first words of a call name whom the call is for: "pour ma fille Léa" said at the greeting is kept for
the booking, as the same words by SMS are (one dialog engine); the caller is never asked their own name."""

from __future__ import annotations

import pytest

from tests.dialog.test_households import booked_for, seed
from tests.support.apps import WESTMOUNT


@pytest.mark.parametrize(
    ("said", "to", "read_back", "booked"),
    [
        ("pour ma fille Léa", None, "au nom de Léa", "Léa"),
        ("c'est pour mon fils Marc Roy", None, "au nom de Marc Roy", "Marc Roy"),
        ("Pour ma mère, Rita Roy.", None, "au nom de Rita Roy", "Rita Roy"),
        ("for my daughter Lea", WESTMOUNT, "for Lea", "Lea"),
        ("it's for my son Liam Roy", WESTMOUNT, "for Liam Roy", "Liam Roy"),
    ],
)
def test_a_person_named_at_the_greeting_is_kept_for_the_booking(dial, signed_rt, said, to, read_back, booked):
    call = dial(to=to) if to else dial()
    call.say(said)
    call.press("1")  # the day: today
    call.press("1")  # the first slot
    assert read_back in call.text, call.text
    assert "quel nom" not in call.text, call.text
    assert "your name" not in call.text, call.text
    call.press("1")
    assert [name for name, _ in booked_for(signed_rt)] == [booked]


def test_a_known_person_named_at_the_greeting_is_not_asked_for_again(dial, signed_rt):
    seed(signed_rt, ["Julie Tremblay", "Léa Tremblay"])
    call = dial()
    call.say("c'est pour Léa")
    call.press("1")
    call.press("1")
    assert "au nom de Léa Tremblay" in call.text, call.text
    assert "Pour qui" not in call.text, call.text
    call.press("1")
    assert [name for name, _ in booked_for(signed_rt)] == ["Léa Tremblay"]
