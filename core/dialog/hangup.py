"""A conversation the patient left in the middle (a caller hung up): nothing it held stays held."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from core.models import Slot, SlotStatus


def holder_id(channel: str, clinic_id: str, conversation_key: str) -> str:
    """The id a conversation holds slots under (the same as the dialog's Turn.holder)."""
    return f"{channel}:{clinic_id}:{conversation_key}"[:80]


def abandon(session: Session, conversation_key: str, clinic_id: str, channel: str) -> int:
    """Give back every slot this conversation holds, at once rather than when the hold runs out; returns how many."""
    result = session.execute(
        update(Slot)
        .where(
            Slot.status == SlotStatus.HELD, Slot.held_by == holder_id(channel, clinic_id, conversation_key)
        )
        .values(status=SlotStatus.FREE, held_by=None, held_until=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount
