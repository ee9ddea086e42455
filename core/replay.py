"""Answering a retried webhook once: claim its event key first, remember the answer for the retries.

Twilio may deliver the same event again (a timeout, an I-Twilio-Idempotency-Token retry) while the first
delivery is still being answered. The route claims the key in its transaction before it acts; a second
delivery of the key waits on the first one's row, then finds its answer instead of acting again.
"""

from __future__ import annotations

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from core.models import ProcessedEvent, utcnow
from core.sql import built

EVENTS = ProcessedEvent.__table__  # plain table statements: no ORM bookkeeping for a row nobody loads


def _claim(insert):
    return (
        insert(EVENTS)
        .values(key=bindparam("key"), response="", at=bindparam("at"))
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(EVENTS.c.key)
    )


_RESPONSE = select(EVENTS.c.response).where(EVENTS.c.key == bindparam("key"))
_REMEMBER = (
    update(EVENTS).where(EVENTS.c.key == bindparam("event_key")).values(response=bindparam("response"))
)


def claim_event(session: Session, key: str) -> str | None:
    """None when this transaction now owns the event; else what was (or is being) answered to it.

    One INSERT … ON CONFLICT DO NOTHING: on PostgreSQL it waits for a concurrent first delivery to commit
    (or roll back), on SQLite the write lock already serialises deliveries.
    """
    claimed = session.execute(built(session, _claim), {"key": key, "at": utcnow()}).first()
    if claimed is not None:
        return None
    return replayed_response(session, key) or ""


def replayed_response(session: Session, key: str) -> str | None:
    """What we answered the first time this event reached us, if it did."""
    return session.scalar(_RESPONSE, {"key": key})


def remember_response(session: Session, key: str, response: str) -> None:
    """Keep the answer of a claimed event so a retry of it gets the same words without acting twice."""
    session.execute(_REMEMBER, {"event_key": key, "response": response})
