"""Arranging a conversation's state (a flow primed by a job) and reading a slot (rows: tests/support/arrange.py)."""

from __future__ import annotations

import datetime as dt

from core.dialog import prime
from core.models import Slot, SlotStatus

THURSDAY = dt.date(2026, 12, 10)
TUESDAY = dt.date(2026, 12, 8)


def primed(runtime, *, channel: str, phone: str, flow: str, data: dict, minutes: int) -> None:
    """A job has put the patient's conversation at the demo clinic into a flow (reminder, notice)."""
    with runtime.session_factory.begin() as session:
        prime(
            session,
            channel=channel,
            conversation_key=phone,
            clinic_id="parc",
            flow=flow,
            data=data,
            now=runtime.now(),
            minutes=minutes,
        )


def offered_local(runtime, patient) -> list[dt.datetime]:
    """The local start of each slot offered to the patient now (the demo clinic's time zone)."""
    from core.timeutil import to_local

    with runtime.session_factory.begin() as session:
        slots = [session.get(Slot, slot_id) for slot_id in patient.state.data["offered"]]
        return [to_local(s.starts_at, "America/Toronto").replace(tzinfo=None) for s in slots]


def slot_status(runtime, slot_id: int) -> SlotStatus:
    with runtime.session_factory.begin() as session:
        return session.get(Slot, slot_id).status
