"""What a call we placed leaves on an answering machine: one short, complete message per purpose.

Every call clinicline places (a reminder, a walk-in notice, an offer from the waiting list…) is placed with
answering-machine detection; when a machine answered, voicebot asks here for the purpose's voicemail instead
of running the flow's menu, which nobody would answer. A voicemail says who calls (the clinic), what about
(the day and time), and the number to call back, so a person wrongly taken for a machine can still act.

A purpose supplies its words by registering a function:

    @voicemail(Flow.WAITLIST_OFFER)
    def offer_voicemail(session, offer_id: int, now) -> Reply | None:
        ...
        return leave(clinic, lang, Say("voicemail_offer", {"when": local_start, "phone": number}))

and its route passes `voicemail=(Flow.WAITLIST_OFFER, offer_id)` to voicebot's `_placed_call`. The function returns
None when there is nothing left to say (the route then says the flow's short "gone" goodbye). Values are
rendered for the ear by voicebot: a local datetime as the day and time in words, "phone" digit by digit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy.orm import Session

from core.dialog.types import Reply, Say
from core.flows import Flow
from core.models import (
    Appointment,
    Clinic,
    Patient,
    TicketStatus,
    WalkinTicket,
)
from core.services import walkin
from core.timeutil import to_local

Voicemail = Callable[[Session, int, dt.datetime], Reply | None]
VOICEMAILS: dict[Flow, Voicemail] = {}


def voicemail(purpose: Flow):
    """Register the voicemail of a purpose: fn(session, subject_id, now) -> Reply | None."""

    def register(fn: Voicemail) -> Voicemail:
        VOICEMAILS[purpose] = fn
        return fn

    return register


def voicemail_for(session: Session, purpose: str, subject_id: int, now: dt.datetime) -> Reply | None:
    """The message to leave for a purpose's subject, or None (no voicemail registered, or nothing to say)."""
    fn = VOICEMAILS.get(purpose)
    return fn(session, subject_id, now) if fn is not None else None


def callback_number(clinic: Clinic) -> str:
    """The number a patient calls back: the clinic's public number, else its Twilio number."""
    return clinic.phone or next((n.number for n in clinic.numbers if n.kind == "twilio"), "")


def language_of(patient: Patient | None, clinic: Clinic) -> str:
    lang = patient.lang if patient is not None else None
    return lang if lang in ("fr", "en") else (clinic.default_lang or "fr")


def leave(clinic: Clinic, lang: str, *says: Say) -> Reply:
    """A voicemail: the clinic says who it is, the purpose's sentences, and the call ends (no question)."""
    hello = Say("voicemail_hello", {"clinic": clinic.display_name(lang)})
    return Reply(says=[hello, *says], lang=lang, ends=True)


def local(clinic: Clinic, instant: dt.datetime) -> dt.datetime:
    """A stored instant as the clinic's naive local time (voicebot says it as a day and a time)."""
    return to_local(instant, clinic.timezone).replace(tzinfo=None)


def generic_voicemail(clinic: Clinic, patient: Patient | None) -> Reply:
    """For a purpose without words of its own: who called, and the number to call back."""
    lang = language_of(patient, clinic)
    return leave(clinic, lang, Say("voicemail_generic", {"phone": callback_number(clinic)}))


@voicemail(Flow.REMINDER)
def reminder_voicemail(session: Session, appointment_id: int, now: dt.datetime) -> Reply | None:
    """The reminder of an appointment, and the number to call to confirm nothing, cancel or change it."""
    appointment = session.get(Appointment, appointment_id)
    if appointment is None or not appointment.is_upcoming(now):
        return None
    clinic = appointment.clinic
    lang = language_of(appointment.patient, clinic)
    when = local(clinic, appointment.starts_at)
    return leave(clinic, lang, Say("voicemail_reminder", {"when": when, "phone": callback_number(clinic)}))


@voicemail(Flow.QUEUE_NOTICE)
def queue_notice_voicemail(session: Session, ticket_id: int, now: dt.datetime) -> Reply | None:
    """A walk-in turn near: the number, about when to come, and the number to call to leave the queue."""
    ticket = session.get(WalkinTicket, ticket_id)
    if ticket is None or not ticket.is_active:
        return None
    clinic = session.get(Clinic, ticket.clinic_id)
    lang = language_of(ticket.patient, clinic)
    phone = callback_number(clinic)
    place = walkin.place_in_queue(session, clinic, ticket, now)
    expected = local(clinic, max(place.expected_at, now)).time()
    values = {"number": str(ticket.number), "time": expected, "phone": phone}
    return leave(clinic, lang, Say("voicemail_queue_notice", values))


@voicemail(Flow.CALLED)
def called_voicemail(session: Session, ticket_id: int, now: dt.datetime) -> Reply | None:
    """Staff called the patient's number: it is their turn now, and the number to call."""
    ticket = session.get(WalkinTicket, ticket_id)
    if ticket is None or ticket.status != TicketStatus.CALLED:
        return None
    clinic = session.get(Clinic, ticket.clinic_id)
    lang = language_of(ticket.patient, clinic)
    values = {"number": str(ticket.number), "phone": callback_number(clinic)}
    return leave(clinic, lang, Say("voicemail_called", values))


@voicemail(Flow.WAITLIST_OFFER)
def waitlist_offer_voicemail(session: Session, offer_id: int, now: dt.datetime) -> Reply | None:
    """A freed slot offered from the waiting list: its own complete words (core.services.waitlist)."""
    from core.models import WaitlistOffer
    from core.services import waitlist

    offer = session.get(WaitlistOffer, offer_id)
    if offer is None:
        return None
    clinic = session.get(Clinic, offer.clinic_id)
    lang = language_of(offer.entry.patient, clinic)
    return Reply(says=waitlist.voicemail_says(session, offer, lang), lang=lang, ends=True)
