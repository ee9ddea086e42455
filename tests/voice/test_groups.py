"""A family at the walk-in on the phone, as signed Twilio requests with parsed TwiML, in French and English:
the keypad count gives consecutive numbers, a group larger than what is left is offered what is left, the
group's place is told at once, and leaving asks who (one or everyone)."""

from __future__ import annotations

import pytest

from core.models import Clinic, TicketStatus
from core.services import walkin
from core.services.patients import get_or_create_patient
from tests.support.apps import JOHN
from tests.support.arrange import fill_queue, tickets
from tests.voice.test_calls import asked


def mine(rt, phone) -> list[int]:
    with rt.session_factory() as s:
        return [
            t.number
            for t in tickets(rt)
            if s.get(type(t), t.id).patient.phone == phone and t.status == TicketStatus.WAITING
        ]


def english(call):
    call.press("9")
    return call


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_family_of_three_keys_its_size_and_gets_consecutive_numbers(dial, signed_rt, lang):
    fill_queue(signed_rt, 2)
    call = dial(from_=JOHN)
    if lang == "en":
        english(call)
    call.press("2")
    assert asked(call, "walkin_party")
    call.press("3")
    assert mine(signed_rt, JOHN) == [3, 4, 5]
    assert ("3, 4 et 5" if lang == "fr" else "3, 4 and 5") in call.text, call.text
    call.press("1")  # told by SMS
    call.say("sans rendez-vous" if lang == "fr" else "walk-in")  # again: the family's places, at once
    assert asked(call, "walkin_group_already"), call.text
    call.press("2")  # leave: who?
    assert asked(call, "walkin_leave_which"), call.text
    call.press("4")  # everyone (after the three numbers)
    assert mine(signed_rt, JOHN) == []
    assert asked(call, "walkin_left_all"), call.text


def test_eight_on_the_keypad_is_a_count_not_a_slower_voice(dial, signed_rt):
    call = dial(from_=JOHN)
    call.press("2")
    call.press("8")
    assert mine(signed_rt, JOHN) == list(range(1, 9))


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_group_larger_than_the_places_left_is_offered_them_on_the_phone(dial, signed_rt, lang):
    fill_queue(signed_rt, 28)
    call = dial(from_=JOHN)
    if lang == "en":
        english(call)
    call.press("2")
    call.press("4")
    assert mine(signed_rt, JOHN) == []
    assert ("Il reste 2 places" if lang == "fr" else "2 walk-in places are left") in call.text, call.text
    call.press("1")  # yes
    assert mine(signed_rt, JOHN) == [29, 30]


def test_one_of_the_family_leaves_by_the_keypad(dial, signed_rt):
    call = dial(from_=JOHN)
    call.press("2")
    call.say("moi et mes deux enfants")
    assert mine(signed_rt, JOHN) == [1, 2, 3]
    call.press("2")  # told by a call
    call.say("sans rendez-vous")  # already in line: the places, and keep or leave
    call.press("2")  # leave
    call.press("2")  # the second number
    assert mine(signed_rt, JOHN) == [1, 3]
    assert asked(call, "walkin_left_one"), call.text


def test_the_count_question_costs_a_single_caller_a_few_seconds(dial, signed_rt):
    from tests.dialog.test_conversation_voice import spoken_seconds

    call = dial(from_=JOHN)
    call.press("2")
    asked_seconds = spoken_seconds(call.heard)
    assert asked_seconds <= 5, asked_seconds  # "Combien de personnes? Appuyez sur le nombre, de 1 à 8."
    call.press("1")
    assert mine(signed_rt, JOHN) == [1]


def test_the_notice_call_for_a_family_names_its_numbers_and_2_takes_the_whole_family_out(
    client, signed_rt, clock
):
    from core.services import people
    from tests.voice.test_calls import notice_call

    fill_queue(signed_rt, 1)
    with signed_rt.session_factory.begin() as s:
        phone_row = get_or_create_patient(s, JOHN)
        members = [people.first_person(s, phone_row, clock())]
        members.append(people.add_person(s, phone_row, "Zoé", now=clock()))
        first = walkin.join_group(s, s.get(Clinic, "parc"), phone_row, members, "voice", clock(), "call")[
            0
        ].id
    call = notice_call(client, first)
    assert "les numéros 2 et 3" in call.text, call.text
    call.press("2")
    assert mine(signed_rt, JOHN) == []
