"""The conversations that change rows, on SQLite and PostgreSQL: a change keeps the old appointment until
the new one is booked, a corrected name keeps the held slot, a silent caller leaves no callback request."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.models import CallbackRequest, Slot, SlotStatus
from tests.support.apps import MARIE, PARC, TOKEN
from tests.support.arrange import book, booked_starts
from tests.support.households import own_name
from tests.support.twilio_requests import Texter
from tests.voice.walker import Call

THU, MON = dt.date(2026, 12, 10), dt.date(2026, 12, 14)


@pytest.fixture
def rt(any_signed_rt):
    return any_signed_rt


@pytest.fixture
def signed_rt(rt):
    """The app and client of tests/conftest.py, on both databases."""
    return rt


def test_a_change_said_as_a_sentence_keeps_the_old_appointment_until_the_new_one_is_booked(rt, client):
    book(rt, MARIE, day=THU, at=dt.time(10, 0), person="Marie Tremblay")
    marie = Texter(client, TOKEN, MARIE, PARC, max_segments=2)
    marie("je pourrai pas jeudi, tu peux me le changer pour lundi?")
    marie("1")
    assert booked_starts(rt, MARIE) == [dt.datetime.combine(THU, dt.time(10, 0))]
    marie("non")  # not this one after all: nothing moves
    assert booked_starts(rt, MARIE) == [dt.datetime.combine(THU, dt.time(10, 0))]
    marie("lundi après-midi")
    marie("1")
    marie("oui")
    [moved] = booked_starts(rt, MARIE)
    assert moved.date() == MON
    assert moved.hour >= 13


def test_a_corrected_name_keeps_the_held_slot(rt, client, understood):
    understood["non, c'est à mon nom, Julie Côté"] = {"intent": "no", "name": "Julie Côté"}
    marie = Texter(client, TOKEN, MARIE, PARC, max_segments=2)
    marie("RDV jeudi matin")
    marie("1")
    marie("Marie Tremblay")
    marie("non, c'est à mon nom, Julie Côté")
    with rt.session_factory() as session:
        assert len(session.scalars(select(Slot).where(Slot.status == SlotStatus.HELD)).all()) == 1
    marie("oui")
    assert own_name(rt, MARIE) == "Julie Côté"
    assert len(booked_starts(rt, MARIE)) == 1


def test_a_silent_caller_after_hours_leaves_no_callback_request(rt, client, clock):
    clock.set_local(dt.date(2026, 12, 13), dt.time(11, 0))
    call = Call(client, auth_token=TOKEN, from_=MARIE, to=PARC).start()
    while call.state == "gather":
        call.silence()
    assert call.ended
    with rt.session_factory() as session:
        assert session.scalars(select(CallbackRequest)).all() == []
