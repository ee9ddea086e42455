"""The one dialog engine both channels share: flows in core/dialog, words in prompts/, Twilio in the adapters.

advance(state, inbound, ctx) -> Outcome      one dialog step over the caller's session
run_turn(session, channel=…, …) -> Outcome   one webhook's turn: load the conversation, advance it, save it
prime(session, channel=…, flow=…, …)         a job puts a conversation into a flow before it sends

The route owns the transaction: it claims the event (core.replay), resolves the clinic, calls run_turn,
renders the reply, remembers the rendered answer, writes the outcome's effects as outbox rows
(core.jobs.outbox) and commits; then it wakes the dispatcher.
"""

from __future__ import annotations

import datetime as dt
import logging
from contextvars import ContextVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from core.config import Config
from core.dialog import (  # noqa: F401  (flows register)
    appointments,
    book,
    late,
    menu,
    people,
    primed,
    store,
    waitlist,
    walkin,
)
from core.dialog.engine import advance
from core.dialog.state import DialogState
from core.dialog.store import prime
from core.dialog.types import Context, Inbound, Outcome, Reply, Say
from core.models import Clinic
from core.sql import again_on_disconnect

__all__ = ["advance", "answer_turn", "prime", "run_turn"]

log = logging.getLogger(__name__)

# Set while answer_turn runs a turn again after a flow broke: run_turn then apologises instead.
_APOLOGISE: ContextVar[bool] = ContextVar("clinicline_turn_apologise", default=False)


class TurnBroke(Exception):
    """A flow broke: its whole transaction rolls back, and answer_turn runs the turn again, apologising."""


def answer_turn(work):
    """A route's turn transaction, `work()`, tried once more when it must be.

    When its connection turned out dead (core.sql.again_on_disconnect). And when a flow broke: the broken
    transaction rolled back with everything the flow wrote, so the new one (the event claimed again, the
    conversation loaded as it was) only gives the patient one polite sentence and starts afresh. A route
    owns the retry because a transaction that rolled back cannot go on; no savepoint per turn is needed.
    """
    try:
        return again_on_disconnect(work)
    except TurnBroke:
        token = _APOLOGISE.set(True)
        try:
            return again_on_disconnect(work)
        finally:
            _APOLOGISE.reset(token)


def run_turn(
    session: Session,
    *,
    channel: str,
    clinic: Clinic,
    conversation_key: str,
    phone: str | None,
    inbound: Inbound,
    now: dt.datetime,
    config: Config,
    forwarded: bool = False,
    can_sms: bool = True,
) -> Outcome:
    """One turn inside the caller's transaction: the conversation is loaded (locked), advanced and saved.

    A flow that breaks raises TurnBroke, and costs the patient one polite sentence when the route runs the
    turn again through answer_turn. A database error is not a flow's bug and goes up to the route as it is.
    """
    loaded = store.load(session, channel, conversation_key, clinic.id, now, phone)
    row, state = loaded.row, loaded.state
    ctx = Context(
        channel=channel,
        clinic=clinic,
        session=session,
        now=now,
        config=config,
        phone=phone,
        forwarded=forwarded,
        can_sms=can_sms,
        conversation_key=conversation_key,
        known=loaded.known,
        first_turn=row is None,
    )
    if _APOLOGISE.get():
        outcome = _apology(state, clinic, channel)
    else:
        try:
            outcome = advance(state, inbound, ctx)
        except DBAPIError:
            raise
        except Exception as exc:  # a flow's bug must cost the patient one polite sentence, not a stack trace
            log.exception("dialog turn failed (%s, clinic %s)", channel, clinic.id)
            raise TurnBroke from exc
    store.save(
        session,
        row,
        channel=channel,
        key=conversation_key,
        clinic_id=clinic.id,
        state=outcome.state,
        now=now,
        minutes=config.conversation_idle_minutes,
    )
    return outcome


def _apology(state: DialogState, clinic: Clinic, channel: str) -> Outcome:
    """Something broke: say sorry with the clinic's number and start afresh next time."""
    lang = state.lang or clinic.default_lang or "fr"
    number = clinic.phone or ""
    fresh = DialogState(lang=lang)
    reply = Reply(says=[Say("sorry_error", {"phone": number})], lang=lang, ends=channel == "voice")
    return Outcome(state=fresh, reply=reply)


# Re-exported for adapters and jobs that type their calls.
__all__ += ["Context", "DialogState", "Inbound", "Outcome", "Reply", "Say"]
