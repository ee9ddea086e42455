"""Slots that open up: a cancellation, a move, an absence's appointments cancelled elsewhere, extra time.

One place to say so, in the transaction that freed them, so the waiting list can be offered them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session


def slots_opened(session: Session, clinic_id: str, slot_ids: list[int], now: dt.datetime) -> None:
    """Tell the waiting list that these slots of a clinic are free to book again (or new).

    Writes one outbox job per slot in the caller's transaction (core/services/waitlist.py makes the offers).
    """
    if not slot_ids:
        return
    from core.services import waitlist  # waitlist books through core.services.booking, which calls this

    waitlist.slots_opened(session, clinic_id, list(slot_ids), now)
