"""Answering a retried webhook once: the answer is kept under the event's key in the turn's own transaction.

Twilio may deliver the same event again (a timeout, an I-Twilio-Idempotency-Token retry), even while the
first delivery is still being answered. `answer_once` runs the route's turn and, as its last statement,
writes the rendered answer under the event key (INSERT … ON CONFLICT DO NOTHING). When a twin delivery
has already written that key, the whole transaction rolls back (nothing the retry did is kept) and the
twin's answer is given instead. On PostgreSQL the INSERT waits for a twin still in flight to commit or
roll back; on SQLite the write lock already serialises deliveries. A twin usually meets the first one
earlier, on the conversation's row lock, and then takes its turn after it.

One statement per turn for the replay, where claiming first and remembering last took two.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from core.jobs import outbox
from core.models import ProcessedEvent, utcnow
from core.sql import built

EVENTS = ProcessedEvent.__table__  # plain table statements: no ORM bookkeeping for a row nobody loads


def _keep(insert):
    return (
        insert(EVENTS)
        .values(key=bindparam("key"), response=bindparam("response"), at=bindparam("at"))
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(EVENTS.c.key)
    )


_RESPONSE = select(EVENTS.c.response).where(EVENTS.c.key == bindparam("key"))


class _Twin(Exception):
    """A twin delivery answered this event first: roll back, give its answer."""

    def __init__(self, response: str):
        super().__init__("event already answered")
        self.response = response


def keep_response(session: Session, key: str, response: str) -> bool:
    """Keep the answer to an event for its retries; False when a twin delivery already kept one."""
    kept = session.execute(built(session, _keep), {"key": key, "response": response, "at": utcnow()})
    return kept.first() is not None


def replayed_response(session: Session, key: str) -> str | None:
    """What we answered the first time this event reached us, if it did."""
    return session.scalar(_RESPONSE, {"key": key})


def answer_once(runtime, key: str | None, respond: Callable):
    """`respond(session) -> (answer, outcome)` in one transaction, answered once per event key.

    The outcome's effects are written as outbox rows in that transaction, and the dispatcher is woken
    once it has committed (core.jobs.outbox) — only for the delivery that keeps its answer. Returns
    (answer, outcome), or (the first answer, None) for a twin delivery. A delivery that fails on a unique
    index while a twin has answered gets the twin's answer too; any other failure (the database down or
    hanging) goes up to the route at once.
    """
    from core.dialog import answer_turn  # the dialog's retry of a broken flow; core.dialog is heavy

    def attempt():
        try:
            with runtime.session_factory.begin() as session:
                answer, outcome = respond(session)
                if key is not None and not keep_response(session, key, answer):
                    raise _Twin(replayed_response(session, key) or "")
                if outcome is not None:
                    outbox.add_effects(session, outcome.effects, runtime.now())
        except _Twin as twin:
            return twin.response, None
        return answer, outcome

    try:
        answer, outcome = answer_turn(attempt)
    except IntegrityError:  # a unique index met a twin's rows: only then is the twin's answer looked for
        answered = _answered(runtime.session_factory, key) if key is not None else None
        if answered is None:
            raise
        return answered, None
    if outcome is not None and outcome.effects:
        outbox.kick(runtime)  # the rows are committed
    return answer, outcome


def _answered(session_factory, key: str) -> str | None:
    """The kept answer of an event, read on its own (None when there is none, or no database)."""
    try:
        with session_factory() as session:
            return replayed_response(session, key)
    except SQLAlchemyError:
        return None
