"""A dialog turn taken the way a webhook route takes it, for tests that talk to the engine directly."""

from __future__ import annotations

from collections.abc import Callable

from core.dialog import answer_turn, run_turn
from core.dialog.types import Inbound, Outcome, Reply
from core.jobs import outbox
from core.replay import claim_event, remember_response
from core.services.clinics import clinic_by_id


def take_turn(
    runtime,
    *,
    channel: str,
    clinic: str,
    conversation_key: str,
    phone: str | None,
    inbound: Inbound,
    render: Callable[[Reply], str],
    event_key: str | None = None,
    forwarded: bool = False,
    can_sms: bool = True,
) -> tuple[str, Outcome | None]:
    """(what the patient gets, the outcome) — a replayed event gets its first answer and no outcome.

    As a route does: one transaction claims the event, runs the turn, renders it and remembers the answer;
    the effects are enqueued after the commit; a flow that breaks is answered in a fresh transaction.
    """

    def attempt() -> tuple[str, Outcome | None]:
        with runtime.session_factory.begin() as session:
            if event_key:
                replay = claim_event(session, event_key)
                if replay is not None:
                    return replay, None
            outcome = run_turn(
                session,
                channel=channel,
                clinic=clinic_by_id(session, clinic),
                conversation_key=conversation_key,
                phone=phone,
                inbound=inbound,
                now=runtime.now(),
                config=runtime.config,
                forwarded=forwarded,
                can_sms=can_sms,
            )
            text = render(outcome.reply)
            if event_key:
                remember_response(session, event_key, text)
            outbox.add_effects(session, outcome.effects, runtime.now())
        return text, outcome

    text, outcome = answer_turn(attempt)
    if outcome is None:
        return text, None
    outbox.kick(runtime)
    return text, outcome
