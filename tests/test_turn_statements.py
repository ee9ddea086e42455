"""How many SQL statements each kind of turn sends: pinned, so a turn that grows a query fails here.

Every statement is a round trip to the database while Twilio waits and a sync worker is busy. If a change
needs more, it should say why and raise the pin; if it needs fewer, lower the pin.
"""

from __future__ import annotations

import pytest

from clinicline.app import create_app
from tests.support.apps import PARC, TOKEN, signed_runtime
from tests.support.statements import counting
from tests.support.twilio_requests import new_sid, signed_post, sms_form, twiml_root

# Statements per turn on each database (SQLite counts its BEGIN IMMEDIATE). A turn has no savepoint of its
# own: a flow that breaks rolls back the whole transaction and the route answers in a new one (answer_turn).
# What each pays for beyond the turn itself: the answer kept for Twilio's retries, in one INSERT … ON
# CONFLICT at the end (core/replay.py); the conversation, locked, and the patient behind the number are read
# in one statement (core/dialog/store.py); on PostgreSQL one statement per transaction begins it and
# arms its deadline (BEGIN, statement and lock timeouts, and the COMMIT check: core/db.py), which is also
# the pooled connection's liveness check (no separate ping, no driver BEGIN); a call's greeting records
# the call in one INSERT … ON CONFLICT (voicebot/calls.py); an SMS turn's first statement also says whether
# the patient has an open inbox thread (core/dialog/inbox.py reads it only then); a turn that offers
# slots marks them offered (a fair rush: core/services/booking.py, plus an advisory lock on PostgreSQL);
# the booking marks its slot booked and reads it back in one UPDATE … RETURNING (core/services/booking.py)
# and plans its day-before reminder with it: the message row in one INSERT … ON CONFLICT (the clinic's
# number from the clinics cache) and the outbox row that sends it on its day (core/services/notifications.py;
# the OUI is to a slot two days ahead, so its reminder is still to come); the booking is for a
# person of the phone, read (and written the first time) — on PostgreSQL under the phone's row lock, so a
# phone racing itself gets one first person (core/services/people.py).
#
# sms_first_full is the 07:00 rush's first SMS: nothing is open on the day asked, so the offer is searched
# for the day (with the fair-rush spread, then without it), the closure of that day is read, and the first
# slots after it are searched and marked offered. A conversation's first turn has no earlier offer to give
# back, so an empty search sends no UPDATE for it.
PINNED = {
    "sms_first": {"sqlite": 7, "postgresql": 8},
    "sms_first_full": {"sqlite": 10, "postgresql": 11},
    "sms_aide": {"sqlite": 5, "postgresql": 5},
    "voice_greet": {"sqlite": 5, "postgresql": 5},
    "voice_key": {"sqlite": 5, "postgresql": 5},
    "sms_oui": {"sqlite": 15, "postgresql": 16},
}


@pytest.fixture
def line(database_url, clock, tmp_path):
    """The signed app on each database, its runtime, and a supply of fresh phone numbers."""
    rt = signed_runtime(database_url, clock, tmp_path)
    client = create_app(runtime=rt).test_client()
    numbers = iter(f"+1438555{n:04d}" for n in range(1000, 9999))
    yield rt, client, numbers
    rt.dispose()


def text(client, phone: str, body: str) -> str:
    response = signed_post(client, "/sms", sms_form(phone, PARC, body), TOKEN)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def call(client, path: str, phone: str, sid: str, **extra: str) -> str:
    form = {
        "CallSid": sid,
        "From": phone,
        "To": PARC,
        "CallStatus": "ringing",
        "Direction": "inbound",
        **extra,
    }
    response = signed_post(client, path, form, TOKEN)
    assert response.status_code == 200
    twiml_root(response.get_data())
    return response.get_data(as_text=True)


def _fill_tomorrow(rt) -> None:
    """Every slot of the demo clinic's next day is booked."""
    import datetime as dt

    from sqlalchemy import update

    from core.models import Slot, SlotStatus
    from core.timeutil import local_day_bounds, to_local

    tomorrow = to_local(rt.now(), "America/Toronto").date() + dt.timedelta(days=1)
    start, end = local_day_bounds(tomorrow, "America/Toronto")
    with rt.session_factory.begin() as session:
        session.execute(
            update(Slot)
            .where(Slot.clinic_id == "parc", Slot.starts_at >= start, Slot.starts_at < end)
            .values(status=SlotStatus.BOOKED)
        )


def turn_statements(line, kind: str):
    """The statements of one turn of a kind, on a fresh number (earlier turns it needs are not counted)."""
    rt, client, numbers = line
    phone = next(numbers)
    sid = new_sid("CA")
    if kind == "voice_key":
        call(client, "/voice", phone, sid)
    if kind == "sms_oui":
        text(client, phone, "RDV après-demain")
        text(client, phone, "1")
        assert "OUI" in text(client, phone, "Marie Tremblay")
    if kind == "sms_first_full":
        _fill_tomorrow(rt)
    with counting(rt.engine) as seen:
        if kind in ("sms_first", "sms_first_full"):
            text(client, phone, "RDV demain matin")
        elif kind == "sms_aide":
            text(client, phone, "AIDE")
        elif kind == "voice_greet":
            call(client, "/voice", phone, sid)
        elif kind == "voice_key":
            call(client, "/voice/turn?s=1", phone, sid, CallStatus="in-progress", Digits="1")
        elif kind == "sms_oui":
            text(client, phone, "OUI")
    return seen


@pytest.mark.parametrize("kind", list(PINNED))
def test_each_kind_of_turn_sends_no_more_statements_than_pinned(line, kind):
    rt = line[0]
    turn_statements(line, kind)  # the first turn of a process warms its caches: count a later one
    seen = turn_statements(line, kind)
    expected = PINNED[kind][rt.engine.dialect.name]
    assert len(seen) == expected, f"{kind}: {len(seen)} statements (pinned {expected}):\n{seen}"
