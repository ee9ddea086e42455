"""Publishing: this instance's clinics as a SMART Scheduling Links data set (a manifest and three NDJSON files).

Appointments: every slot of the next 14 days, free or busy (the guide asks for busy ones too, so clients
see capacity). Walk-in: one Slot per clinic for what is left of today's walk-in hours, `free` while places
remain and `busy` once the queue is full or closed, with the places left in the SMART capacity extension.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
import time
from dataclasses import dataclass, field

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from core.federation import fhir
from core.models import Clinic, Slot, SlotStatus, TicketStatus, WalkinDay, WalkinTicket
from core.services.clinics import local_now, periods
from core.timeutil import local_to_utc

HORIZON_DAYS = 14
MAX_AGE_SECONDS = 60  # a change shows within a minute even when the availability version misses it
FILES = {"Location": "Location.ndjson", "Schedule": "Schedule.ndjson", "Slot": "Slot.ndjson"}
MANIFEST = "$bulk-publish"
NDJSON = "application/fhir+ndjson"


@dataclass(frozen=True)
class Publication:
    """One published data set: the manifest and the NDJSON files, each with its ETag."""

    files: dict[str, bytes]  # name -> body ("$bulk-publish", "Location.ndjson", …)
    etags: dict[str, str]
    transaction_time: str
    version: tuple = ()
    built: float = field(default_factory=time.monotonic)


def booking_phone(clinic: Clinic) -> str | None:
    """The clinic's clinicline number, where a patient texts RDV or calls to book."""
    return next(
        (n.number for n in sorted(clinic.numbers, key=lambda n: n.number) if n.kind == "twilio"), None
    )


def place_of(clinic: Clinic) -> dict:
    """The clinic's [clinic.location] table of the clinics file (empty when it has none)."""
    return dict((clinic.settings or {}).get("location") or {})


def states(clinics: list[Clinic]) -> list[str]:
    """The provinces the data set covers, for the manifest's `extension.state` hint."""
    return sorted({place_of(c).get("province", "QC") for c in clinics}) or ["QC"]


def availability_version(session: Session, now: dt.datetime) -> tuple:
    """A cheap fingerprint of what the files say: it changes when a slot is booked, freed or held."""
    horizon = now + dt.timedelta(days=HORIZON_DAYS)
    slots = session.execute(
        select(
            func.count(),
            func.sum(case((Slot.status == SlotStatus.FREE, 1), else_=0)),
            func.sum(case((and_(Slot.status == SlotStatus.HELD, Slot.held_until > now), 1), else_=0)),
            func.max(Slot.id),
        ).where(Slot.starts_at >= now, Slot.starts_at < horizon)
    ).one()
    recent = (now - dt.timedelta(days=1)).date()
    walkin = session.execute(
        select(
            func.count(WalkinTicket.id),
            func.sum(case((WalkinTicket.status == TicketStatus.LEFT, 1), else_=0)),
        )
        .join(WalkinDay, WalkinDay.id == WalkinTicket.walkin_day_id)
        .where(WalkinDay.day >= recent)
    ).one()
    closed = session.scalar(
        select(func.count()).select_from(WalkinDay).where(WalkinDay.day >= recent, WalkinDay.closed.is_(True))
    )
    clinics = session.scalar(select(func.count()).select_from(Clinic))
    return (*slots, *walkin, closed, clinics, now.replace(second=0, microsecond=0, tzinfo=None).isoformat())


def slot_status(slot: Slot, now: dt.datetime) -> str:
    if slot.pool is not None:
        return "busy-unavailable"  # kept for a purpose (staff, same day): patients cannot take it here
    if slot.status == SlotStatus.FREE or (slot.status == SlotStatus.HELD and slot.held_until <= now):
        return "free"
    if slot.status == SlotStatus.HELD:
        return "busy-tentative"  # held while a patient confirms (the guide's Find → Hold → Book)
    if slot.status == SlotStatus.BLOCKED:
        return "busy-unavailable"
    return "busy"


def walkin_slot(session: Session, clinic: Clinic, now: dt.datetime, phone: str | None):
    """Today's remaining walk-in window at a clinic, or None when it has none left today."""
    if not clinic.walkin_enabled:
        return None
    local = local_now(clinic, now)
    today = local.date()
    window = [(o, c) for o, c in periods(clinic, "walkin", local.weekday()) if local.time() < c]
    if not window:
        return None
    opens, closes = window[0][0], window[-1][1]
    start = max(local_to_utc(today, opens, clinic.timezone), now.replace(second=0, microsecond=0))
    end = local_to_utc(today, closes, clinic.timezone)
    day = session.scalar(select(WalkinDay).where(WalkinDay.clinic_id == clinic.id, WalkinDay.day == today))
    if day is None:
        left, closed = clinic.walkin_capacity, False
    else:
        left_tickets = session.scalar(
            select(func.count())
            .select_from(WalkinTicket)
            .where(WalkinTicket.walkin_day_id == day.id, WalkinTicket.status == TicketStatus.LEFT)
        )
        left, closed = max(0, day.capacity - (day.issued - left_tickets)), day.closed
    places = 0 if closed else left
    return fhir.slot(
        id=f"{clinic.id}-walkin-{today.isoformat()}",
        schedule_id=f"{clinic.id}-walkin",
        status="free" if places > 0 else "busy",
        start=fhir.instant(start, clinic.timezone),
        end=fhir.instant(end, clinic.timezone),
        booking_phone=phone,
        walkin=True,
        capacity=places,
    )


def resources(session: Session, now: dt.datetime, base_url: str) -> dict[str, list[dict]]:
    """The Location, Schedule and Slot resources of every clinic of this instance, as JSON data."""
    out: dict[str, list[dict]] = {t: [] for t in fhir.TYPES}
    clinics = session.scalars(select(Clinic).order_by(Clinic.id)).all()
    for clinic in clinics:
        phone = booking_phone(clinic)
        name = clinic.name
        out["Location"].append(
            fhir.as_dict(
                fhir.location(
                    id=clinic.id,
                    name=name,
                    phone=phone,
                    place=place_of(clinic),
                    identifier_system=f"{base_url}/fhir/Location",
                )
            )
        )
        kinds = [False, True] if clinic.walkin_enabled else [False]
        for walkin in kinds:
            schedule_id = f"{clinic.id}-{'walkin' if walkin else 'appointments'}"
            out["Schedule"].append(
                fhir.as_dict(
                    fhir.schedule(id=schedule_id, location_id=clinic.id, location_name=name, walkin=walkin)
                )
            )
        out["Slot"].extend(
            appointment_slots(session, clinic, now, now, now + dt.timedelta(days=HORIZON_DAYS))
        )
        walkin_today = walkin_slot(session, clinic, now, phone)
        if walkin_today is not None:
            out["Slot"].append(fhir.as_dict(walkin_today))
    return out


def appointment_slots(
    session: Session,
    clinic: Clinic,
    now: dt.datetime,
    start: dt.datetime | None,
    end: dt.datetime | None = None,
    limit: int | None = None,
) -> list[dict]:
    """The clinic's appointment slots starting in [start, end), free or busy, as Slot resources."""
    query = select(Slot).where(Slot.clinic_id == clinic.id).order_by(Slot.starts_at, Slot.practitioner_id)
    if start is not None:  # from `now` on: only slots still to come (one starting this instant is gone)
        query = query.where(Slot.starts_at > start) if start <= now else query.where(Slot.starts_at >= start)
    if end is not None:
        query = query.where(Slot.starts_at < end)
    if limit is not None:
        query = query.limit(limit)
    stamp = fhir.SlotStamp(
        schedule_id=f"{clinic.id}-appointments", booking_phone=booking_phone(clinic), tz=clinic.timezone
    )
    return [
        stamp(id=f"{clinic.id}-{row.id}", status=slot_status(row, now), start=row.starts_at, end=row.ends_at)
        for row in session.scalars(query)
    ]


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def build(
    session: Session, now: dt.datetime, base_url: str, previous: Publication | None = None
) -> Publication:
    """The whole data set; `transactionTime` moves only when the data did."""
    base_url = base_url.rstrip("/")
    found = resources(session, now, base_url)
    clinics = session.scalars(select(Clinic)).all()
    files = {
        FILES[kind]: "".join(fhir.to_json(r) + "\n" for r in items).encode() for kind, items in found.items()
    }
    unchanged = previous is not None and all(previous.files.get(k) == v for k, v in files.items())
    transaction_time = (
        previous.transaction_time
        if unchanged
        else now.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )
    hint = {"state": states(list(clinics))}
    manifest = {
        "transactionTime": transaction_time,
        "request": f"{base_url}/fhir/{MANIFEST}",
        "output": [
            {"type": kind, "url": f"{base_url}/fhir/{name}", "extension": hint}
            for kind, name in FILES.items()
        ],
        "error": [],
    }
    files[MANIFEST] = json.dumps(manifest, indent=2).encode()
    return Publication(
        files=files,
        etags={name: _etag(body) for name, body in files.items()},
        transaction_time=transaction_time,
        version=availability_version(session, now),
    )


class PublicationCache:
    """The data set of one process, rebuilt when the availability version moves or after a minute."""

    def __init__(self, max_age: float = MAX_AGE_SECONDS):
        self.max_age = max_age
        self._by_base: dict[str, Publication] = {}
        self._lock = threading.Lock()

    def get(self, session_factory, now: dt.datetime, base_url: str) -> Publication:
        """The current publication for this base URL (the files name themselves by full URL)."""
        with session_factory() as session:
            version = availability_version(session, now)
            current = self._by_base.get(base_url)
            if current is not None and current.version == version and self._fresh(current):
                return current
            with self._lock:
                current = self._by_base.get(base_url)
                if current is not None and current.version == version and self._fresh(current):
                    return current
                built = build(session, now, base_url, previous=current)
                self._by_base[base_url] = built
                return built

    def _fresh(self, publication: Publication) -> bool:
        return time.monotonic() - publication.built < self.max_age
