"""The seam between schedule changes and the waiting list: slots that just opened are offered on.

The waiting list (core.services.waitlist.slots_opened) takes these over once it lands; until then nothing
is offered, and callers need not change.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session


def slots_opened(session: Session, clinic_id: str, slot_ids: list[int], now: dt.datetime) -> None:
    """Slots of a clinic became free (extra time, cancellations): offer them to the waiting list."""
    return None
