"""A conversation the patient left in the middle (a caller hung up): nothing it held stays held."""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.services import booking


def abandon(session: Session, conversation_key: str, clinic_id: str, channel: str) -> int:
    """Give back every slot this conversation holds or was offered, at once rather than when the hold runs
    out; returns how many were held."""
    holder = booking.holder_id(channel, clinic_id, conversation_key)
    booking.release_offers(session, holder)
    return booking.release_holds_of(session, holder)
