"""Clinics: finding one by phone number, its clock, its opening hours, and its slot calendar.

Every webhook starts by finding its clinic, and clinics change a few times a year: each process keeps
them (with their numbers, hours and practitioners) for CACHE_SECONDS. A change committed in this process
(`clinicline clinics load`, the console) is seen at once; one made by another process within CACHE_SECONDS.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
import weakref
from dataclasses import dataclass, field

from sqlalchemy import delete, event, exists, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, make_transient_to_detached, selectinload
from sqlalchemy.orm.util import identity_key

from core.models import (
    Appointment,
    AppointmentStatus,
    Clinic,
    ClinicNumber,
    OpeningHours,
    Practitioner,
    Slot,
    SlotStatus,
)
from core.services.patients import try_normalize_phone
from core.timeutil import local_day_bounds, local_to_utc, to_local

CACHE_SECONDS = 5.0
_CLINIC_ROWS = (Clinic, ClinicNumber, OpeningHours, Practitioner)
_COLUMNS = tuple(column.key for column in Clinic.__mapper__.column_attrs)


@dataclass
class _Directory:
    """The clinics of one database as last read: detached rows, never changed, copied into each session."""

    generation: int = -1
    read_at: float = float("-inf")
    clinics: dict[str, dict] = field(default_factory=dict)  # id -> the clinic row's column values
    hours: dict[str, tuple] = field(default_factory=dict)  # id -> ((kind, weekday, opens, closes), …)
    numbers: dict[str, tuple[str, str]] = field(default_factory=dict)  # E.164 -> (clinic id, kind)


_directories: weakref.WeakKeyDictionary[Engine, _Directory] = weakref.WeakKeyDictionary()
_lock = threading.Lock()
_generation = itertools.count(1)
_current_generation = 0


def forget_clinics() -> None:
    """Read the clinics again on next use (this process changed them)."""
    global _current_generation
    _current_generation = next(_generation)


@event.listens_for(Session, "after_flush")
def _clinic_rows_flushed(session: Session, _context) -> None:
    changed = itertools.chain(session.new, session.dirty, session.deleted)
    if any(isinstance(row, _CLINIC_ROWS) for row in changed):
        session.info["clinics_changed"] = True
        forget_clinics()


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _clinic_rows_ended(session: Session) -> None:
    if session.info.pop("clinics_changed", False):
        forget_clinics()  # again: a turn may have read the old rows between the flush and the commit


def _directory(session: Session) -> _Directory:
    """The clinics of the session's database, read again when older than CACHE_SECONDS or changed here."""
    engine = session.get_bind()
    with _lock:
        directory = _directories.get(engine)
    now = time.monotonic()
    if (
        directory is not None
        and directory.generation == _current_generation
        and now - directory.read_at < CACHE_SECONDS
    ):
        return directory
    generation = _current_generation
    # Read through the session's connection (its transaction: SQLite's write lock is already ours) but in
    # a session of its own, so the rows come out detached and the caller's identity map is left alone.
    with Session(bind=session.connection()) as reader:
        rows = reader.scalars(
            select(Clinic).options(selectinload(Clinic.numbers), selectinload(Clinic.hours))
        ).all()
        fresh = _Directory(generation=generation, read_at=now)
        for clinic in rows:
            fresh.clinics[clinic.id] = {key: getattr(clinic, key) for key in _COLUMNS}
            fresh.hours[clinic.id] = tuple((h.kind, h.weekday, h.opens, h.closes) for h in clinic.hours)
            for number in clinic.numbers:
                fresh.numbers[number.number] = (clinic.id, number.kind)
    if not session.info.get("clinics_changed"):  # never keep what this transaction has not committed
        with _lock:
            _directories[engine] = fresh
    return fresh


def _in_session(session: Session, directory: _Directory, clinic_id: str) -> Clinic:
    """The clinic as a row of the session, made from the cache without a query (its own row if it has one).

    Its numbers and practitioners load when first used; its hours are read from the cache (see periods).
    """
    own = session.identity_map.get(identity_key(Clinic, clinic_id))
    if own is not None:
        return own
    clinic = Clinic.__mapper__.class_manager.new_instance()
    clinic.__dict__.update(directory.clinics[clinic_id])  # as a query fills a row it loads
    clinic.__dict__["settings"] = dict(clinic.settings or {})  # each turn its own copy of the mutable part
    clinic.__dict__["_cached_hours"] = directory.hours[clinic_id]
    make_transient_to_detached(clinic)  # a row as if just loaded: nothing to write back
    session.add(clinic)
    return clinic


def clinic_by_id(session: Session, clinic_id: str | None) -> Clinic | None:
    """A clinic by its id."""
    directory = _directory(session)
    return _in_session(session, directory, clinic_id) if clinic_id in directory.clinics else None


def twilio_number(session: Session, clinic_id: str) -> str | None:
    """The clinic's first Twilio number (the one its notices go out from), from the cache."""
    numbers = [
        number
        for number, (owner, kind) in _directory(session).numbers.items()
        if owner == clinic_id and kind == "twilio"
    ]
    return min(numbers, default=None)


def clinic_for_number(session: Session, number: str | None) -> Clinic | None:
    """The clinic that owns a Twilio number or a forwarded line."""
    directory = _directory(session)
    owner = directory.numbers.get(number or "")  # Twilio sends our numbers in E.164 already
    if owner is None:
        e164 = try_normalize_phone(number)
        owner = directory.numbers.get(e164) if e164 else None
    return _in_session(session, directory, owner[0]) if owner else None


def clinic_for_forwarded_line(session: Session, number: str | None) -> Clinic | None:
    """The clinic whose forwarded (overflow) line this is."""
    e164 = try_normalize_phone(number)
    if e164 is None:
        return None
    directory = _directory(session)
    owner = directory.numbers.get(e164)
    if owner is None or owner[1] != "forwarded":
        return None
    return _in_session(session, directory, owner[0])


def local_now(clinic: Clinic, now: dt.datetime) -> dt.datetime:
    """The clinic's wall clock at an instant."""
    return to_local(now, clinic.timezone)


def periods(clinic: Clinic, kind: str, weekday: int) -> list[tuple[dt.time, dt.time]]:
    """The opening periods of a weekday, in order (from the cache unless this session loaded the hours)."""
    cached = clinic.__dict__.get("_cached_hours")
    if cached is None or "hours" in clinic.__dict__:
        cached = [(h.kind, h.weekday, h.opens, h.closes) for h in clinic.hours]
    return sorted((o, c) for k, w, o, c in cached if k == kind and w == weekday)


def is_open(clinic: Clinic, kind: str, now: dt.datetime) -> bool:
    """Whether the clinic is inside one of its periods of this kind at an instant."""
    local = local_now(clinic, now)
    return any(o <= local.time() < c for o, c in periods(clinic, kind, local.weekday()))


def next_opening(clinic: Clinic, kind: str, now: dt.datetime, within_days: int = 14) -> dt.datetime | None:
    """The next instant (UTC) a period of this kind starts, strictly after now."""
    local = local_now(clinic, now)
    for offset in range(within_days + 1):
        day = local.date() + dt.timedelta(days=offset)
        for opens, _closes in periods(clinic, kind, day.weekday()):
            start = local_to_utc(day, opens, clinic.timezone)
            if start > now:
                return start
    return None


def expected_slot_starts(clinic: Clinic, first_day: dt.date, days: int) -> set[tuple[int, dt.datetime]]:
    """(practitioner id, UTC start) of every slot the hours call for over the horizon."""
    length = dt.timedelta(minutes=clinic.slot_minutes)
    wanted = set()
    for offset in range(days):
        day = first_day + dt.timedelta(days=offset)
        for opens, closes in periods(clinic, "appointments", day.weekday()):
            start = dt.datetime.combine(day, opens)
            end = dt.datetime.combine(day, closes)
            while start + length <= end:
                at = local_to_utc(day, start.time(), clinic.timezone)
                wanted.update((p.id, at) for p in clinic.practitioners if p.active)
                start += length
    return wanted


def generate_slots(session: Session, clinic: Clinic, now: dt.datetime, days: int) -> tuple[int, int]:
    """Create the slots of a rolling horizon from the hours and the schedule changes; (added, withdrawn)."""
    added, withdrawn, _opened = _generate(session, clinic, now, days)
    return added, withdrawn


def generate_slots_changed(session: Session, clinic: Clinic, now: dt.datetime, days: int) -> list[int]:
    """Generate the horizon again after a schedule change; the ids of slots that became free to book."""
    return _generate(session, clinic, now, days)[2]


def pool_of(
    clinic: Clinic, practitioner_key: str, day: dt.date, at: dt.time
) -> tuple[str | None, dt.datetime | None]:
    """The pool a slot starting at a local time is kept for (None: public), and when it opens to patients."""
    for rule in (clinic.settings or {}).get("pools") or []:
        if day.weekday() not in rule.get("days", ()):
            continue
        if not dt.time.fromisoformat(rule["from"]) <= at < dt.time.fromisoformat(rule["to"]):
            continue
        if rule.get("practitioners") and practitioner_key not in rule["practitioners"]:
            continue
        release = rule.get("release")
        public_at = local_to_utc(day, dt.time.fromisoformat(release), clinic.timezone) if release else None
        return rule["key"], public_at
    return None, None


def _generate(session: Session, clinic: Clinic, now: dt.datetime, days: int) -> tuple[int, int, list[int]]:
    """Create the slots of a rolling horizon; returns (added, withdrawn, ids of slots now free to book).

    Booked and held slots are never touched; free slots that the hours no longer call for are withdrawn
    (deleted, or blocked when a past appointment still refers to them). Closures and absences keep their
    slots BLOCKED (and give them back when removed); extra opening time adds slots; pools mark the slots
    a clinic keeps for a purpose.
    """
    from core.services import schedule  # schedule changes build on this module

    first_day = local_now(clinic, now).date()
    last_day = first_day + dt.timedelta(days=days - 1)
    window_start, _ = local_day_bounds(first_day, clinic.timezone)
    _, window_end = local_day_bounds(last_day, clinic.timezone)
    changes = schedule.changes_between(session, clinic.id, first_day, last_day)
    spans = schedule.blocks(changes, clinic.timezone)
    wanted = expected_slot_starts(clinic, first_day, days) | schedule.extra_starts(clinic, changes)
    keys = {p.id: p.key for p in clinic.practitioners}
    existing = {
        (pid, at): (sid, status, ends, pool, public_at)
        for sid, pid, at, ends, status, pool, public_at in session.execute(
            select(
                Slot.id,
                Slot.practitioner_id,
                Slot.starts_at,
                Slot.ends_at,
                Slot.status,
                Slot.pool,
                Slot.public_at,
            ).where(Slot.clinic_id == clinic.id, Slot.starts_at >= window_start, Slot.starts_at < window_end)
        )
    }
    length = dt.timedelta(minutes=clinic.slot_minutes)
    # A patient's time (booked or held) is never moved, and no free slot may overlap it: after a change
    # of slot length the practitioner must not end up with two patients in the same minutes.
    taken: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    for (pid, at), (_sid, status, ends, _pool, _public) in existing.items():
        if status in (SlotStatus.BOOKED, SlotStatus.HELD):
            taken.setdefault(pid, []).append((at, ends))

    def collides(pid: int, at: dt.datetime) -> bool:
        return any(start < at + length and at < ends for start, ends in taken.get(pid, ()))

    def pooled(pid: int, at: dt.datetime) -> tuple[str | None, dt.datetime | None]:
        local = to_local(at, clinic.timezone)
        pool, public_at = pool_of(clinic, keys.get(pid, ""), local.date(), local.time().replace(tzinfo=None))
        if public_at is not None and public_at <= now:
            return None, None  # released already: public
        return pool, public_at

    new, stale, resized, to_block, to_free, repooled = [], [], [], [], [], []
    for pid, at in sorted(wanted - existing.keys()):
        if not collides(pid, at):
            pool, public_at = pooled(pid, at)
            blocked = schedule.is_blocked(spans, pid, at, at + length)
            new.append(
                {
                    "clinic_id": clinic.id,
                    "practitioner_id": pid,
                    "starts_at": at,
                    "ends_at": at + length,
                    "status": SlotStatus.BLOCKED if blocked else SlotStatus.FREE,
                    "pool": pool,
                    "public_at": public_at,
                }
            )
    for (pid, at), (sid, status, ends, pool, public_at) in existing.items():
        if status not in (SlotStatus.FREE, SlotStatus.BLOCKED):
            continue
        if (pid, at) not in wanted or collides(pid, at):
            if status == SlotStatus.FREE:
                stale.append(sid)
            continue
        blocked = schedule.is_blocked(spans, pid, at, ends)
        if status == SlotStatus.FREE and blocked:
            to_block.append(sid)
        elif status == SlotStatus.BLOCKED and not blocked:
            to_free.append(sid)
        if status == SlotStatus.FREE and ends != at + length:
            resized.append((sid, at + length))
        if (pool, public_at) != pooled(pid, at):
            repooled.append((sid, *pooled(pid, at)))
    added_ids: list[int] = []
    if new:
        added_ids = list(session.scalars(insert(Slot).returning(Slot.id, sort_by_parameter_order=True), new))
    for sid, ends in resized:  # the slot length changed: a free slot takes the new one
        session.execute(
            update(Slot).where(Slot.id == sid).values(ends_at=ends),
            execution_options={"synchronize_session": False},
        )
    for sid, pool, public_at in repooled:
        session.execute(
            update(Slot).where(Slot.id == sid).values(pool=pool, public_at=public_at),
            execution_options={"synchronize_session": False},
        )
    if to_block:
        session.execute(
            update(Slot)
            .where(Slot.id.in_(to_block), Slot.status == SlotStatus.FREE)
            .values(status=SlotStatus.BLOCKED),
            execution_options={"synchronize_session": False},
        )
    if to_free:
        live = exists().where(Appointment.slot_id == Slot.id, Appointment.status == AppointmentStatus.BOOKED)
        to_free = list(
            session.scalars(
                update(Slot)
                .where(
                    Slot.id.in_(to_free), Slot.status == SlotStatus.BLOCKED, ~live, Slot.joined_to.is_(None)
                )
                .values(status=SlotStatus.FREE)
                .returning(Slot.id),
                execution_options={"synchronize_session": False},
            )
        )
    if stale:
        referenced = exists().where(Appointment.slot_id == Slot.id)
        session.execute(
            update(Slot).where(Slot.id.in_(stale), referenced).values(status=SlotStatus.BLOCKED),
            execution_options={"synchronize_session": False},
        )
        session.execute(
            delete(Slot).where(Slot.id.in_(stale), ~referenced),
            execution_options={"synchronize_session": False},
        )
    free_new = [sid for sid, row in zip(added_ids, new, strict=True) if row["status"] == SlotStatus.FREE]
    return len(new), len(stale), sorted(free_new + to_free)


def replace_hours(clinic: Clinic, kind: str, hours: list[tuple[int, dt.time, dt.time]]) -> None:
    """Set the opening periods of one kind, keeping rows that did not change."""
    current = {(h.weekday, h.opens, h.closes): h for h in clinic.hours if h.kind == kind}
    target = set(hours)
    for key, row in current.items():
        if key not in target:
            clinic.hours.remove(row)
    for weekday, opens, closes in sorted(target - current.keys()):
        clinic.hours.append(OpeningHours(kind=kind, weekday=weekday, opens=opens, closes=closes))
