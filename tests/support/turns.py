"""A dialog turn taken the way a webhook route takes it, for tests that talk to the engine directly."""

from __future__ import annotations

from collections.abc import Callable

from core.dialog import run_turn
from core.dialog.types import Inbound, Outcome, Reply
from core.replay import answer_once
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

    As a route does (core.replay.answer_once): one transaction runs the turn, renders it, keeps the answer
    and writes the effects; a flow that breaks is answered in a fresh transaction.
    """

    def respond(session) -> tuple[str, Outcome]:
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
        return render(outcome.reply), outcome

    return answer_once(runtime, event_key, respond)


def text_turn(
    runtime,
    phone: str,
    body: str,
    *,
    render: Callable[[Reply], str],
    event_key: str | None = None,
    clinic: str = "parc",
) -> tuple[str, Outcome | None]:
    """take_turn for a text from `phone` (its own conversation key) at `clinic`."""
    return take_turn(
        runtime,
        channel="sms",
        clinic=clinic,
        conversation_key=phone,
        phone=phone,
        inbound=Inbound(kind="text", text=body),
        render=render,
        event_key=event_key,
    )
