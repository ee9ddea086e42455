"""The jobs: plain functions that take ids, safe to run twice, enqueued only after the causing commit.

Each opens its own transactions on the runtime of the process that runs it (core.jobs.context).
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import delete, func, or_, select

from core import snapshot, spool
from core.jobs import delivery, outbox
from core.jobs.context import current_runtime
from core.jobs.names import OFFER_FREED_SLOT, OFFER_WALKIN_PLACE, POLL_NEIGHBOURS, SEND_MESSAGE
from core.models import Clinic, Conversation, OutboundMessage, ProcessedEvent, Slot, utcnow
from core.services import booking, clinics, notifications, schedule, waitlist

log = logging.getLogger(__name__)

SWEEP_LIMIT = 500


def send_message(message_id: int) -> str:
    """Send one stored SMS or call (at most once; see core.jobs.delivery)."""
    return delivery.send_message(current_runtime(), message_id)


def send_confirmation(appointment_id: int, reason: str) -> str | None:
    """The SMS copy of a booking, cancellation or change ("booked", "cancelled", "rescheduled")."""
    runtime = current_runtime()
    with runtime.session_factory.begin() as session:
        message = notifications.confirmation(session, appointment_id, reason, runtime.now())
        message_id = message.id if message is not None else None
    return send_message(message_id) if message_id is not None else None


def schedule_reminders(appointment_id: int) -> list[int]:
    """Plan an appointment's reminders, for an outbox row written before bookings planned their own.

    A booking now plans its reminders in its own transaction (core.services.booking.book); running this
    again plans nothing twice (dedupe keys).
    """
    runtime = current_runtime()
    with runtime.session_factory.begin() as session:
        planned_ids = [m.id for m in notifications.schedule_reminders(session, appointment_id, runtime.now())]
    outbox.kick(runtime)
    return planned_ids


def check_queue_notices(clinic_id: str) -> list[int]:
    """Tell the patients whose walk-in turn is near, once each, and send at once."""
    runtime = current_runtime()
    with runtime.session_factory.begin() as session:
        clinic = session.get(Clinic, clinic_id)
        due = (
            []
            if clinic is None
            else [m.id for m in notifications.queue_notices_due(session, clinic, runtime.now())]
        )
    for message_id in due:
        send_message(message_id)
    return due


def notify_called(ticket_id: int) -> str | None:
    """Tell the patient staff have just called that it is their turn."""
    runtime = current_runtime()
    with runtime.session_factory.begin() as session:
        message = notifications.notify_called(session, ticket_id, runtime.now())
        message_id = message.id if message is not None else None
    return send_message(message_id) if message_id is not None else None


def offer_freed_slot(slot_id: int) -> list[int]:
    """Offer a freed slot to the next entries of the waiting list (core/services/waitlist.py), then send.

    The offers, their messages and this job's next look at the slot (when the offers expire, or at 08:00
    after quiet hours) are written in one transaction; a second run finds the offers already open.
    """
    runtime = current_runtime()
    now = runtime.now()
    with runtime.session_factory.begin() as session:
        done = waitlist.offer_slot(session, slot_id, now)
        if done.again_at is not None:
            outbox.add(session, OFFER_FREED_SLOT, slot_id, now=now, at=done.again_at)
        if done.reason == "not free":
            slot = session.get(Slot, slot_id)
            if slot is not None and slot.status == "held" and slot.held_until and slot.held_until > now:
                # Someone is booking it this minute: look again when that hold lapses.
                at = slot.held_until + dt.timedelta(seconds=1)
                outbox.add(session, OFFER_FREED_SLOT, slot_id, now=now, at=at)
        sent = [m.id for m in done.messages]
    outbox.kick(runtime)
    for message_id in sent:
        send_message(message_id)
    return sent


def offer_walkin_place(clinic_id: str) -> list[int]:
    """Offer the walk-in places given back today to the walk-in entries of the list, then send."""
    runtime = current_runtime()
    now = runtime.now()
    with runtime.session_factory.begin() as session:
        done = waitlist.offer_walkin_place(session, clinic_id, now)
        if done.again_at is not None:
            outbox.add(session, OFFER_WALKIN_PLACE, clinic_id, now=now, at=done.again_at)
        sent = [m.id for m in done.messages]
    outbox.kick(runtime)
    for message_id in sent:
        send_message(message_id)
    return sent


def purge_old_data() -> dict[str, int]:
    """Retention: forget ended conversations and answered webhook events older than config.retention_days."""
    runtime = current_runtime()
    cutoff = runtime.now() - dt.timedelta(days=runtime.config.retention_days)
    with runtime.session_factory.begin() as session:
        conversations = session.execute(
            delete(Conversation)
            .where(Conversation.expires_at < cutoff)
            .execution_options(synchronize_session=False)
        ).rowcount
        events = session.execute(
            delete(ProcessedEvent)
            .where(ProcessedEvent.at < cutoff)
            .execution_options(synchronize_session=False)
        ).rowcount
        waiting = waitlist.purge_ended(session, cutoff)
    log.info(
        "retention purge: %s conversations, %s webhook events, %s waiting-list entries",
        conversations,
        events,
        waiting,
    )
    return {"conversations": conversations, "events": events, "waitlist_entries": waiting}


def due_message_ids(runtime, limit: int = SWEEP_LIMIT) -> list[int]:
    """Rows that should be on their way: pending and due, or sending with an abandoned lease."""
    now, wall = runtime.now(), utcnow()
    with runtime.session_factory() as session:
        return list(
            session.scalars(
                select(OutboundMessage.id)
                .where(
                    or_(
                        (OutboundMessage.status == "pending") & (OutboundMessage.send_after <= now),
                        (OutboundMessage.status == "sending")
                        & (OutboundMessage.claimed_at < wall - delivery.lease(runtime)),
                    )
                )
                .order_by(OutboundMessage.send_after, OutboundMessage.id)
                .limit(limit)
            )
        )


def tick() -> dict[str, int]:
    """The periodic work: due and abandoned messages, walk-in notices, expired holds, the slot horizon."""
    runtime = current_runtime()
    now = runtime.now()
    replayed = spool.replay(runtime, wait=False).done  # the database answers: what the spool kept goes first
    # The outbox too: on rq the clock process runs this, so due rows never wait for a web process.
    handed = outbox.dispatch(runtime)
    due = due_message_ids(runtime)
    for message_id in due:
        runtime.jobs.enqueue(SEND_MESSAGE, message_id)
    with runtime.session_factory.begin() as session:
        offers_expired = waitlist.sweep(session, now)  # before the holds: an expired offer goes on first
        released = booking.release_expired_holds(session, now)
        pools_released = schedule.release_pools(session, now)  # same-day places open at their hour
        walkin_clinics = session.scalars(select(Clinic.id).where(Clinic.walkin_enabled.is_(True))).all()
    notices = sum(len(check_queue_notices(clinic_id)) for clinic_id in walkin_clinics)
    extended = _extend_horizons(runtime, now)
    runtime.jobs.enqueue(POLL_NEIGHBOURS)  # the neighbours' availability, off the tick's own thread of work
    snapshot.refresh(runtime)  # the local copy read while the database is gone
    return {
        "outbox": handed,
        "messages": len(due),
        "notices": notices,
        "holds_released": released,
        "pools_released": pools_released,
        "offers_expired": offers_expired,
        "slots_added": extended,
        "replayed": replayed,
    }


def _extend_horizons(runtime, now: dt.datetime) -> int:
    """Keep each clinic's bookable calendar `slot_horizon_days` long (a clinic whose calendar reaches far enough is skipped)."""
    days = runtime.config.slot_horizon_days
    added = 0
    with runtime.session_factory.begin() as session:
        for clinic in session.scalars(select(Clinic)).all():
            last = session.scalar(select(func.max(Slot.starts_at)).where(Slot.clinic_id == clinic.id))
            if last is not None and last >= now + dt.timedelta(days=days - 4):
                continue
            added += clinics.generate_slots(session, clinic, now, days)[0]
    return added
