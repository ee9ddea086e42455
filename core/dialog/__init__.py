"""The one dialog engine both channels share: flows in core/dialog, words in prompts/, Twilio in the adapters.

advance(state, inbound, ctx) -> Outcome     one pure dialog step over the adapter's session
run_turn(runtime, channel=…, …) -> (text, outcome)   what an adapter calls per webhook
prime(session, channel=…, flow=…, …)        a job puts a conversation into a flow before it sends
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from sqlalchemy.exc import DBAPIError

from core.dialog import appointments, book, menu, people, primed, store, walkin  # noqa: F401  (flows register)
from core.dialog.engine import advance
from core.dialog.store import prime
from core.dialog.types import Context, Inbound, Outcome, Reply, Say
from core.jobs import outbox
from core.models import Clinic
from core.webhooks import claim_event, remember_response

__all__ = ["advance", "prime", "run_turn"]

log = logging.getLogger(__name__)


def run_turn(
    runtime,
    *,
    channel: str,
    clinic: Clinic | str,
    conversation_key: str,
    phone: str | None,
    inbound: Inbound,
    render: Callable[[Reply], str],
    event_key: str | None = None,
    forwarded: bool = False,
    can_sms: bool = True,
) -> tuple[str, Outcome | None]:
    """One webhook turn in one transaction: load the conversation, advance it, save, render, remember.

    A retried event gets the answer it got the first time (and no outcome: nothing is done twice). Effects
    are outbox rows of the same transaction, handed to the job queue after the commit.
    """
    with runtime.session_factory.begin() as session:
        if event_key:
            replay = claim_event(session, event_key)
            if replay is not None:
                return replay, None
        clinic_id = clinic if isinstance(clinic, str) else clinic.id
        row_clinic = session.get(Clinic, clinic_id)
        now = runtime.now()
        config = runtime.config
        row, state, expired = store.load(session, channel, conversation_key, clinic_id, now)
        if expired:
            state["expired"] = True
        ctx = Context(
            channel=channel,
            clinic=row_clinic,
            session=session,
            now=now,
            config=config,
            phone=phone,
            forwarded=forwarded,
            can_sms=can_sms,
            conversation_key=conversation_key,
        )
        try:
            with session.begin_nested():
                outcome = advance(state, inbound, ctx)
        except DBAPIError:
            raise
        except Exception:  # a flow's bug must cost the patient one polite sentence, not a stack trace
            log.exception("dialog turn failed (%s, clinic %s)", channel, clinic_id)
            outcome = _apology(state, row_clinic, channel)
        store.save(
            session,
            row,
            channel=channel,
            key=conversation_key,
            clinic_id=clinic_id,
            state=outcome.state,
            now=now,
            minutes=config.conversation_idle_minutes,
        )
        text = render(outcome.reply)
        if event_key:
            remember_response(session, event_key, text)
        outbox.add_effects(session, outcome.effects, now)  # the turn's jobs commit with the turn
    outbox.kick(runtime)
    return text, outcome


def _apology(state: dict, clinic: Clinic, channel: str) -> Outcome:
    """Something broke: say sorry with the clinic's number and start afresh next time."""
    lang = state.get("lang") or clinic.default_lang or "fr"
    number = clinic.phone or ""
    if channel == "sms" and number.startswith("+1") and len(number) == 12:
        number = f"{number[2:5]}-{number[5:8]}-{number[8:]}"
    fresh = store.fresh_state()
    fresh["lang"] = lang
    reply = Reply(says=[Say("sorry_error", {"phone": number})], lang=lang, ends=channel == "voice")
    return Outcome(state=fresh, reply=reply)


# Re-exported for adapters and jobs that type their calls.
__all__ += ["Context", "Inbound", "Outcome", "Reply", "Say"]
