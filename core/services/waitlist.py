"""The waiting list: people who asked to be told when a slot frees, and the offers made to them.

A freed slot (core/services/freed.py) is offered, by an outbox job, to the first N matching entries in the
order they joined, each by SMS or, for a phone that takes calls only, by a call. The slot is held for the
offer window by the holder `offer:s<slot id>`, which every offer of the slot shares: the first "OUI" / "1"
books it (core.services.booking.book: one conditional UPDATE of the slot, so exactly one wins); the others
are told it is taken and stay on the list. A declined or expired offer goes to the next entry. Offers go
out between 08:00 and 21:00 clinic time only, and never for a slot too near to be answered in time.

An entry made while its person holds an upcoming appointment at the clinic waits to bring that appointment
forward (`replaces_id`): it is offered only slots earlier than the appointment, and taking one moves the
appointment (core.services.booking.reschedule: the new slot booked, the old one freed and offered on, in one
transaction) instead of booking a second one. Should the appointment be cancelled or over by then, the entry
is an ordinary one again.

A walk-in entry waits for a place in today's queue: when someone leaves it, the same engine offers the
place (no hold: the queue's own capacity check decides who gets it).

These functions take a session and never commit; the jobs that run them live in core/jobs/tasks.py.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.errors import (
    AlreadyInQueue,
    AppointmentNotCancellable,
    AppointmentNotFound,
    DomainError,
    PersonAlreadyBooked,
    QueueFull,
    SlotNotFound,
    SlotTaken,
)
from core.flows import Flow
from core.jobs.names import OFFER_FREED_SLOT, OFFER_WALKIN_PLACE, SEND_MESSAGE
from core.models import (
    Appointment,
    AppointmentStatus,
    Clinic,
    OutboundMessage,
    Patient,
    Person,
    Slot,
    SlotStatus,
    WaitlistEntry,
    WaitlistOffer,
    WalkinDay,
)
from core.services import audit, booking, notifications, walkin
from core.services.patients import can_take_sms
from core.timeutil import local_day_bounds, to_local, wished_times

PURPOSE = "waitlist_offer"
WAITING, BOOKED, LEFT, EXPIRED = "waiting", "booked", "left", "expired"
OPEN = "open"


@dataclass(frozen=True)
class Settings:
    """A clinic's waiting-list settings (clinic.settings keys `waitlist_*`), with their defaults."""

    enabled: bool = True
    days: int = 14  # how long an entry waits before it expires
    offers_at_once: int = 3  # entries offered one freed slot at the same time
    offer_minutes: int = 10  # how long an offer holds the slot
    margin_minutes: int = 30  # a slot starting sooner than offer window + this is not offered
    walkin_offer_minutes: int = 5  # a walk-in place given back waits this long for an answer


def settings(clinic: Clinic) -> Settings:
    raw = clinic.settings or {}

    def number(key: str, default: int, low: int, high: int) -> int:
        try:
            return min(max(int(raw.get(key, default)), low), high)
        except (TypeError, ValueError):
            return default

    return Settings(
        enabled=bool(raw.get("waitlist_enabled", True)),
        days=number("waitlist_days", 14, 1, 90),
        offers_at_once=number("waitlist_offers_at_once", 3, 1, 10),
        offer_minutes=number("waitlist_offer_minutes", 10, 2, 120),
        margin_minutes=number("waitlist_margin_minutes", 30, 0, 24 * 60),
        walkin_offer_minutes=number("waitlist_walkin_offer_minutes", 5, 2, 60),
    )


def holder(slot_id: int) -> str:
    """The hold every offer of one slot shares (Slot.held_by)."""
    return f"offer:s{slot_id}"


# ---- entries ---------------------------------------------------------------------------------------------


def waiting_entries(
    session: Session, clinic_id: str, patient: Patient, now: dt.datetime, kind: str | None = None
) -> list[WaitlistEntry]:
    """The phone's entries still waiting at a clinic (every person of the phone), oldest first."""
    query = select(WaitlistEntry).where(
        WaitlistEntry.clinic_id == clinic_id,
        WaitlistEntry.patient_id == patient.id,
        WaitlistEntry.status == WAITING,
        WaitlistEntry.expires_at > now,
    )
    if kind:
        query = query.where(WaitlistEntry.kind == kind)
    return list(session.scalars(query.order_by(WaitlistEntry.joined_at, WaitlistEntry.id)))


def join(
    session: Session,
    clinic: Clinic,
    patient: Patient,
    person: Person,
    wish: dict,
    channel: str,
    now: dt.datetime,
    kind: str = "appointment",
    actor: str | None = None,
    replaces: int | None = None,
) -> tuple[WaitlistEntry, bool]:
    """Put a person on the clinic's list (or find the entry they already have); (entry, newly added).

    `replaces`: the person's appointment the entry is to bring forward (a change with nothing earlier free);
    without it, the person's next upcoming appointment at the clinic, if any.
    """
    if person.patient_id != patient.id:
        raise ValueError("a person joins the list only through their own phone")
    _expire_old(session, clinic.id, now)
    held = _to_replace(session, clinic, person, replaces, now) if kind == "appointment" else None
    existing = session.scalar(
        select(WaitlistEntry).where(
            WaitlistEntry.clinic_id == clinic.id,
            WaitlistEntry.person_id == person.id,
            WaitlistEntry.kind == kind,
            WaitlistEntry.status == WAITING,
        )
    )
    if existing is not None:
        if wish and kind == "appointment":
            existing.wish = dict(wish)  # the newest wish replaces the old one; the place in line is kept
        if kind == "appointment":
            existing.replaces_id = held.id if held is not None else None
        return existing, False
    if kind == "walkin":
        _, day_end = local_day_bounds(to_local(now, clinic.timezone).date(), clinic.timezone)
        expires = day_end
    else:
        expires = now + dt.timedelta(days=settings(clinic).days)
    entry = WaitlistEntry(
        clinic_id=clinic.id,
        patient_id=patient.id,
        person_id=person.id,
        kind=kind,
        wish=dict(wish or {}),
        status=WAITING,
        channel=str(channel),
        joined_at=now,
        expires_at=expires,
        replaces_id=held.id if held is not None else None,
    )
    session.add(entry)
    session.flush()
    audit.record(
        session,
        "waitlist.joined",
        channel=str(channel),
        clinic_id=clinic.id,
        actor=actor,
        subject=f"waitlist:{entry.id}",
        kind=kind,
        replaces=entry.replaces_id,
    )
    return entry, True


def _to_replace(
    session: Session, clinic: Clinic, person: Person, replaces: int | None, now: dt.datetime
) -> Appointment | None:
    """The appointment a new entry would bring forward: the one named (the person's own, still ahead), else
    the person's next upcoming appointment at the clinic."""
    if replaces is not None:
        named = session.get(Appointment, int(replaces))
        if named is not None and named.person_id != person.id:
            raise ValueError("an entry replaces only an appointment of its own person")
        if _ahead(named, now) and named.clinic_id == clinic.id:
            return named
    return session.scalar(
        select(Appointment)
        .where(
            Appointment.person_id == person.id,
            Appointment.clinic_id == clinic.id,
            Appointment.status == AppointmentStatus.BOOKED,
            Appointment.starts_at > now,
        )
        .order_by(Appointment.starts_at, Appointment.id)
        .limit(1)
    )


def _ahead(appointment: Appointment | None, now: dt.datetime) -> bool:
    return appointment is not None and appointment.is_upcoming(now)


def held_appointment(session: Session, entry: WaitlistEntry, now: dt.datetime) -> Appointment | None:
    """The appointment the entry would replace, if it is still booked and ahead (None: an ordinary entry).

    A change the patient made meanwhile (CHANGER) is followed to the appointment it booked.
    """
    appointment_id = entry.replaces_id
    for _ in range(20):  # a chain of moves; never endless
        appointment = session.get(Appointment, appointment_id) if appointment_id else None
        if appointment is None or appointment.person_id != entry.person_id:
            return None
        if appointment.status != AppointmentStatus.CANCELLED:
            return appointment if _ahead(appointment, now) else None
        appointment_id = session.scalar(
            select(Appointment.id)
            .where(Appointment.replaces_id == appointment.id)
            .order_by(Appointment.id.desc())
            .limit(1)
        )
    return None


def leave(
    session: Session, entry: WaitlistEntry, now: dt.datetime, channel: str, actor: str | None = None
) -> None:
    """The person leaves the list (QUITTER LISTE, or staff removed them); open offers to them end."""
    if entry.status != WAITING:
        return
    entry.status = LEFT
    entry.ended_at = now
    for offer in _open_offers_of(session, entry.id):
        offer.status = "withdrawn"
        offer.answered_at = now
        _requeue(session, offer, now)
    audit.record(
        session,
        "waitlist.left",
        channel=str(channel),
        clinic_id=entry.clinic_id,
        actor=actor,
        subject=f"waitlist:{entry.id}",
    )


def _expire_old(session: Session, clinic_id: str, now: dt.datetime) -> None:
    session.execute(
        update(WaitlistEntry)
        .where(
            WaitlistEntry.clinic_id == clinic_id,
            WaitlistEntry.status == WAITING,
            WaitlistEntry.expires_at <= now,
        )
        .values(status=EXPIRED, ended_at=now)
        .execution_options(synchronize_session=False)
    )


def _open_offers_of(session: Session, entry_id: int) -> list[WaitlistOffer]:
    return list(
        session.scalars(
            select(WaitlistOffer).where(WaitlistOffer.entry_id == entry_id, WaitlistOffer.status == OPEN)
        )
    )


def booked_elsewhere(session: Session, person_id: int, appointment_id: int, now: dt.datetime) -> None:
    """A person on the list booked by other means: the entry is done (a booked entry leaves the list)."""
    for entry in session.scalars(
        select(WaitlistEntry).where(
            WaitlistEntry.person_id == person_id,
            WaitlistEntry.status == WAITING,
            WaitlistEntry.kind == "appointment",
        )
    ):
        entry.status = BOOKED
        entry.ended_at = now
        entry.appointment_id = appointment_id


# ---- what suits whom --------------------------------------------------------------------------------------


def matches(wish: dict, starts_at: dt.datetime, tz: str) -> bool:
    """Whether a slot starting then keeps the entry's wish (its day, weekdays, part of day, times, limits)."""
    local = to_local(starts_at, tz)
    day, at = local.date(), local.time().replace(tzinfo=None)
    if wish.get("date") and day.isoformat() not in {wish["date"], *(wish.get("or") or ())}:
        return False
    if wish.get("from") and starts_at < dt.datetime.fromisoformat(wish["from"]):
        return False
    if wish.get("nb") and day < dt.date.fromisoformat(wish["nb"]):
        return False
    if wish.get("na") and day > dt.date.fromisoformat(wish["na"]):
        return False
    if wish.get("days") and day.weekday() not in {int(d) for d in wish["days"]}:
        return False
    times = wished_times(
        wish.get("part"),
        dt.time.fromisoformat(wish["after"]) if wish.get("after") else None,
        dt.time.fromisoformat(wish["before"]) if wish.get("before") else None,
    )
    if times is not None and not (times[0] <= at and (times[1] is None or at < times[1])):
        return False
    if wish.get("at"):  # "vers 14 h": within an hour of it
        wished = dt.time.fromisoformat(wish["at"])
        minutes = abs((at.hour * 60 + at.minute) - (wished.hour * 60 + wished.minute))
        if minutes > 60:
            return False
    return True


def _may_be_offered(clinic: Clinic, kind: str, now: dt.datetime) -> tuple:
    """Conditions on entries (joined to their patient) that may get an offer now: still waiting, not
    expired, not opted out, and not already holding an open offer."""
    busy = select(WaitlistOffer.entry_id).where(WaitlistOffer.status == OPEN)
    return (
        WaitlistEntry.clinic_id == clinic.id,
        WaitlistEntry.kind == kind,
        WaitlistEntry.status == WAITING,
        WaitlistEntry.expires_at > now,
        Patient.opted_out.is_(False),
        WaitlistEntry.id.not_in(busy),
    )


def _candidates(
    session: Session, clinic: Clinic, slot: Slot, now: dt.datetime, limit: int
) -> list[WaitlistEntry]:
    """The first waiting entries, in join order, that the slot suits and that may be offered it now."""
    if limit <= 0:
        return []
    offered = select(WaitlistOffer.entry_id).where(WaitlistOffer.slot_id == slot.id)
    rows = session.execute(
        select(WaitlistEntry, Patient)
        .join(Patient, Patient.id == WaitlistEntry.patient_id)
        .where(*_may_be_offered(clinic, "appointment", now), WaitlistEntry.id.not_in(offered))
        .order_by(WaitlistEntry.joined_at, WaitlistEntry.id)
    ).all()
    found = []
    for entry, _patient in rows:
        if not matches(entry.wish or {}, slot.starts_at, clinic.timezone):
            continue
        held = held_appointment(session, entry, now)
        if held is not None and slot.starts_at >= held.starts_at:
            continue  # waiting to come earlier: a slot no sooner than the appointment held is no use
        since = _booked_since_joining(session, entry, now, keep=held.id if held is not None else None)
        if since is not None:  # booked by other means since joining: a booked entry leaves the list
            entry.status, entry.ended_at, entry.appointment_id = BOOKED, now, since
            continue
        if booking.has_booking_at(session, entry.person_id, slot.starts_at):
            continue
        found.append(entry)
        if len(found) >= limit:
            break
    return found


def _booked_since_joining(
    session: Session, entry: WaitlistEntry, now: dt.datetime, keep: int | None = None
) -> int | None:
    """An appointment the person booked after joining (`keep`: the one the entry waits to bring forward)."""
    query = select(Appointment.id).where(
        Appointment.person_id == entry.person_id,
        Appointment.clinic_id == entry.clinic_id,
        Appointment.status == AppointmentStatus.BOOKED,
        Appointment.created_at >= entry.joined_at,
        Appointment.starts_at > now,
    )
    if keep is not None:
        query = query.where(Appointment.id != keep)
    return session.scalar(query.limit(1))


# ---- offering a freed slot --------------------------------------------------------------------------------


def slots_opened(session: Session, clinic_id: str, slot_ids: list[int], now: dt.datetime) -> None:
    """Freed slots: one outbox job each, in the transaction that freed them (the offers are made there)."""
    from core.jobs import outbox

    for slot_id in dict.fromkeys(slot_ids):
        outbox.add(session, OFFER_FREED_SLOT, int(slot_id), now=now)


@dataclass
class Round:
    """What one pass over a freed slot did: the messages to send now, and when to look again."""

    messages: list[OutboundMessage]
    again_at: dt.datetime | None = None
    reason: str = ""


def offer_slot(session: Session, slot_id: int, now: dt.datetime) -> Round:
    """Offer a free slot to the next matching entries (up to N open offers), holding it meanwhile.

    Expired offers of the slot are closed first; the slot's hold is stretched to the last open offer, or
    given back when nobody is left to ask. Outside 08:00–21:00 nothing is sent: the round is due again at
    08:00 if the slot is still far enough away by then.
    """
    slot = session.get(Slot, slot_id, with_for_update=True, populate_existing=True)
    if slot is None:
        return Round([], reason="no slot")
    clinic = session.get(Clinic, slot.clinic_id)
    rules = settings(clinic)
    mine = holder(slot.id)
    _close_expired(session, now, slot_id=slot.id)
    open_offers = list(
        session.scalars(
            select(WaitlistOffer).where(WaitlistOffer.slot_id == slot.id, WaitlistOffer.status == OPEN)
        )
    )
    free = slot.status == SlotStatus.FREE or (
        slot.status == SlotStatus.HELD
        and (slot.held_by == mine or (slot.held_until and slot.held_until < now))
    )
    if not free or slot.starts_at <= now:
        for offer in open_offers:  # booked another way (a patient, the desk) before anyone answered
            offer.status = "withdrawn"
            offer.answered_at = now
        return Round([], reason="not free")
    if not rules.enabled:
        return Round([], reason="waiting list off")
    window = dt.timedelta(minutes=rules.offer_minutes)
    margin = dt.timedelta(minutes=rules.margin_minutes)
    send_at = notifications.next_send_window(clinic, now)
    if slot.starts_at < send_at + window + margin:
        _release(session, slot, mine, open_offers)
        return Round([], reason="too near")
    if send_at > now:  # quiet hours: look again at 08:00 (nothing held overnight)
        _release(session, slot, mine, open_offers)
        return Round([], again_at=send_at, reason="quiet hours")
    wanted = rules.offers_at_once - len(open_offers)
    made: list[OutboundMessage] = []
    for entry in _candidates(session, clinic, slot, now, max(wanted, 0)):
        made.append(_make_offer(session, clinic, entry, now, window, slot=slot))
    open_now = open_offers + [m.offer for m in made]
    if not open_now:
        _release(session, slot, mine, [])
        return Round([], reason="nobody matches")
    until = max(o.expires_at for o in open_now)
    slot.status = SlotStatus.HELD
    slot.held_by = mine
    slot.held_until = until
    return Round([m.message for m in made], again_at=min(o.expires_at for o in open_now), reason="offered")


@dataclass
class _Made:
    offer: WaitlistOffer
    message: OutboundMessage


def _make_offer(session, clinic, entry, now, window, slot=None, walkin_day=None) -> _Made:
    patient = entry.patient
    kind = "sms" if patient.notify_by != "call" and can_take_sms(patient.phone) else "call"
    offer = WaitlistOffer(
        entry_id=entry.id,
        clinic_id=clinic.id,
        slot_id=slot.id if slot is not None else None,
        walkin_day_id=walkin_day.id if walkin_day is not None else None,
        kind=kind,
        status=OPEN,
        created_at=now,
        expires_at=now + window,
    )
    session.add(offer)
    session.flush()
    message = notifications.create_message(
        session,
        clinic=clinic,
        patient=patient,
        purpose=PURPOSE,
        subject=f"waitlist_offer:{offer.id}",
        dedupe_key=f"waitlist_offer:{offer.id}",
        now=now,
        kind=kind,
    )
    session.flush()
    offer.message_id = message.id
    from core.jobs import outbox

    outbox.add(session, SEND_MESSAGE, message.id, now=now)
    if kind == "sms":  # a bare OUI answers this offer (core/dialog/waitlist.py)
        from core.dialog.store import prime

        prime(
            session,
            channel="sms",
            conversation_key=patient.phone,
            clinic_id=clinic.id,
            flow=Flow.WAITLIST_OFFER,
            data={"offer_id": offer.id},
            now=now,
            minutes=int(window.total_seconds() // 60) + 5,
        )
    audit.record(
        session,
        "waitlist.offered",
        channel="system",
        clinic_id=clinic.id,
        subject=f"waitlist:{entry.id}",
        offer_id=offer.id,
        slot_id=offer.slot_id,
        kind=kind,
    )
    return _Made(offer, message)


def _release(session: Session, slot: Slot, mine: str, open_offers: list[WaitlistOffer]) -> None:
    if slot.status == SlotStatus.HELD and slot.held_by == mine:
        slot.status = SlotStatus.FREE
        slot.held_by = None
        slot.held_until = None
    for offer in open_offers:
        offer.status = "withdrawn"


def _close_expired(session: Session, now: dt.datetime, slot_id: int | None = None) -> list[WaitlistOffer]:
    query = select(WaitlistOffer).where(WaitlistOffer.status == OPEN, WaitlistOffer.expires_at <= now)
    if slot_id is not None:
        query = query.where(WaitlistOffer.slot_id == slot_id)
    expired = list(session.scalars(query))
    for offer in expired:
        offer.status = "expired"
    return expired


def sweep(session: Session, now: dt.datetime) -> int:
    """The periodic tick: close expired offers and look again at their slots or places (the next entry)."""
    expired = _close_expired(session, now)
    for offer in expired:
        _requeue(session, offer, now)
    for clinic_id in session.scalars(
        select(WaitlistEntry.clinic_id).where(WaitlistEntry.status == WAITING).distinct()
    ):
        _expire_old(session, clinic_id, now)
    return len(expired)


def purge_ended(session: Session, cutoff: dt.datetime) -> int:
    """Retention: entries that ended (booked, left, expired) before the cutoff go, with their offers."""
    from sqlalchemy import delete

    ended = select(WaitlistEntry.id).where(WaitlistEntry.status != WAITING, WaitlistEntry.ended_at < cutoff)
    session.execute(
        delete(WaitlistOffer)
        .where(WaitlistOffer.entry_id.in_(ended))
        .execution_options(synchronize_session=False)
    )
    return session.execute(
        delete(WaitlistEntry)
        .where(WaitlistEntry.status != WAITING, WaitlistEntry.ended_at < cutoff)
        .execution_options(synchronize_session=False)
    ).rowcount


def _requeue(session: Session, offer: WaitlistOffer, now: dt.datetime) -> None:
    from core.jobs import outbox

    if offer.slot_id is not None:
        outbox.add(session, OFFER_FREED_SLOT, offer.slot_id, now=now)
    elif offer.walkin_day_id is not None:
        outbox.add(session, OFFER_WALKIN_PLACE, offer.clinic_id, now=now)


# ---- answers ------------------------------------------------------------------------------------------------


@dataclass
class Answer:
    """How an answer to an offer went: booked (with the appointment or ticket), taken, expired or gone."""

    outcome: str  # booked | taken | expired | gone | declined | not_earlier
    appointment: Appointment | None = None
    ticket_id: int | None = None
    offer: WaitlistOffer | None = None
    moved: bool = False  # the booking moved the appointment the entry waited to bring forward


def find_offer(session: Session, offer_id: int | None, patient: Patient | None) -> WaitlistOffer | None:
    """An offer made to this phone (None for someone else's or an unknown id)."""
    if offer_id is None or patient is None:
        return None
    offer = session.get(WaitlistOffer, int(offer_id))
    if offer is None or offer.entry.patient_id != patient.id:
        return None
    return offer


def accept(session: Session, offer: WaitlistOffer, now: dt.datetime, channel: str) -> Answer:
    """Take the offered slot (or place) for the entry's person; exactly one of the offers of a slot wins.

    Nothing is locked before the booking's own UPDATE of the slot, so racing answers queue on that one row
    and never on each other's offers.
    """
    entry = offer.entry
    if offer.status == "accepted":
        appointment = session.get(Appointment, offer.appointment_id) if offer.appointment_id else None
        moved = appointment is not None and appointment.replaces_id is not None
        return Answer("booked", appointment=appointment, offer=offer, ticket_id=entry.ticket_id, moved=moved)
    if offer.status in ("taken", "withdrawn") or entry.status != WAITING:
        return Answer("taken" if offer.status in ("taken", "withdrawn") else "gone", offer=offer)
    if offer.status == "expired" or offer.expires_at <= now:
        offer.status = "expired"
        _requeue(session, offer, now)
        return Answer("expired", offer=offer)
    if offer.slot_id is None:
        return _accept_walkin(session, offer, now, channel)
    held = held_appointment(session, entry, now)
    if held is not None and session.get(Slot, offer.slot_id).starts_at >= held.starts_at:
        offer.status = "declined"  # the appointment came earlier meanwhile: moving it there would be later
        offer.answered_at = now
        _requeue(session, offer, now)
        return Answer("not_earlier", appointment=held, offer=offer)
    try:
        appointment = _take(session, offer, entry, held, now, channel)
    except (SlotTaken, SlotNotFound):
        offer.status = "taken"
        offer.answered_at = now
        return Answer("taken", offer=offer)
    except PersonAlreadyBooked:
        offer.status = "declined"
        offer.answered_at = now
        _requeue(session, offer, now)
        return Answer("declined", offer=offer)
    moved = appointment.replaces_id is not None
    offer.status = "accepted"
    offer.answered_at = now
    offer.appointment_id = appointment.id
    entry.status = BOOKED
    entry.ended_at = now
    entry.appointment_id = appointment.id
    others = session.scalars(
        select(WaitlistOffer).where(
            WaitlistOffer.slot_id == offer.slot_id, WaitlistOffer.id != offer.id, WaitlistOffer.status == OPEN
        )
    )
    for other in others:
        other.status = "taken"
    booked_elsewhere(session, entry.person_id, appointment.id, now)  # the person's other entries, if any
    audit.record(
        session,
        "waitlist.booked",
        channel=channel,
        clinic_id=offer.clinic_id,
        subject=f"waitlist:{entry.id}",
        offer_id=offer.id,
        appointment_id=appointment.id,
        moved=appointment.replaces_id,
    )
    return Answer("booked", appointment=appointment, offer=offer, moved=moved)


def _take(
    session: Session,
    offer: WaitlistOffer,
    entry: WaitlistEntry,
    held: Appointment | None,
    now: dt.datetime,
    channel: str,
) -> Appointment:
    """Book the offered slot: by moving the appointment the entry waits to bring forward (its old slot is
    freed and offered on, core.services.freed), or, with none left, as a new booking."""
    if held is not None:
        try:
            return booking.reschedule(
                session,
                held.id,
                offer.slot_id,
                now,
                channel,
                patient_id=entry.patient_id,
                holder=holder(offer.slot_id),
                length=_visit_length(session.get(Clinic, offer.clinic_id), held.reason),
            )
        except (AppointmentNotFound, AppointmentNotCancellable):
            pass  # cancelled or started since it was read: the offer simply books
    return booking.book(
        session,
        offer.slot_id,
        entry.patient,
        channel,
        now,
        holder=holder(offer.slot_id),
        person=entry.person,
    )


def _accept_walkin(session: Session, offer: WaitlistOffer, now: dt.datetime, channel: str) -> Answer:
    entry = offer.entry
    clinic = session.get(Clinic, offer.clinic_id)
    try:
        ticket = walkin.join_walkin_queue(
            session,
            clinic,
            entry.patient,
            channel,
            now,
            person=entry.person,
            notify_by=entry.patient.notify_by,
        )
    except AlreadyInQueue as exc:
        ticket_id = exc.ticket_id
    except (QueueFull, DomainError):
        offer.status = "taken"
        offer.answered_at = now
        return Answer("taken", offer=offer)
    else:
        ticket_id = ticket.id
    offer.status = "accepted"
    offer.answered_at = now
    entry.status = BOOKED
    entry.ended_at = now
    entry.ticket_id = ticket_id
    audit.record(
        session,
        "waitlist.walkin_place",
        channel=channel,
        clinic_id=offer.clinic_id,
        subject=f"waitlist:{entry.id}",
        ticket_id=ticket_id,
    )
    return Answer("booked", offer=offer, ticket_id=ticket_id)


def decline(session: Session, offer: WaitlistOffer, now: dt.datetime) -> Answer:
    """No thanks: the entry stays on the list, and the slot goes to the next entry."""
    if offer.status != OPEN:
        return Answer("gone", offer=offer)
    offer.status = "declined"
    offer.answered_at = now
    _requeue(session, offer, now)
    return Answer("declined", offer=offer)


# ---- walk-in places given back -----------------------------------------------------------------------------


def walkin_place_opened(session: Session, clinic_id: str, now: dt.datetime) -> None:
    """Someone left today's walk-in queue: look for a walk-in entry to offer the place to."""
    from core.jobs import outbox

    if session.scalar(
        select(func.count())
        .select_from(WaitlistEntry)
        .where(
            WaitlistEntry.clinic_id == clinic_id,
            WaitlistEntry.kind == "walkin",
            WaitlistEntry.status == WAITING,
            WaitlistEntry.expires_at > now,
        )
    ):
        outbox.add(session, OFFER_WALKIN_PLACE, clinic_id, now=now)


def offer_walkin_place(session: Session, clinic_id: str, now: dt.datetime) -> Round:
    """Offer today's free walk-in places (one open offer per free place) to the walk-in entries, in order."""
    clinic = session.get(Clinic, clinic_id)
    if clinic is None or not clinic.walkin_enabled:
        return Round([], reason="no walk-in")
    rules = settings(clinic)
    _close_expired(session, now)
    local_day = to_local(now, clinic.timezone).date()
    day = session.scalar(
        select(WalkinDay).where(WalkinDay.clinic_id == clinic.id, WalkinDay.day == local_day)
    )
    if day is None or day.closed or notifications.next_send_window(clinic, now) > now:
        return Round([], reason="closed or quiet")
    free = day.capacity - walkin.places_taken(session, day)
    open_offers = session.scalar(
        select(func.count())
        .select_from(WaitlistOffer)
        .where(WaitlistOffer.walkin_day_id == day.id, WaitlistOffer.status == OPEN)
    )
    wanted = free - open_offers
    if wanted <= 0:
        return Round([], reason="no free place")
    entries = session.scalars(
        select(WaitlistEntry)
        .join(Patient, Patient.id == WaitlistEntry.patient_id)
        .where(*_may_be_offered(clinic, "walkin", now))
        .order_by(WaitlistEntry.joined_at, WaitlistEntry.id)
        .limit(wanted)
    ).all()
    window = dt.timedelta(minutes=rules.walkin_offer_minutes)
    made = [_make_offer(session, clinic, entry, now, window, walkin_day=day) for entry in entries]
    again = min((m.offer.expires_at for m in made), default=None)
    return Round([m.message for m in made], again_at=again, reason="offered" if made else "nobody waiting")


# ---- what the messages and the console say -----------------------------------------------------------------


def offer_of_message(session: Session, message: OutboundMessage) -> WaitlistOffer | None:
    if not (message.subject or "").startswith("waitlist_offer:"):
        return None
    return session.get(WaitlistOffer, int(message.subject.split(":", 1)[1]))


def why_not_send(session: Session, message: OutboundMessage, now: dt.datetime) -> str | None:
    offer = offer_of_message(session, message)
    if offer is None or offer.status != OPEN or offer.expires_at <= now:
        return "offer no longer open"
    return None


def _visit_length(clinic: Clinic, reason: str | None) -> int:
    """The consecutive slots a moved appointment's visit reason takes (clinic.settings "reasons"): a longer
    visit moves whole, or not at all (SlotTaken when the slots after the offered one are not free)."""
    for row in (clinic.settings or {}).get("reasons") or []:
        if isinstance(row, dict) and reason and row.get("key") == reason:
            return max(int(row.get("slots", 1) or 1), 1)
    return 1


def offer_values(session: Session, offer: WaitlistOffer, lang: str, now: dt.datetime | None = None) -> dict:
    """The placeholders of an offer's words, raw: clinic, when (clinic-local), minutes to answer, who, phone,
    and `held`: the appointment it would move (empty for an ordinary entry)."""
    clinic = session.get(Clinic, offer.clinic_id)
    values = {
        "clinic": clinic.display_name(lang),
        "minutes": max(1, int((offer.expires_at - offer.created_at).total_seconds() // 60)),
        "name": offer.entry.person.first_name or "",
        "phone": clinic.phone or "",
        "when": "",
        "held": "",
    }
    if offer.slot_id is not None:
        slot = session.get(Slot, offer.slot_id)
        values["when"] = to_local(slot.starts_at, clinic.timezone).replace(tzinfo=None)
        held = held_appointment(session, offer.entry, now or offer.created_at)
        if held is not None:
            values["held"] = to_local(held.starts_at, clinic.timezone).replace(tzinfo=None)
    return values


def offer_says(session: Session, message: OutboundMessage) -> list:
    """What the SMS of an offer says (worded by prompts/sms.py, as every SMS)."""
    from core.dialog.types import Say

    offer = offer_of_message(session, message)
    clinic = session.get(Clinic, message.clinic_id)
    values = offer_values(session, offer, message.lang or clinic.default_lang)
    key = "waitlist_offer_sms" if offer.slot_id is not None else "waitlist_walkin_offer_sms"
    if values["held"]:
        key = "earlier_offer_sms"  # OUI moves the appointment held: the text says so
    return [Say(key, values)]


@dataclass
class Line:
    """One entry as the console shows it, with the offers made to it."""

    entry: WaitlistEntry
    offers: list[tuple[WaitlistOffer, dt.datetime | None]]  # each offer and the start of its slot


def clinic_list(session: Session, clinic_id: str, now: dt.datetime, include_ended: bool = True) -> list[Line]:
    """The clinic's list for the console: waiting entries first (join order), then recently ended ones."""
    _expire_old(session, clinic_id, now)
    query = select(WaitlistEntry).where(WaitlistEntry.clinic_id == clinic_id)
    if not include_ended:
        query = query.where(WaitlistEntry.status == WAITING)
    else:
        query = query.where(
            (WaitlistEntry.status == WAITING) | (WaitlistEntry.ended_at >= now - dt.timedelta(days=14))
        )
    entries = list(session.scalars(query.order_by(WaitlistEntry.joined_at, WaitlistEntry.id)))
    entries.sort(key=lambda e: (e.status != WAITING, e.joined_at))
    ids = [e.id for e in entries]
    offers: dict[int, list] = {}
    if ids:
        rows = session.execute(
            select(WaitlistOffer, Slot.starts_at)
            .outerjoin(Slot, Slot.id == WaitlistOffer.slot_id)
            .where(WaitlistOffer.entry_id.in_(ids))
            .order_by(WaitlistOffer.created_at, WaitlistOffer.id)
        ).all()
        for offer, starts_at in rows:
            offers.setdefault(offer.entry_id, []).append((offer, starts_at))
    return [Line(e, offers.get(e.id, [])) for e in entries]


def day_or_days(wish: dict):
    """The day of a wish, or its days ("mercredi ou jeudi"), as a phrase with raw values: mer. 9 déc. ou
    jeu. 10 déc."""
    from core.dialog.types import Parts, Say  # the dialog package imports the services, not the other way

    first = Say("limit_day", {"date": dt.date.fromisoformat(wish["date"])})
    if not wish.get("or"):
        return first
    others = (Say("limit_or_day", {"date": dt.date.fromisoformat(day)}) for day in wish["or"])
    return Parts((first, *others), " ")


def wish_parts(wish: dict, lang: str, tz: str = "America/Toronto"):
    """The wish as phrases with raw values (each channel words them): jeudi, le matin, au plus tard le 18 déc."""
    from core.dialog.types import Parts, Say  # the dialog package imports the services, not the other way
    from prompts import render

    parts = []
    if wish.get("date"):
        parts.append(day_or_days(wish))
    if wish.get("from"):
        day = to_local(dt.datetime.fromisoformat(wish["from"]), tz).date()
        parts.append(Say("waitlist_wish_from", {"date": day}))
    if wish.get("nb"):
        parts.append(Say("waitlist_wish_from", {"date": dt.date.fromisoformat(wish["nb"])}))
    if wish.get("days"):
        names = render("waitlist_weekdays", lang).split(",")
        parts.append(", ".join(names[int(d)].strip() for d in sorted(wish["days"]) if 0 <= int(d) < 7))
    if wish.get("part"):
        parts.append(Say(f"waitlist_part_{wish['part']}"))
    for limit in ("after", "at", "before"):  # "après 15 h", "vers 10 h", "avant midi"
        if wish.get(limit):
            parts.append(Say(f"waitlist_wish_{limit}", {"time": dt.time.fromisoformat(wish[limit])}))
    if wish.get("na"):
        parts.append(Say("waitlist_wish_until", {"date": dt.date.fromisoformat(wish["na"])}))
    return Parts(tuple(parts)) if parts else Say("waitlist_wish_any")


def describe_wish(wish: dict, lang: str, tz: str = "America/Toronto") -> str:
    """The wish in a few words for the console ('jeudi, le matin, au plus tard le 18 déc.')."""
    from prompts.sms import value_text

    return str(value_text("wish", wish_parts(wish, lang, tz), lang, tz))


def voicemail_says(session: Session, offer: WaitlistOffer, lang: str) -> list:
    """The complete message an answering machine gets for an offer call (clinic, day, time, the number to
    call back): the words the no-show work's answering-machine detection plays instead of the menu."""
    from core.dialog.types import Say

    values = offer_values(session, offer, lang)
    key = "waitlist_offer_voicemail" if offer.slot_id is not None else "waitlist_walkin_voicemail"
    return [Say(key, values)]
