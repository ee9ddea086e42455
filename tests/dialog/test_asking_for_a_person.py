"""Asking for a person however it is typed or said: no apostrophe, capitals, no accents, texting shorthand.

By SMS the clinic's inbox takes the conversation; on the phone (the clinic open, Monday 09:00) the call is
transferred to the reception. Never the menu instead.
"""

from __future__ import annotations

import pytest

ASKING = [
    "PARLER A QUELQU UN",
    "parler a quelqu'un",
    "parler à qqn",
    "je veux parler a une personne",
    "Je peux parler avec quelqu un svp",
    "talk to someone",
    "speak to a human",
    "real person",
    "can I talk to somebody",
]


@pytest.mark.parametrize("asking", ASKING)
def test_asking_for_a_person_by_text_reaches_the_inbox(texter, asking):
    texter.send(asking)
    assert texter.keys == ["inbox_opened"], texter.text


@pytest.mark.parametrize("asking", ASKING)
def test_asking_for_a_person_at_the_greeting_of_a_call_transfers_it(caller, asking):
    caller.call()
    caller.send(asking)
    assert caller.keys == ["transfer"], caller.text
