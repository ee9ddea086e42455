"""Outbound notices: confirmations, reminders, walk-in notices; what to send, to whom, when, and what came of it.

Every notice is an OutboundMessage row first (status pending → sending → sent / delivered / failed /
withdrawn / not_sent); core.jobs sends the rows. A purpose + subject has one dedupe key, so planning the
same notice twice finds the row instead of sending again. These functions take a session and never commit.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core import twilio_errors
from core.jobs.names import SEND_CONFIRMATION, SEND_MESSAGE
from core.models import (
    WAITING_TICKET_STATUSES,
    Appointment,
    AppointmentStatus,
    Clinic,
    OutboundMessage,
    Patient,
    Practitioner,
    TicketStatus,
    WalkinTicket,
    utcnow,
)
from core.services import audit, people, walkin
from core.services.clinics import twilio_number
from core.services.patients import can_take_sms, mask_phone, opt_out
from core.sql import built
from core.timeutil import local_to_utc, to_local
from prompts.format import numbers_text
from prompts.sms import says_text

log = logging.getLogger(__name__)

QUIET_UNTIL = dt.time(8, 0)  # no reminder (SMS or call) before 08:00 clinic time…
QUIET_FROM = dt.time(21, 0)  # …nor from 21:00
CONFIRMATION_REASONS = ("booked", "cancelled", "rescheduled")
# Messages that wait for 08:00 when picked up at night (a confirmation answers what the patient just did).
QUIET_HOURS_PURPOSES = ("reminder", "no_show")
NOTICE_PURPOSES = ("queue_notice", "called")
MAX_ATTEMPTS = 5
RETRY_BACKOFF_SECONDS = (30, 120, 600, 1800)


FINAL = ("sent", "delivered", "failed", "withdrawn", "not_sent")
_SMS_STATUS = {
    "queued": "sent",
    "accepted": "sent",
    "scheduled": "sent",
    "sending": "sent",
    "sent": "sent",
    "delivered": "delivered",
    "read": "delivered",
    "undelivered": "failed",
    "failed": "failed",
    "canceled": "failed",
}
_CALL_STATUS = {
    "queued": "sent",
    "initiated": "sent",
    "ringing": "sent",
    "in-progress": "sent",
    "completed": "delivered",
    "busy": "failed",
    "no-answer": "failed",
    "failed": "failed",
    "canceled": "failed",
}
_RANK = {"pending": 0, "sending": 1, "sent": 2, "delivered": 3, "failed": 3}


def retry_delay(attempts: int) -> dt.timedelta:
    """How long to wait before attempt number `attempts + 1`."""
    return dt.timedelta(seconds=RETRY_BACKOFF_SECONDS[min(attempts, len(RETRY_BACKOFF_SECONDS)) - 1])


def sender_number(session: Session, clinic_id: str | None) -> str | None:
    """The clinic's Twilio number that notices go out from."""
    return None if clinic_id is None else twilio_number(session, clinic_id)


def _add_message(insert):
    """One INSERT of a notice that yields to a row already kept under its dedupe key (a job run twice)."""
    return (
        insert(OutboundMessage)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(OutboundMessage)
    )


def create_message(
    session: Session,
    *,
    clinic: Clinic,
    patient: Patient,
    purpose: str,
    subject: str,
    dedupe_key: str,
    now: dt.datetime,
    kind: str = "sms",
    send_after: dt.datetime | None = None,
    appointment_id: int | None = None,
    ticket_id: int | None = None,
) -> OutboundMessage:
    """The row of a notice, created once per dedupe key (a second call returns the first row)."""
    message = _new_message(
        session,
        clinic=clinic,
        patient=patient,
        purpose=purpose,
        subject=subject,
        dedupe_key=dedupe_key,
        now=now,
        kind=kind,
        send_after=send_after,
        appointment_id=appointment_id,
        ticket_id=ticket_id,
    )
    if message is None:  # planned before (a job run twice, or a concurrent one)
        message = session.scalar(select(OutboundMessage).where(OutboundMessage.dedupe_key == dedupe_key))
    return message


def _new_message(
    session: Session, *, clinic: Clinic, patient: Patient, dedupe_key: str, now: dt.datetime, **values
) -> OutboundMessage | None:
    """A notice's new row, or None when one is already kept under its dedupe key: one statement."""
    row = {
        "clinic_id": clinic.id,
        "patient_id": patient.id,
        "to": patient.phone,
        "dedupe_key": dedupe_key,
        "status": "pending",
        "from_number": sender_number(session, clinic.id),
        "lang": patient.lang or clinic.default_lang,
        "created_at": now,
        "updated_at": now,
        "body": "",
        "attempts": 0,
        **values,
        "send_after": values.get("send_after") or now,
    }
    return session.scalars(built(session, _add_message), [row]).first()


def _wants_sms(patient: Patient) -> bool:
    return patient.notify_by != "call" and can_take_sms(patient.phone)


def reminder_kind(patient: Patient) -> str:
    """How a reminder reaches the patient: "sms", or "call" for landlines and numbers that refused SMS."""
    return "sms" if _wants_sms(patient) else "call"


# -- confirmations and reminders ---------------------------------------------------------------------


def confirmation(
    session: Session, appointment_id: int, reason: str, now: dt.datetime
) -> OutboundMessage | None:
    """The SMS copy of a booking, cancellation or change; stored not_sent when the patient cannot take SMS."""
    if reason not in CONFIRMATION_REASONS:
        raise ValueError(reason)
    appointment = session.get(Appointment, appointment_id)
    if appointment is None:
        return None
    message = create_message(
        session,
        clinic=appointment.clinic,
        patient=appointment.patient,
        purpose=f"confirmation_{reason}",
        subject=f"appointment:{appointment.id}",
        dedupe_key=f"confirmation:{reason}:appointment:{appointment.id}",
        now=now,
        appointment_id=appointment.id,
    )
    if message.status == "pending" and not _wants_sms(appointment.patient):
        # No call for a confirmation: staff who changed it tell the patient; the reminder call still follows.
        why = "calls only: no SMS confirmation" if appointment.patient.notify_by == "call" else None
        _close(message, "not_sent", now, why or "no SMS to this number")
    return message


def staff_change_effects(appointment_id: int, reason: str) -> list:
    """What to enqueue after staff booked, cancelled or changed an appointment (and committed): Effects."""
    from core.dialog.types import Effect  # the dialog package imports the services, not the other way

    return [Effect(SEND_CONFIRMATION, (appointment_id, reason))]  # the booking planned its reminders


def in_quiet_hours(local: dt.datetime) -> bool:
    """Whether a clinic-local moment is outside 08:00–21:00."""
    return not (QUIET_UNTIL <= local.time() < QUIET_FROM)


def reminder_time(appointment: Appointment, clinic: Clinic, days_before: int) -> dt.datetime:
    """When a reminder goes out: the same clock time `days_before` days ahead, moved inside 08:00–21:00.

    A time before 08:00 moves to 08:00 and one from 21:00 moves back to 20:59 of that same day, so a
    reminder never arrives at night and never slips to the appointment's own day.
    """
    local = to_local(appointment.starts_at, clinic.timezone) - dt.timedelta(days=days_before)
    if local.time() < QUIET_UNTIL:
        return local_to_utc(local.date(), QUIET_UNTIL, clinic.timezone)
    if local.time() >= QUIET_FROM:
        return local_to_utc(local.date(), dt.time(20, 59), clinic.timezone)
    return local_to_utc(local.date(), local.time().replace(tzinfo=None), clinic.timezone)


def next_send_window(clinic: Clinic, now: dt.datetime) -> dt.datetime:
    """Now if inside 08:00–21:00 clinic time, else the next 08:00."""
    local = to_local(now, clinic.timezone)
    if not in_quiet_hours(local):
        return now
    day = local.date() if local.time() < QUIET_UNTIL else local.date() + dt.timedelta(days=1)
    return local_to_utc(day, QUIET_UNTIL, clinic.timezone)


def plan_reminders(session: Session, appointment_id: int, now: dt.datetime) -> list[OutboundMessage]:
    """The reminder rows newly planned for a booked appointment (the day before; three days before if
    configured); none already planned is planned again.

    A reminder is an SMS, or a call for a patient who takes calls only (see reminder_kind). A reminder whose
    time has already passed when the appointment is booked is not planned: the patient has just made it and
    got its confirmation.
    """
    appointment = session.get(Appointment, appointment_id)
    if appointment is None or appointment.status != AppointmentStatus.BOOKED:
        return []
    clinic, patient = appointment.clinic, appointment.patient
    kind = reminder_kind(patient)
    days = sorted({int(d) for d in (clinic.settings or {}).get("reminder_days_before", [1]) if int(d) > 0})
    planned = []
    for days_before in days:
        at = reminder_time(appointment, clinic, days_before)
        if at <= now:
            continue
        message = _new_message(
            session,
            clinic=clinic,
            patient=patient,
            purpose="reminder",
            subject=f"appointment:{appointment.id}",
            dedupe_key=f"reminder:{days_before}d:appointment:{appointment.id}",
            now=now,
            kind=kind,
            send_after=at,
            appointment_id=appointment.id,
        )
        if message is not None:
            planned.append(message)
    return planned


def schedule_reminders(session: Session, appointment_id: int, now: dt.datetime) -> list[OutboundMessage]:
    """Plan a booked appointment's reminders in the caller's transaction, each with the outbox row that sends
    it at its time: the booking and its reminders are kept together or not at all."""
    from core.jobs import outbox  # the jobs package imports the services, not the other way

    planned = plan_reminders(session, appointment_id, now)
    for message in planned:
        outbox.add(session, SEND_MESSAGE, message.id, now=now, at=message.send_after)
    return planned


def withdraw_pending(
    session: Session, now: dt.datetime, *, appointment_id: int | None = None, ticket_id: int | None = None
) -> int:
    """Withdraw the notices not yet sent about an appointment or a ticket (cancelled, changed, left)."""
    query = update(OutboundMessage).where(OutboundMessage.status == "pending")
    if appointment_id is not None:
        query = query.where(
            OutboundMessage.appointment_id == appointment_id, OutboundMessage.purpose == "reminder"
        )
    elif ticket_id is not None:
        query = query.where(OutboundMessage.ticket_id == ticket_id)
    else:
        raise ValueError("appointment_id or ticket_id")
    result = session.execute(
        query.values(status="withdrawn", updated_at=now).execution_options(synchronize_session="fetch")
    )
    return result.rowcount


# -- walk-in notices ---------------------------------------------------------------------------------


def _notice_kind(ticket: WalkinTicket, patient: Patient) -> str:
    if ticket.notify_by == "call" or patient.notify_by == "call" or not can_take_sms(patient.phone):
        return "call"
    return "sms"


def _ticket_message(
    session: Session, clinic: Clinic, ticket: WalkinTicket, purpose: str, now: dt.datetime
) -> OutboundMessage:
    """A walk-in message about one ticket, once per purpose, by SMS or by call as the patient is reached."""
    return create_message(
        session,
        clinic=clinic,
        patient=ticket.patient,
        purpose=purpose,
        subject=f"ticket:{ticket.id}",
        dedupe_key=f"{purpose}:ticket:{ticket.id}",
        now=now,
        kind=_notice_kind(ticket, ticket.patient),
        ticket_id=ticket.id,
    )


def queue_notices_due(session: Session, clinic: Clinic, now: dt.datetime) -> list[OutboundMessage]:
    """Tell, once, each waiting patient whose turn is near (clinic thresholds); marks their tickets NOTIFIED."""
    if not clinic.walkin_enabled:
        return []
    messages = []
    for place in walkin.tickets_due_notice(session, clinic, now):
        ticket = place.ticket
        if ticket.status != TicketStatus.WAITING:
            continue  # told already, with the first of its group
        # One notice for a family: every waiting member of the group is told by the first one's message.
        for member in walkin.group_of(session, ticket):
            if member.status == TicketStatus.WAITING:
                member.status = TicketStatus.NOTIFIED
                member.notified_at = now
        message = _ticket_message(session, clinic, ticket, "queue_notice", now)
        audit.record(
            session, "notice.queue_near", channel="system", clinic_id=clinic.id, subject=f"ticket:{ticket.id}"
        )
        messages.append(message)
    return [m for m in messages if m.status == "pending"]


def notify_called(session: Session, ticket_id: int, now: dt.datetime) -> OutboundMessage | None:
    """The notice that staff are calling this patient now (send it at once after the commit)."""
    ticket = session.get(WalkinTicket, ticket_id)
    if ticket is None or ticket.status != TicketStatus.CALLED:
        return None
    withdraw_pending(session, now, ticket_id=ticket.id)  # a late "your turn is near" would only confuse
    clinic = session.get(Clinic, ticket.clinic_id)
    message = _ticket_message(session, clinic, ticket, "called", now)
    return message if message.status == "pending" else None


# -- what a message says, checked again just before it goes ------------------------------------------


def why_not_send(session: Session, message: OutboundMessage, now: dt.datetime) -> str | None:
    """A reason to withdraw the message instead of sending it, or None when it should still go."""
    if message.purpose == "reminder":
        appointment = session.get(Appointment, message.appointment_id)
        if appointment is None or appointment.status != AppointmentStatus.BOOKED:
            return "appointment no longer booked"
        if appointment.starts_at <= now:
            return "appointment already started"
    if message.purpose == "no_show":  # staff may correct the mark before it goes (core/services/noshow.py)
        appointment = session.get(Appointment, message.appointment_id)
        if appointment is None or appointment.status != AppointmentStatus.NO_SHOW:
            return "appointment no longer marked no-show"
    if message.purpose == "waitlist_offer":
        from core.services import waitlist

        return waitlist.why_not_send(session, message, now)
    if message.purpose in NOTICE_PURPOSES:
        ticket = session.get(WalkinTicket, message.ticket_id)
        wanted = WAITING_TICKET_STATUSES  # a near turn is told while it waits; once called, the call says so
        if message.purpose == "called":
            wanted = (TicketStatus.CALLED,)
        if ticket is None:
            return "ticket no longer waiting"
        group = walkin.group_of(session, ticket) if message.purpose == "queue_notice" else [ticket]
        if not any(t.status in wanted for t in group):
            return "ticket no longer waiting"
    return None


def message_says(session: Session, message: OutboundMessage, now: dt.datetime) -> list:
    """What an SMS message says, as dialog sentences with raw values (prompts/sms.py words them)."""
    from core.dialog.types import Say  # the dialog package imports the services, not the other way

    clinic = session.get(Clinic, message.clinic_id)
    lang = message.lang or clinic.default_lang
    values = {"clinic": clinic.display_name(lang)}
    if message.purpose == "waitlist_offer":
        from core.services import waitlist

        return waitlist.offer_says(session, message)
    if message.appointment_id is not None:
        appointment = session.get(Appointment, message.appointment_id)
        practitioner = session.get(Practitioner, appointment.slot.practitioner_id)
        local = to_local(appointment.starts_at, clinic.timezone).replace(tzinfo=None)
        values |= {"when": local, "practitioner": practitioner.name, "code": appointment.code}
        if message.purpose == "reminder":
            tomorrow = to_local(now, clinic.timezone).date() + dt.timedelta(days=1)
            key = "notice_reminder" if local.date() == tomorrow else "notice_reminder_early"
        else:
            key = "notice_" + message.purpose.removeprefix("confirmation_")
        name = _whose(session, appointment)
        if name:
            return [Say(key + "_named", {"name": name, **values})]
        return [Say(key, values)]
    ticket = session.get(WalkinTicket, message.ticket_id)
    values["number"] = ticket.number
    if message.purpose == "called":
        if ticket.room:  # staff said where (the waiting-room screen shows it too)
            return [Say("notice_called_room", {"room": ticket.room, **values})]
        return [Say("notice_called", values)]
    waiting = [t for t in walkin.group_of(session, ticket) if t.status in WAITING_TICKET_STATUSES]
    first = waiting[0] if waiting else ticket
    place = walkin.place_in_queue(session, clinic, first, now)
    key = "notice_queue_next" if place.ahead == 0 else "notice_queue_near"
    if len(waiting) > 1:  # a family: one notice naming every number of the group
        key += "_group"
        values["numbers"] = numbers_text([t.number for t in waiting], lang)
    values["number"] = first.number
    if place.ahead == 0:
        return [Say(key, values)]
    minutes = max(5, int(round((place.expected_at - now).total_seconds() / 60 / 5)) * 5)
    return [Say(key, {"ahead": place.ahead, "minutes": minutes, **values})]


def sms_body(session: Session, message: OutboundMessage, now: dt.datetime) -> str:
    """The SMS text of a message, in the patient's language, by the same renderer as the replies."""
    lang = message.lang or session.get(Clinic, message.clinic_id).default_lang
    return says_text(message_says(session, message, now), lang)


@dataclass(frozen=True)
class SendCheck:
    """What the last look before sending decided: "go" (with the call's URL), or what became of the row.

    Outcomes other than "go": not_sent, withdrawn, failed (the row is closed), postponed (pending again
    until `at`, quiet hours).
    """

    outcome: str
    at: dt.datetime | None = None
    url: str | None = None


def check_before_send(
    session: Session, message: OutboundMessage, now: dt.datetime, *, for_real: bool, base_url: str | None
) -> SendCheck:
    """Everything that decides whether a due message goes now, in one place; it renders the SMS text once.

    The patient opted out, the appointment or ticket moved on, a reminder that must now be a call, quiet
    hours, no credentials, no sender number, no URL for a call, too many attempts. Closes the row (or puts
    it back to pending) when the answer is not "go".
    """
    patient = session.get(Patient, message.patient_id) if message.patient_id else None
    if patient is not None and patient.opted_out:
        return _closed(message, "not_sent", now, "patient opted out")
    reason = why_not_send(session, message, now)
    if reason:
        return _closed(message, "withdrawn", now, reason)
    clinic = session.get(Clinic, message.clinic_id)
    first_sms_reminder = message.purpose == "reminder" and message.kind == "sms" and message.attempts == 0
    if first_sms_reminder and patient is not None and reminder_kind(patient) == "call":
        message.kind = "call"  # the number refused SMS since this reminder was planned
    if message.purpose in QUIET_HOURS_PURPOSES:
        window = next_send_window(clinic, now)
        if window > now:  # picked up late, at night: wait for the morning
            message.status = "pending"
            message.send_after = window
            return SendCheck("postponed", at=window)
    if message.kind == "sms" and not message.body:
        message.body = sms_body(session, message, now)
    if not for_real:
        log.info(
            "not sent (no Twilio credentials) %s %s to %s: %s",
            message.kind,
            message.purpose,
            mask_phone(message.to),
            message.body,
        )
        return _closed(message, "not_sent", now, "no Twilio credentials")
    if not message.from_number:
        return _closed(message, "failed", now, "the clinic has no Twilio number")
    if message.kind == "call" and not base_url:
        return _closed(message, "not_sent", now, "PUBLIC_BASE_URL is needed for calls")
    if message.attempts >= MAX_ATTEMPTS:
        return _closed(message, "failed", now, message.error_message or "too many attempts")
    return SendCheck("go", url=call_url(message, base_url) if base_url else None)


def _closed(message: OutboundMessage, status: str, now: dt.datetime, why: str) -> SendCheck:
    _close(message, status, now, why)
    return SendCheck(status)


def after_send_error(
    session: Session, message: OutboundMessage, code: str | None, *, transient: bool, permanent: bool, now
) -> tuple[str, OutboundMessage | None]:
    """Twilio refused an attempt: ("retry", None) with the row pending again, or ("failed", follow-up).

    The follow-up is the call that replaces a refused SMS (a landline), still to be sent.
    """
    message.error_code = code
    message.updated_at = now
    if transient and message.attempts < MAX_ATTEMPTS:
        message.status = "pending"
        message.send_after = now + retry_delay(message.attempts)
        return "retry", None
    message.status = "failed"
    follow = apply_permanent_error(session, message, code, now) if permanent else None
    return "failed", follow if follow is not None and follow.status == "pending" else None


def _whose(session: Session, appointment: Appointment) -> str | None:
    """The person an appointment is for, when its phone books for several people ("le RDV de Léa")."""
    person = appointment.person
    if person is None or not person.name:
        return None
    everyone = people.people_of(session, appointment.patient)
    return people.short_name(person, everyone) if len(everyone) > 1 else None


def call_url(message: OutboundMessage, base: str) -> str:
    """Where Twilio asks what to say when the patient picks up our call."""
    if message.purpose == "reminder":
        return f"{base}/voice/reminder/{message.appointment_id}"
    if message.purpose == "no_show":  # a missed appointment: 1 books another one (core/dialog/late.py)
        return f"{base}/voice/missed/{message.appointment_id}"
    if (
        message.purpose == "schedule_cancelled"
    ):  # the clinic cancelled it (a schedule change): 1 books another
        return f"{base}/voice/cancelled/{message.appointment_id}"
    if message.purpose == "waitlist_offer":  # a freed slot offered to a phone that takes calls only
        return f"{base}/voice/offer/{message.subject.split(':', 1)[1]}"
    if message.purpose == "called":  # staff are calling the patient now: the number and where to go
        return f"{base}/voice/called/{message.ticket_id}"
    if message.purpose.startswith("spooled_"):  # the outcome of a request taken while the database was down
        return f"{base}/voice/spooled/{message.id}"
    return f"{base}/voice/notice/{message.ticket_id}"


# -- outcomes ----------------------------------------------------------------------------------------


def _close(message: OutboundMessage, status: str, now: dt.datetime, why: str | None = None) -> None:
    message.status = status
    message.updated_at = now
    if why:
        message.error_message = why[:200]


def apply_permanent_error(
    session: Session, message: OutboundMessage, code: str | None, now: dt.datetime
) -> OutboundMessage | None:
    """What a refusal teaches about the patient; returns the follow-up call (notice or reminder) replacing the SMS."""
    patient = session.get(Patient, message.patient_id) if message.patient_id else None
    if patient is None or code is None:
        return None
    if twilio_errors.error_code(code) in twilio_errors.OPTED_OUT:
        opt_out(session, patient, now)
        audit.record(
            session, "patient.opted_out", channel="system", actor=mask_phone(patient.phone), code=code
        )
        return None
    if twilio_errors.error_code(code) in twilio_errors.NOT_TEXTABLE and message.kind == "sms":
        patient.notify_by = "call"
        audit.record(
            session, "patient.notify_by_call", channel="system", actor=mask_phone(patient.phone), code=code
        )
        if message.purpose == "reminder" and message.appointment_id is not None:
            return create_message(
                session,
                clinic=session.get(Clinic, message.clinic_id),
                patient=patient,
                purpose="reminder",
                subject=message.subject,
                dedupe_key=f"{message.dedupe_key}:call",
                now=now,
                kind="call",
                appointment_id=message.appointment_id,
            )
        if message.purpose in NOTICE_PURPOSES and message.ticket_id is not None:
            ticket = session.get(WalkinTicket, message.ticket_id)
            ticket.notify_by = "call"
            return create_message(
                session,
                clinic=session.get(Clinic, message.clinic_id),
                patient=patient,
                purpose=message.purpose,
                subject=message.subject,
                dedupe_key=f"{message.purpose}:call:ticket:{message.ticket_id}",
                now=now,
                kind="call",
                ticket_id=message.ticket_id,
            )
    return None


def record_answered_by(session: Session, call_sid: str | None, answered_by: str | None) -> None:
    """Keep who or what picked up a call we placed (answering-machine detection), on its message."""
    answered_by = (answered_by or "").strip()[:24]
    if not call_sid or not answered_by:
        return
    session.execute(
        update(OutboundMessage)
        .where(OutboundMessage.twilio_sid == call_sid, OutboundMessage.kind == "call")
        .values(answered_by=answered_by)
        .execution_options(synchronize_session="fetch")
    )


def record_delivery_status(
    session: Session,
    message_sid: str | None,
    status: str | None,
    error_code: str | int | None,
    now: dt.datetime | None = None,
    answered_by: str | None = None,
) -> OutboundMessage | None:
    """Record a Twilio status callback (SMS or call) on the message it is about; unknown sids are ignored.

    Statuses only move forward (callbacks can arrive out of order). An undelivered SMS with 30003 is tried
    again later; 21610 opts the patient out; 21211, 21614 or 30006 switch the patient to calls for notices.
    """
    if not message_sid or not status:
        return None
    message = session.scalar(select(OutboundMessage).where(OutboundMessage.twilio_sid == message_sid))
    if message is None:
        return None
    if answered_by and message.kind == "call":
        message.answered_by = answered_by.strip()[:24]
    now = now or utcnow()
    mapped = (_CALL_STATUS if message.kind == "call" else _SMS_STATUS).get(status.strip().lower())
    if mapped is None:
        return message
    code = str(error_code).strip() if error_code not in (None, "", 0, "0") else None
    if _RANK.get(mapped, 0) < _RANK.get(message.status, 0) or message.status in ("withdrawn", "not_sent"):
        return message
    message.updated_at = now
    if mapped != "failed":
        message.status = mapped
        return message
    message.error_code = code or message.error_code
    message.error_message = f"{message.kind} {status}"[:200]
    if twilio_errors.error_code(code) in twilio_errors.TRANSIENT_DELIVERY and message.attempts < MAX_ATTEMPTS:
        message.status = "pending"  # core.jobs' periodic tick sends due pending rows again
        message.send_after = now + retry_delay(message.attempts)
        return message
    message.status = "failed"
    apply_permanent_error(session, message, code, now)
    return message
