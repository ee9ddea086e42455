"""Where else: up to three nearby clinics with availability, from this database and the neighbours' files.

Clinics of this instance are read directly (their slots and today's walk-in queue); other instances'
clinics come from what the discovery job stored. Nothing here touches the network.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.federation import fhir, places
from core.federation.publish import booking_phone, place_of, walkin_slot
from core.models import Clinic, FederationFeed, FederationResource, Patient, PatientArea, Slot, utcnow
from core.services.booking import bookable_now, public_slot

LIMIT = 3
OFFER_HORIZON = dt.timedelta(days=14)
RADIUS_KM = 60.0  # farther than this is not "nearby" once the patient's postal area is known
STALE = dt.timedelta(hours=2)  # a neighbour silent this long is not offered (its data may be wrong)


@dataclass(frozen=True)
class Offer:
    """One clinic to suggest: its name, the number to text or call, how far, and what it has."""

    name: str
    phone: str  # E.164: its clinicline number (booking-phone)
    km: float | None
    starts_at: dt.datetime | None  # the first free appointment
    walkin_places: int | None  # places left in today's walk-in queue


def _position(place: dict) -> tuple[float, float] | None:
    lat, lon = place.get("latitude"), place.get("longitude")
    if isinstance(lat, int | float) and isinstance(lon, int | float):
        return (float(lat), float(lon))
    return None


def clinic_position(clinic: Clinic) -> tuple[float, float] | None:
    """Where a clinic of this instance is (from its clinics file)."""
    return _position(place_of(clinic))


def walkin_places(slot) -> int | None:
    """The places left in a published walk-in Slot (its capacity extension), None when it is not free."""
    if slot is None or slot.status != "free":
        return None
    return next((e.valueInteger for e in slot.extension or [] if e.url == fhir.SLOT_CAPACITY), None)


def _local(session: Session, here: Clinic, now: dt.datetime) -> list[tuple[Offer, tuple | None]]:
    found = []
    horizon = now + OFFER_HORIZON
    for clinic in session.scalars(select(Clinic).where(Clinic.id != here.id).order_by(Clinic.id)):
        phone = booking_phone(clinic)
        if not phone:
            continue
        first = session.scalar(
            select(func.min(Slot.starts_at)).where(
                Slot.clinic_id == clinic.id,
                Slot.starts_at > now,
                Slot.starts_at < horizon,
                bookable_now(now),
                public_slot(),
            )
        )
        walkin = walkin_slot(session, clinic, now, phone)
        places_left = (
            walkin.extension[-1].valueInteger if walkin is not None and walkin.status == "free" else None
        )
        offer = Offer(clinic.name, phone, None, first, places_left)
        found.append((offer, clinic_position(clinic)))
    return found


def _remote(session: Session, now: dt.datetime, skip_phones: set[str]) -> list[tuple[Offer, tuple | None]]:
    # A neighbour that did not answer its last poll is skipped: its line may be down with it.
    fresh = session.scalars(
        select(FederationFeed.id).where(FederationFeed.status == "ok", FederationFeed.ok_at >= now - STALE)
    ).all()
    if not fresh:
        return []
    rows = session.scalars(
        select(FederationResource).where(
            FederationResource.feed_id.in_(fresh), FederationResource.type.in_(("Location", "Schedule"))
        )
    ).all()
    locations = {(r.feed_id, r.resource_id): r for r in rows if r.type == "Location"}
    schedule_at = {(r.feed_id, r.resource_id): (r.feed_id, r.parent_id) for r in rows if r.type == "Schedule"}
    first: dict[tuple, dt.datetime] = {}
    walkin: dict[tuple, int] = {}
    phone_of: dict[tuple, str] = {}
    slots = session.execute(
        select(
            FederationResource.feed_id,
            FederationResource.parent_id,
            FederationResource.starts_at,
            FederationResource.data,
        ).where(
            FederationResource.feed_id.in_(fresh),
            FederationResource.type == "Slot",
            FederationResource.free.is_(True),
            FederationResource.ends_at > now,
            FederationResource.starts_at < now + OFFER_HORIZON,
        )
    )
    for feed_id, schedule_id, starts_at, data in slots:
        where = schedule_at.get((feed_id, schedule_id))
        if where is None or where not in locations:
            continue
        if data.get("phone"):
            phone_of.setdefault(where, data["phone"])
        if data.get("walkin"):
            if (data.get("capacity") or 0) > 0:
                walkin[where] = walkin.get(where, 0) + data["capacity"]
        elif starts_at > now and (where not in first or starts_at < first[where]):
            first[where] = starts_at
    found = []
    for key, location in locations.items():
        phone = phone_of.get(key) or location.data.get("phone")
        if not phone or phone in skip_phones or (key not in first and key not in walkin):
            continue
        offer = Offer(location.data.get("name") or phone, phone, None, first.get(key), walkin.get(key))
        found.append((offer, _position(location.data)))
    return found


def nearby(
    session: Session,
    here: Clinic,
    now: dt.datetime,
    fsa: str | None,
    limit: int = LIMIT,
    radius_km: float = RADIUS_KM,
) -> list[Offer]:
    """Up to `limit` other clinics with a free slot or walk-in places: nearest first, else soonest first."""
    own = {booking_phone(c) for c in session.scalars(select(Clinic))}
    candidates = _local(session, here, now) + _remote(session, now, own)
    origin = places.area(fsa)
    ranked = []
    seen = set()
    for offer, position in candidates:
        if offer.phone in seen or (offer.starts_at is None and not offer.walkin_places):
            continue
        seen.add(offer.phone)
        km = None
        if origin is not None and position is not None:
            km = places.km_between(places.point(origin), position)
            if km > radius_km:
                continue
        soonest = offer.starts_at or now
        if offer.walkin_places:
            soonest = now
        ranked.append((km if km is not None else float("inf"), soonest, offer, km))
    ranked.sort(key=lambda item: (item[0], item[1]) if origin is not None else (item[1], item[0]))
    return [
        Offer(o.name, o.phone, None if km is None else round(km), o.starts_at, o.walkin_places)
        for _, _, o, km in ranked[:limit]
    ]


def remembered_area(session: Session, patient: Patient | None) -> str | None:
    """The postal area a patient gave before."""
    if patient is None or patient.id is None:
        return None
    row = session.get(PatientArea, patient.id)
    return row.fsa if row else None


def remember_area(session: Session, patient: Patient | None, fsa: str) -> None:
    """Keep the patient's postal area (only the first three characters: never the full postal code)."""
    if patient is None:
        return
    session.flush()
    row = session.get(PatientArea, patient.id)
    if row is None:
        session.add(PatientArea(patient_id=patient.id, fsa=fsa, updated_at=utcnow()))
    else:
        row.fsa, row.updated_at = fsa, utcnow()
