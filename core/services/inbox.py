"""The clinic's SMS inbox: a patient who asked for a person by text, and staff who answer by SMS."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, case, func, select
from sqlalchemy.orm import Session

from core.errors import DomainError
from core.models import Clinic, InboxMessage, InboxThread, OutboundMessage, Patient
from core.services import audit
from core.services.notifications import sender_number
from core.services.patients import mask_phone

INCOMING_MAX = 1600  # a long text arrives reassembled; Twilio's own limit is 1,600 characters
REPLY_MAX = 320  # two or three SMS segments, whatever the alphabet
REPLY_PURPOSE = "staff_reply"


class EmptyReply(DomainError):
    """A staff answer with no text."""


class ThreadClosed(DomainError):
    """The thread was closed meanwhile."""


# Built once: every SMS turn looks for an open thread.
_OPEN_THREAD = select(InboxThread).where(
    InboxThread.clinic_id == bindparam("clinic_id"),
    InboxThread.phone == bindparam("phone"),
    InboxThread.status == "open",
)


def open_thread_for(session: Session, clinic_id: str, phone: str) -> InboxThread | None:
    """The patient's open thread with this clinic, if there is one."""
    return session.scalar(_OPEN_THREAD, {"clinic_id": clinic_id, "phone": phone})


def open_thread(
    session: Session,
    clinic: Clinic,
    patient: Patient,
    reason: str,
    lang: str,
    texts: list[str],
    now: dt.datetime,
) -> InboxThread:
    """Open a thread for the patient (or take the open one) holding the texts of the conversation so far."""
    thread = open_thread_for(session, clinic.id, patient.phone)
    if thread is None:
        thread = InboxThread(
            clinic_id=clinic.id,
            phone=patient.phone,
            patient_id=patient.id,
            status="open",
            reason=reason,
            lang=lang,
            opened_at=now,
            updated_at=now,
        )
        session.add(thread)
        session.flush()
        audit.record(
            session,
            "inbox.opened",
            channel="sms",
            clinic_id=clinic.id,
            actor=mask_phone(patient.phone),
            subject=f"thread:{thread.id}",
            reason=reason,
        )
    for body in texts:
        add_incoming(session, thread, body, now)
    return thread


def add_incoming(session: Session, thread: InboxThread, body: str, now: dt.datetime) -> InboxMessage:
    """A text from the patient lands in the thread."""
    message = InboxMessage(thread_id=thread.id, direction="in", body=(body or "")[:INCOMING_MAX], at=now)
    session.add(message)
    thread.updated_at = now
    return message


def reply(
    session: Session, thread: InboxThread, body: str, account_id: int, actor: str, now: dt.datetime
) -> OutboundMessage:
    """A staff answer: an SMS row for the outbound sender (enqueue its id after commit) and the thread's line."""
    body = " ".join((body or "").split())[:REPLY_MAX]
    if not body:
        raise EmptyReply()
    if thread.status != "open":
        raise ThreadClosed()
    message = OutboundMessage(
        clinic_id=thread.clinic_id,
        patient_id=thread.patient_id,
        to=thread.phone,
        kind="sms",
        purpose=REPLY_PURPOSE,
        body=body,
        subject=f"thread:{thread.id}",
        status="pending",
        send_after=now,
        from_number=sender_number(session, thread.clinic_id),
        lang=thread.lang,
        created_at=now,
        updated_at=now,
    )
    session.add(message)
    session.flush()
    session.add(
        InboxMessage(
            thread_id=thread.id,
            direction="out",
            body=body,
            at=now,
            account_id=account_id,
            outbound_message_id=message.id,
        )
    )
    thread.updated_at = now
    audit.record(
        session,
        "inbox.replied",
        channel="staff",
        clinic_id=thread.clinic_id,
        actor=actor,
        account_id=account_id,
        subject=f"thread:{thread.id}",
    )
    return message


def close(session: Session, thread: InboxThread, account_id: int, actor: str, now: dt.datetime) -> None:
    """Staff are done: the patient's next texts go to the automated line again."""
    if thread.status != "open":
        return
    thread.status = "closed"
    thread.closed_at = now
    thread.closed_by = account_id
    thread.updated_at = now
    audit.record(
        session,
        "inbox.closed",
        channel="staff",
        clinic_id=thread.clinic_id,
        actor=actor,
        account_id=account_id,
        subject=f"thread:{thread.id}",
    )


def threads(session: Session, clinic_id: str, limit: int = 50) -> list[InboxThread]:
    """The clinic's threads: open ones first, most recent activity first."""
    return list(
        session.scalars(
            select(InboxThread)
            .where(InboxThread.clinic_id == clinic_id)
            .order_by(case((InboxThread.status == "open", 0), else_=1), InboxThread.updated_at.desc())
            .limit(limit)
        )
    )


def open_count(session: Session, clinic_id: str) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(InboxThread)
            .where(InboxThread.clinic_id == clinic_id, InboxThread.status == "open")
        )
        or 0
    )


def statuses(session: Session, thread: InboxThread) -> dict[int, OutboundMessage]:
    """The SMS rows of the staff answers of a thread, by id (their delivery status is shown)."""
    ids = [m.outbound_message_id for m in thread.messages if m.outbound_message_id]
    if not ids:
        return {}
    return {m.id: m for m in session.scalars(select(OutboundMessage).where(OutboundMessage.id.in_(ids)))}
