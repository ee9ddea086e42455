"""Conversation rows: the dialog state of one patient on one channel with one clinic, with an expiry."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from core.flows import Flow
from core.models import Channel, Conversation
from core.sql import built

VERSION = 1


def fresh_state() -> dict:
    """The state of a conversation that has not started (no question pending)."""
    return {"v": VERSION}


def pending(state: dict) -> bool:
    """Whether a question was waiting for an answer."""
    return bool(state.get("q"))


_FIND = (
    select(Conversation)
    .where(
        Conversation.channel == bindparam("channel"),
        Conversation.phone == bindparam("key"),
        Conversation.clinic_id == bindparam("clinic_id"),
    )
    .with_for_update()
)
_TABLE = Conversation.__table__


def _upsert(insert):
    statement = insert(_TABLE)
    fresh = {name: statement.excluded[name] for name in ("state", "updated_at", "expires_at")}
    return statement.on_conflict_do_update(index_elements=["channel", "phone", "clinic_id"], set_=fresh)


def find(session: Session, channel: str, key: str, clinic_id: str) -> Conversation | None:
    """The conversation row of a patient on a channel with a clinic, if any, locked for this turn.

    Two messages of one patient arriving together take turns instead of both answering the same question.
    """
    return session.scalar(_FIND, {"channel": Channel(channel), "key": key, "clinic_id": clinic_id})


def load(
    session: Session, channel: str, key: str, clinic_id: str, now: dt.datetime
) -> tuple[Conversation | None, dict, bool]:
    """(row, state, expired): an idle or unknown-version conversation starts fresh; `expired` says a question was lost."""
    row = find(session, channel, key, clinic_id)
    if row is None:
        return None, fresh_state(), False
    state = dict(row.state or {})
    if state.get("v") != VERSION:
        return row, fresh_state(), False
    if row.expires_at <= now:
        return row, fresh_state(), pending(state)
    return row, state, False


def save(
    session: Session,
    row: Conversation | None,
    *,
    channel: str,
    key: str,
    clinic_id: str,
    state: dict,
    now: dt.datetime,
    minutes: int,
) -> None:
    """Store the state; the conversation stays alive `minutes` from now.

    Without a row (a first turn), one INSERT … ON CONFLICT DO UPDATE: a concurrent first turn that created
    the row meanwhile is overwritten, as the later of two turns always is.
    """
    expires = now + dt.timedelta(minutes=minutes)
    if row is not None:
        row.state = dict(state)
        row.updated_at = now
        row.expires_at = expires
        return
    values = {
        "channel": Channel(channel),
        "phone": key,
        "clinic_id": clinic_id,
        "state": dict(state),
        "updated_at": now,
        "expires_at": expires,
    }
    session.execute(built(session, _upsert), values)


def prime(
    session: Session,
    *,
    channel: str,
    conversation_key: str,
    clinic_id: str,
    flow: Flow,
    data: dict,
    now: dt.datetime,
    minutes: int,
) -> None:
    """Put a conversation into a flow (Flow.REMINDER, Flow.QUEUE_NOTICE…) so the next turn is read in its context."""
    from core.dialog.engine import primed_state

    row = find(session, channel, conversation_key, clinic_id)
    lang = (row.state or {}).get("lang") if row is not None else None
    save(
        session,
        row,
        channel=channel,
        key=conversation_key,
        clinic_id=clinic_id,
        state=primed_state(flow, data, lang),
        now=now,
        minutes=minutes,
    )
