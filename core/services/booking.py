"""Appointments: free slots, holds, booking, cancelling, rescheduling, a patient's upcoming list."""

from __future__ import annotations

import datetime as dt
import secrets
import zlib
from dataclasses import dataclass, replace
from functools import cache, lru_cache

from sqlalchemy import (
    DateTime,
    Integer,
    String,
    and_,
    bindparam,
    case,
    false,
    func,
    literal_column,
    or_,
    select,
    true,
    union_all,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from core.errors import (
    AppointmentNotCancellable,
    AppointmentNotFound,
    PersonAlreadyBooked,
    SlotNotFound,
    SlotTaken,
)
from core.models import (
    Appointment,
    AppointmentStatus,
    Channel,
    Clinic,
    Patient,
    Person,
    Slot,
    SlotStatus,
    UTCDateTime,
)
from core.services import audit, freed, notifications, people
from core.timeutil import PARTS_OF_DAY, local_day_bounds, local_to_utc, to_local, wished_times, zone

CODE_DIGITS = 6


@dataclass(frozen=True)
class SlotQuery:
    """What the patient asked for; every field is optional."""

    date: dt.date | None = None
    also: tuple[dt.date, ...] = ()  # other days that would do as well as `date` ("mercredi ou jeudi")
    part_of_day: str | None = None
    after: dt.time | None = None  # local time: "after 3"
    at: dt.time | None = None  # local time: "at 14:30" (the nearest slots to it come first)
    practitioner_id: int | None = None
    not_before: dt.datetime | None = None  # UTC instant, e.g. "others, later than the last one offered"
    before: dt.time | None = None  # local time: "avant midi", "before 3" (a slot must start before it)
    not_after: dt.date | None = None  # local day: "au plus tard vendredi" (inclusive)
    # A visit reason: only these practitioners see it, and it takes this many consecutive slots.
    practitioner_ids: tuple[int, ...] | None = None
    length: int = 1


@dataclass(frozen=True)
class FreeSlots:
    """Slots to offer; `exact` is False when nothing matched and these are the nearest alternatives."""

    slots: list[Slot]
    exact: bool


def bookable_now(now: dt.datetime, holder: str | None = None):
    """SQL condition: the slot can be taken now (free, or its hold expired, or held by this holder)."""
    return _bookable(Slot.__table__, now, holder)


def _bookable(slots, now: dt.datetime, holder: str | None):
    held_ok = slots.c.held_until < now
    if holder is not None:
        held_ok = or_(held_ok, slots.c.held_by == holder)
    return or_(slots.c.status == SlotStatus.FREE, and_(slots.c.status == SlotStatus.HELD, held_ok))


def public_slot():
    """SQL condition: a patient may be offered the slot (it is kept in no pool)."""
    return _public(Slot.__table__)


def _public(slots):
    """SQL condition: the slot is kept for no purpose (a pool opens to patients when the tick releases it)."""
    return slots.c.pool.is_(None)  # written as ix_slots_open's predicate has it


def _not_offered_to_others(slots, now: dt.datetime, holder: str | None):
    """SQL condition: no other conversation was offered the slot in the last few minutes."""
    lapsed = [slots.c.offered_until.is_(None), slots.c.offered_until <= now]
    if holder is not None:
        lapsed.append(slots.c.offered_to == holder)
    return or_(*lapsed)


def _target(clinic: Clinic, query: SlotQuery, now: dt.datetime) -> dt.datetime:
    """The instant the patient's wish points at, to rank alternatives by nearness."""
    local_now = to_local(now, clinic.timezone)
    day = query.date or local_now.date()
    at = query.at or query.after
    if at is None and query.part_of_day in PARTS_OF_DAY:
        start, _end = PARTS_OF_DAY[query.part_of_day]
        at = max(start, dt.time(8, 0)) if query.part_of_day == "morning" else start
    target = local_to_utc(day, at or dt.time(8, 0), clinic.timezone)
    return max(target, now)


def find_free_slots(
    session: Session,
    clinic: Clinic,
    now: dt.datetime,
    query: SlotQuery = SlotQuery(),
    limit: int = 3,
    horizon_days: int = 30,
    holder: str | None = None,
    spread: bool = False,
    near: bool = True,
) -> FreeSlots:
    """The first free slots matching the wish, or the nearest alternatives when nothing matches.

    One time per slot offered (the first practitioner free then, unless one is asked for). With `spread`,
    slots offered to another conversation in the last few minutes are left out. Without `near`, only
    slots that meet the whole wish are looked for (a caller that has its own answer for "none").
    """
    search = _Search(session, clinic, now, query, limit, holder, spread)
    horizon_end = now + dt.timedelta(days=horizon_days)
    if query.not_after:  # a limit is a limit, for alternatives too
        horizon_end = min(horizon_end, local_day_bounds(query.not_after, clinic.timezone)[1])
    exact = search.matching(horizon_end)
    if exact:
        return FreeSlots(exact, exact=True)
    if not near:
        return FreeSlots([], exact=False)
    if spread and not search.any_near(horizon_end):
        # In a rush every open slot may be offered to someone: one look says so, not the nearest's four.
        return FreeSlots([], exact=False)
    return FreeSlots(search.nearest(horizon_end), exact=False)


# ---- the search in SQL ------------------------------------------------------------------------------------
#
# Clinic times are local and instants UTC, so every local-time filter (a day, a part of the day, "after 3")
# becomes, in Python, UTC spans: one per local day and per stretch of that day with one UTC offset, which
# keeps DST days exact. The database then walks the index of open slots (ix_slots_open) through each span,
# one seek per distinct start time, so the cost follows the few slots offered, not the practitioners or
# the size of the schedule.

_OPEN = ("free", "held")  # written out literally in the SQL: the predicate of ix_slots_open
_FIRST_DAYS = 7  # days searched by the first statement; the rest of the horizon only when they fall short
_NEAR_BEFORE_DAYS, _NEAR_AFTER_DAYS = 7, 14  # the stretch around the wish the nearest slots come from first
_MOST_DAYS = 60  # days per statement at most (SQLite takes up to 500 SELECTs in one UNION)


def _chunks(days: list[dt.date]) -> list[list[dt.date]]:
    """The first week, then the rest by at most _MOST_DAYS days."""
    rest = days[_FIRST_DAYS:]
    return [days[:_FIRST_DAYS]] + [rest[n : n + _MOST_DAYS] for n in range(0, len(rest), _MOST_DAYS)]


@dataclass(frozen=True)
class _Window:
    """A UTC span [lo, hi) of one local day (or of the whole search), walked upwards or downwards."""

    lo: dt.datetime
    hi: dt.datetime
    down: bool = False
    day: dt.date | None = None


@lru_cache(maxsize=4096)
def _day_pieces(day: dt.date, tz_name: str) -> tuple[tuple[dt.datetime, dt.datetime, dt.timedelta], ...]:
    """(Remembered: a search asks for the same days again and again.) The UTC stretches of a local day over which the clinic's UTC offset stays the same, with it."""
    tz = zone(tz_name)
    start, end = local_day_bounds(day, tz_name)
    pieces = []
    while start < end:
        offset = start.astimezone(tz).utcoffset()
        seconds = int((end - start).total_seconds())
        if (start + dt.timedelta(seconds=seconds - 1)).astimezone(tz).utcoffset() == offset:
            pieces.append((start, end, offset))
            break
        low, high = 0, seconds - 1  # same offset at `low`, another at `high`: find the change
        while high - low > 1:
            middle = (low + high) // 2
            if (start + dt.timedelta(seconds=middle)).astimezone(tz).utcoffset() == offset:
                low = middle
            else:
                high = middle
        cut = start + dt.timedelta(seconds=high)
        pieces.append((start, cut, offset))
        start = cut
    return tuple(pieces)


def _wall(day: dt.date, at: dt.time | None, offset: dt.timedelta) -> dt.datetime:
    """The UTC instant showing `at` (None: the next midnight) on `day` under a given UTC offset."""
    if at is None:
        return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC) - offset
    return dt.datetime.combine(day, at, tzinfo=dt.UTC) - offset


def _time_range(query: SlotQuery) -> tuple[dt.time, dt.time | None] | None:
    """The local times of day the wish allows, [start, end) (end None: midnight), or None for any time."""
    return wished_times(query.part_of_day, query.after, query.before)


def _local_days(clinic: Clinic, lo: dt.datetime, hi: dt.datetime) -> list[dt.date]:
    first = to_local(lo, clinic.timezone).date()
    last = to_local(hi - dt.timedelta(microseconds=1), clinic.timezone).date()
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


class _Search:
    """One slot search: the wish, and the conditions every slot offered must meet."""

    def __init__(self, session, clinic, now, query, limit, holder, spread):
        self.session, self.clinic, self.now, self.query, self.limit = session, clinic, now, query, limit
        self.holder, self.spread = holder, spread
        self.earliest = max(now, query.not_before) if query.not_before else now

    # -- the windows ----------------------------------------------------------------------------------------

    def day_windows(
        self, day: dt.date, lo: dt.datetime, hi: dt.datetime, times, split: dt.time | None = None
    ) -> list[_Window]:
        """The spans of a local day within [lo, hi) at the allowed times; split at a time of day, the part
        before it is walked downwards, so that both halves give the times nearest it first."""
        windows = []
        for piece_lo, piece_hi, offset in _day_pieces(day, self.clinic.timezone):
            start, end = piece_lo, piece_hi
            if times is not None:
                start, end = max(start, _wall(day, times[0], offset)), min(end, _wall(day, times[1], offset))
            start, end = max(start, lo), min(end, hi)
            if start >= end:
                continue
            if split is None:
                windows.append(_Window(start, end, day=day))
                continue
            middle = min(max(_wall(day, split, offset), start), end)
            windows += [_Window(start, middle, down=True, day=day), _Window(middle, end, day=day)]
        return [w for w in windows if w.lo < w.hi]

    # -- the answers ----------------------------------------------------------------------------------------

    def matching(self, horizon_end: dt.datetime) -> list[Slot]:
        """Slots that meet the whole wish: the first ones in time, or the nearest the wished time."""
        query, tz = self.query, self.clinic.timezone
        if query.date and query.also:
            return self.on_days((query.date, *query.also), horizon_end)
        lo, hi = local_day_bounds(query.date, tz) if query.date else (self.earliest, horizon_end)
        times = _time_range(query)
        if times is None and query.at is None:
            return [slot for _w, slot in self.walk([_Window(lo, hi)])][: self.limit]
        found: list[tuple[_Window, Slot]] = []
        days = _local_days(self.clinic, lo, hi)
        for chunk in _chunks(days):
            found += self.walk([w for day in chunk for w in self.day_windows(day, lo, hi, times, query.at)])
            if query.at is None and len(found) >= self.limit:
                break  # later days only come after these
            if (
                query.at is not None
                and len(found) >= self.limit
                and sorted(self.minutes_from(query.at, s) for _w, s in found)[self.limit - 1] == 0
            ):
                break  # these are at the very time asked: later days cannot come nearer
        slots = [slot for _w, slot in found]
        if query.at is not None:
            slots = sorted(slots, key=lambda s: (self.minutes_from(query.at, s), s.starts_at))[: self.limit]
        return sorted(slots, key=lambda s: s.starts_at)[: self.limit]

    def on_days(self, days: tuple[dt.date, ...], horizon_end: dt.datetime) -> list[Slot]:
        """Slots of several days that would all do ("mercredi ou jeudi"), in one statement: each day's first
        ones (or those nearest the time asked) taken in turn, so that every day with room is offered."""
        times, at = _time_range(self.query), self.query.at
        windows = []
        for day in sorted(set(days)):
            lo, hi = local_day_bounds(day, self.clinic.timezone)
            windows += self.day_windows(day, lo, min(hi, horizon_end), times, at)
        per_day: dict[dt.date, list[Slot]] = {}
        for window, slot in self.walk(windows):
            per_day.setdefault(window.day, []).append(slot)
        for slots in per_day.values():
            slots.sort(key=lambda s: (self.minutes_from(at, s) if at else 0, s.starts_at))
        queues = [per_day[day] for day in sorted(per_day)]
        picked: list[Slot] = []
        while len(picked) < self.limit and any(queues):
            for slots in queues:
                if slots and len(picked) < self.limit:
                    picked.append(slots.pop(0))
        return sorted(picked, key=lambda s: s.starts_at)

    def nearest(self, horizon_end: dt.datetime) -> list[Slot]:
        """The free slots nearest the wish, in time order.

        A wish for a time of day ("tomorrow after 3", "Friday morning") is kept on other days before it is
        given up: the nearest day with such slots wins, and within it the times nearest the wish. Slots
        from a week before to two weeks after the wish are looked at, or the whole horizon when that
        stretch has none.
        """
        query = self.query
        target = _target(self.clinic, query, self.now)
        time_of_day = bool(query.date and (query.after or query.part_of_day or query.at))
        for lo, hi in (
            (target - dt.timedelta(days=_NEAR_BEFORE_DAYS), target + dt.timedelta(days=_NEAR_AFTER_DAYS)),
            (self.earliest, horizon_end),
        ):
            if time_of_day:
                found = self.same_time_of_day(target, lo, hi)
                if found:
                    return found
            found = self.around(target, lo, hi)
            if found:
                return found
        return []

    def any_near(self, horizon_end: dt.datetime) -> bool:
        """Whether nearest() could find anything: one slot open to this search in all it looks at."""
        target = _target(self.clinic, self.query, self.now)
        hi = max(horizon_end, target + dt.timedelta(days=_NEAR_AFTER_DAYS))
        return bool(self.walk([_Window(self.earliest, hi)], per_window=1))

    def same_time_of_day(self, target: dt.datetime, lo: dt.datetime, hi: dt.datetime) -> list[Slot]:
        local_target = to_local(target, self.clinic.timezone)
        wished = dt.time(local_target.hour, local_target.minute)
        times = _time_range(self.query)
        days, found = _local_days(self.clinic, lo, hi), []
        for n in range(0, len(days), _MOST_DAYS):  # every day counts: the nearest day wins
            chunk = days[n : n + _MOST_DAYS]
            found += self.walk([w for day in chunk for w in self.day_windows(day, lo, hi, times, wished)])

        def day_then_time(found: tuple[_Window, Slot]) -> tuple[int, int, dt.datetime]:
            window, slot = found
            return abs((window.day - self.query.date).days), self.minutes_from(wished, slot), slot.starts_at

        nearest = sorted(found, key=day_then_time)[: self.limit]
        return sorted((slot for _w, slot in nearest), key=lambda s: s.starts_at)

    def around(self, target: dt.datetime, lo: dt.datetime, hi: dt.datetime) -> list[Slot]:
        windows = [_Window(lo, min(target, hi), down=True), _Window(max(target, lo), hi)]
        found = [slot for _w, slot in self.walk([w for w in windows if w.lo < w.hi])]
        nearest = sorted(found, key=lambda s: (abs((s.starts_at - target).total_seconds()), s.starts_at))
        return sorted(nearest[: self.limit], key=lambda s: s.starts_at)

    def minutes_from(self, at: dt.time, slot: Slot) -> int:
        local = to_local(slot.starts_at, self.clinic.timezone)
        return abs(local.hour * 60 + local.minute - (at.hour * 60 + at.minute))

    # -- the walk -------------------------------------------------------------------------------------------

    def walk(self, windows: list[_Window], per_window: int | None = None) -> list[tuple[_Window, Slot]]:
        """Up to `limit` distinct start times in each window, from its start (or from its end when it is
        walked downwards), each with the slot of the first practitioner free then; one statement."""
        # Strictly after `earliest` (stored instants have microseconds at most).
        after = self.earliest + dt.timedelta(microseconds=1)
        windows = [w if w.lo >= after else replace(w, lo=after) for w in windows]
        windows = [w for w in windows if w.lo < w.hi and not w.down] + [
            w for w in windows if w.lo < w.hi and w.down
        ]
        if not windows:
            return []
        downs = sum(w.down for w in windows)
        sqlite = self.session.get_bind().dialect.name == "sqlite"
        shape = (
            sqlite,
            len(windows) - downs,
            downs,
            bool(self.holder),
            bool(self.query.practitioner_id),
            self.spread,
            bool(self.query.practitioner_ids),
            max(1, self.query.length),
        )
        params = {"clinic_id": self.clinic.id, "now": self.now, "per_window": per_window or self.limit}
        params.update(holder=self.holder, practitioner_id=self.query.practitioner_id)
        if self.query.practitioner_ids:
            params["practitioner_ids"] = list(self.query.practitioner_ids)
        span = _sqlite_instant if sqlite else _instant
        for i, w in enumerate(windows):
            params[f"lo_{i}"], params[f"hi_{i}"] = span(w.lo), span(w.hi)
        rows = self.session.execute(_walk_statement(*shape), params)
        return [(windows[idx], slot) for slot, idx in rows]


def _instant(value: dt.datetime) -> dt.datetime:
    return value


def _sqlite_instant(value: dt.datetime) -> str:
    """An instant as SQLite stores a UTCDateTime (naive UTC text): a search binds up to a few hundred
    span bounds, and this is the conversion the column type would make, without its per-value layers."""
    return value.astimezone(dt.UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


@cache
def _walk_statement(
    sqlite: bool,
    ups: int,
    downs: int,
    by_holder: bool,
    by_practitioner: bool,
    spread: bool,
    by_practitioners: bool = False,
    length: int = 1,
):
    """The walk of _Search.walk for one shape of search, built once; the values are bound parameters.

    The span bounds are bound as the database stores instants (text on SQLite, see _sqlite_instant)."""
    table = Slot.__table__
    span_type = String() if sqlite else DateTime(timezone=True)
    now = bindparam("now", type_=UTCDateTime)
    holder = bindparam("holder", type_=String) if by_holder else None

    def taking(slots) -> list:
        """A slot a patient may be offered: open, bookable now, public, not offered to someone else."""
        conditions = [
            slots.c.clinic_id == bindparam("clinic_id", type_=String),
            slots.c.status.in_([literal_column(f"'{status}'") for status in _OPEN]),
            _bookable(slots, now, holder),
            _public(slots),  # pooled slots are never offered to patients (and are not in ix_slots_open)
        ]
        if spread:
            conditions.append(_not_offered_to_others(slots, now, holder))
        return conditions

    def continued(slots, more: int):
        """The same practitioner's next slot (starting as this one ends) can be taken too, `more` times."""
        following = table.alias(f"{slots.name}_then")
        conditions = [
            *taking(following),
            following.c.practitioner_id == slots.c.practitioner_id,
            following.c.starts_at == slots.c.ends_at,
        ]
        if more > 1:
            conditions.append(continued(following, more - 1))
        # A scalar subquery, not EXISTS: PostgreSQL keeps it a per-row lookup on the (practitioner, start)
        # index instead of turning it into a join that may scan the clinic's open slots for each candidate.
        return select(following.c.id).where(*conditions).limit(1).scalar_subquery().is_not(None)

    def open_slots(slots) -> list:
        # No bound on the start here: each seek has exactly one range (with a second lower bound the
        # database could scan from the wrong one); windows start after `earliest`.
        conditions = taking(slots)
        if by_practitioner:
            conditions.append(slots.c.practitioner_id == bindparam("practitioner_id", type_=Integer))
        if by_practitioners:  # a visit reason: only its practitioners
            conditions.append(slots.c.practitioner_id.in_(bindparam("practitioner_ids", expanding=True)))
        if length > 1:  # a visit reason that takes several slots: enough of them in a row
            conditions.append(continued(slots, length - 1))
        return conditions

    def seek(bounds: list, slots, down: bool):
        """The first open start time within the bounds, going up (or down): one index seek."""
        # Ordered as ix_slots_open is, so that the planner walks it (and not the index of all slots).
        order = [slots.c.starts_at, slots.c.practitioner_id]
        return (
            select(slots.c.starts_at)
            .where(*open_slots(slots), *bounds)
            .order_by(*(column.desc() for column in order) if down else order)
            .limit(1)
            .scalar_subquery()
        )

    picks = []
    for down, indexes in ((False, range(ups)), (True, range(ups, ups + downs))):
        if not indexes:
            continue
        name = "down" if down else "up"
        rows = [
            select(
                literal_column(str(i)).label("idx"),
                bindparam(f"lo_{i}", type_=span_type).label("lo"),
                bindparam(f"hi_{i}", type_=span_type).label("hi"),
            )
            for i in indexes
        ]
        spans = (rows[0] if len(rows) == 1 else union_all(*rows)).cte(f"spans_{name}")
        first = table.alias(f"first_{name}")
        start = seek([first.c.starts_at >= spans.c.lo, first.c.starts_at < spans.c.hi], first, down)
        walk = select(
            spans.c.idx, spans.c.lo, spans.c.hi, start.label("t"), literal_column("1").label("n")
        ).cte(f"walk_{name}", recursive=True)
        step = table.alias(f"step_{name}")
        beyond = (
            [step.c.starts_at < walk.c.t, step.c.starts_at >= walk.c.lo]
            if down
            else [step.c.starts_at > walk.c.t, step.c.starts_at < walk.c.hi]
        )
        walk = walk.union_all(
            select(
                walk.c.idx,
                walk.c.lo,
                walk.c.hi,
                seek(beyond, step, down).label("t"),
                (walk.c.n + 1).label("n"),
            ).where(walk.c.t.is_not(None), walk.c.n < bindparam("per_window", type_=Integer))
        )
        first_free = table.alias(f"pick_{name}")
        first_at = (
            select(first_free.c.id if sqlite else first_free)
            .where(*open_slots(first_free), first_free.c.starts_at == walk.c.t)
            .order_by(first_free.c.practitioner_id)
            .limit(1)
        )
        if sqlite:  # SQLite has no LATERAL; it looks each id up by its rowid
            picks.append(
                select(walk.c.idx, first_at.scalar_subquery().label("slot_id")).where(walk.c.t.is_not(None))
            )
        else:
            # The slot's row straight from the index seek (LATERAL … LIMIT 1): joined back to `slots` by id,
            # PostgreSQL hashed the whole table of a small clinic for the three rows it needed.
            row = first_at.lateral(f"row_{name}")
            picks.append(
                select(walk.c.idx, *row.c).select_from(walk).join(row, true()).where(walk.c.t.is_not(None))
            )
    picked = (picks[0] if len(picks) == 1 else union_all(*picks)).subquery("picked")
    if sqlite:
        return select(Slot, picked.c.idx).join(picked, Slot.id == picked.c.slot_id).order_by(Slot.starts_at)
    found = aliased(Slot, picked)
    return select(found, picked.c.idx).order_by(found.starts_at)


# ---- offers: a soft hold on what was just offered -----------------------------------------------------------
#
# Patients who write at the same moment would all be offered the same first free slots, and all but one
# would then hear that someone just took theirs. So what is offered to a conversation is marked as offered
# to it for a few minutes: other conversations are offered other slots meanwhile. The mark only steers
# offers; it never stops anyone from holding or booking the slot (the hard hold below does that).

OFFER_MINUTES = 3  # how long an offer keeps the slots out of other patients' offers
OFFER_TRIES = 4  # searches made when concurrent patients claim the same slots first


def offer_free_slots(
    session: Session,
    clinic: Clinic,
    now: dt.datetime,
    holder: str,
    query: SlotQuery = SlotQuery(),
    limit: int = 3,
    horizon_days: int = 30,
    minutes: int = OFFER_MINUTES,
    near: bool = True,
    fresh: bool = False,
) -> FreeSlots:
    """The slots to offer a conversation, marked as offered to it; its earlier offers are given back.

    Slots offered to other conversations in the last few minutes are left out, so patients writing at the
    same time are offered different slots; only when every free slot has been offered to someone are
    those offered (the patient would otherwise hear that nothing is free). `fresh`: nothing was ever
    offered to this holder (its conversation's first turn), so a search that finds nothing gives nothing back.
    """
    _take_turns_offering(session, clinic)
    found = FreeSlots([], exact=True)
    for _ in range(OFFER_TRIES):
        found = find_free_slots(
            session, clinic, now, query, limit, horizon_days, holder, spread=True, near=near
        )
        if not found.slots and fresh:
            break
        claimed = _claim(session, [s.id for s in found.slots], holder, now, minutes)
        if not found.slots:
            break
        if len(claimed) == len(found.slots):
            return found
        # Another conversation claimed some of them between our search and our claim: search again.
        if claimed:
            kept = [s for s in found.slots if s.id in claimed]
            found = FreeSlots(kept, found.exact)
    if found.slots:
        return found
    return find_free_slots(session, clinic, now, query, limit, horizon_days, holder, near=near)


def _take_turns_offering(session: Session, clinic: Clinic) -> None:
    """Concurrent turns of one clinic make their offers one after the other, until their commit.

    On PostgreSQL two turns could otherwise both read the same slots as unclaimed, and the loser would
    search again, possibly more than once under a rush; a transaction-scoped advisory lock (no table row is
    locked) lets each search see the offers committed before it. SQLite already runs one writer at a time.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    # Taken once per transaction: a turn that searches again (the day asked was full) already holds it. Only
    # a lock taken outside any savepoint is remembered, as a rollback to a savepoint would release it.
    taken = session.info.setdefault("offer_locks", {})
    transaction = session.get_transaction()
    if taken.get(clinic.id) is transaction and transaction is not None:
        return
    key = zlib.crc32(f"clinicline.offers:{clinic.id}".encode())
    session.execute(select(func.pg_advisory_xact_lock(key)))
    if session.get_nested_transaction() is None:
        taken[clinic.id] = session.get_transaction()


def _claim(session: Session, slot_ids: list[int], holder: str, now: dt.datetime, minutes: int) -> set[int]:
    """Mark the slots as offered to the holder (those still free of other offers), in one statement that
    also gives back the holder's other offers; returns the ids now offered to it.

    Rows a concurrent turn is changing (a hold, a booking) are skipped rather than waited for: such a slot
    is about to be taken, and a claim that never waits on a row can never be part of a deadlock.
    """
    params = {
        "slot_ids": slot_ids,
        "now": now,
        "holder": holder,
        "until": now + dt.timedelta(minutes=minutes),
    }
    changed = session.execute(_claim_statement(bool(slot_ids)), params).all()
    return {slot_id for slot_id, offered_to in changed if offered_to == holder}


@cache
def _claim_statement(some: bool):
    """_claim's UPDATE, built once (a turn that offers runs it every time); the values are bound.

    With no slot to claim, only the holder's offers are given back: `false` there (not an empty IN, which
    PostgreSQL cannot fold away) lets the index of offers find them."""
    table = Slot.__table__
    now = bindparam("now", type_=UTCDateTime)
    holder = bindparam("holder", type_=String)

    def claimable(slots):
        return and_(
            slots.c.id.in_(bindparam("slot_ids", expanding=True, type_=Integer)) if some else false(),
            slots.c.starts_at > now,
            _bookable(slots, now, holder),
            _not_offered_to_others(slots, now, holder),
        )

    rows = table.alias("offerable")
    lockable = select(rows.c.id).where(or_(rows.c.offered_to == holder, claimable(rows)))
    offer_it = claimable(table)  # read again on the locked row: never a slot just taken
    return (
        update(table)
        .where(table.c.id.in_(lockable.with_for_update(skip_locked=True)))
        .values(
            offered_to=case((offer_it, holder), else_=None),
            offered_until=case((offer_it, bindparam("until", type_=UTCDateTime)), else_=None),
        )
        .returning(table.c.id, table.c.offered_to)
    )


def release_offers(session: Session, holder: str) -> None:
    """Give back every slot offered to this conversation (the patient chose, or went elsewhere).

    Rows that a concurrent turn is changing are skipped, not waited for (on PostgreSQL): that turn may be
    offering them to its own patient, and the offer lapses by itself anyway. Never waiting here is also
    what keeps a hold (which locks its slot first) from deadlocking with a concurrent offer.
    """
    rows = Slot.__table__.alias("offered")
    mine = select(rows.c.id).where(rows.c.offered_to == holder).with_for_update(skip_locked=True)
    session.execute(
        update(Slot)
        .where(Slot.id.in_(mine), Slot.offered_to == holder)
        .values(offered_to=None, offered_until=None)
        .execution_options(synchronize_session=False)
    )


# ---- holds ------------------------------------------------------------------------------------------------


def holder_id(channel: str, clinic_id: str, conversation_key: str) -> str:
    """The id a conversation holds and is offered slots under (Slot.held_by, Slot.offered_to)."""
    return f"{channel}:{clinic_id}:{conversation_key}"[:80]


def hold_slot(
    session: Session, slot_id: int, holder: str, now: dt.datetime, minutes: int = 5, length: int = 1
) -> Slot:
    """Hold a slot for a few minutes while the patient confirms; SlotTaken if someone else has it.

    A visit reason that takes `length` slots holds the practitioner's next slots too (linked to the first),
    or none of them. The holder's offers end: the patient has chosen, the others go back to other patients.
    """
    if length > 1:
        with session.begin_nested():  # all the slots or none
            slot = _hold_one(session, slot_id, holder, now, minutes)
            _take_following(session, slot, length, now, holder, SlotStatus.HELD, minutes)
            return slot
    return _hold_one(session, slot_id, holder, now, minutes)


def following_slots(session: Session, slot: Slot, length: int) -> list[Slot]:
    """The practitioner's `length - 1` slots right after this one, each starting as the one before ends."""
    if length <= 1:
        return []
    rows = session.scalars(
        select(Slot)
        .where(
            Slot.practitioner_id == slot.practitioner_id,
            Slot.starts_at >= slot.ends_at,
            Slot.starts_at < slot.ends_at + (slot.ends_at - slot.starts_at) * (length - 1),
        )
        .order_by(Slot.starts_at)
        .limit(length - 1)
    ).all()
    chain, end = [], slot.ends_at
    for row in rows:
        if row.starts_at != end:
            break
        chain.append(row)
        end = row.ends_at
    return chain


def _take_following(session, slot: Slot, length: int, now, holder, status: SlotStatus, minutes: int = 5):
    """Hold or book the slots that continue `slot` (SlotTaken unless every one of them can be taken)."""
    chain = following_slots(session, slot, length)
    if len(chain) != length - 1:
        raise SlotTaken(slot.id)
    ids = [row.id for row in chain]
    mine = and_(Slot.joined_to == slot.id, Slot.status == SlotStatus.HELD, Slot.held_by == holder)
    values = {"status": status, "joined_to": slot.id, "held_by": None, "held_until": None}
    if status == SlotStatus.HELD:
        values.update(held_by=holder, held_until=now + dt.timedelta(minutes=minutes))
    result = session.execute(
        update(Slot)
        .where(Slot.id.in_(ids), or_(bookable_now(now, holder), mine))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != len(ids):
        raise SlotTaken(slot.id)
    return ids


def _hold_one(session: Session, slot_id: int, holder: str, now: dt.datetime, minutes: int) -> Slot:
    result = session.execute(
        update(Slot)
        .where(Slot.id == slot_id, Slot.starts_at > now, bookable_now(now, holder))
        .values(status=SlotStatus.HELD, held_by=holder, held_until=now + dt.timedelta(minutes=minutes))
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        if session.get(Slot, slot_id) is None:
            raise SlotNotFound(slot_id)
        raise SlotTaken(slot_id)
    release_offers(session, holder)
    slot = session.get(Slot, slot_id, populate_existing=True)  # one read of the row the UPDATE changed
    return slot


def release_hold(session: Session, slot_id: int, holder: str) -> None:
    """Give a held slot back (the patient said no, or chose another), with the slots held linked to it."""
    session.execute(
        update(Slot)
        .where(
            or_(Slot.id == slot_id, Slot.joined_to == slot_id),
            Slot.status == SlotStatus.HELD,
            Slot.held_by == holder,
        )
        .values(status=SlotStatus.FREE, held_by=None, held_until=None, joined_to=None)
        .execution_options(synchronize_session=False)
    )


def release_holds_of(session: Session, holder: str) -> int:
    """Give back every slot this holder holds, with the slots linked to them; returns how many."""
    result = session.execute(
        update(Slot)
        .where(Slot.status == SlotStatus.HELD, Slot.held_by == holder)
        .values(status=SlotStatus.FREE, held_by=None, held_until=None, joined_to=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def release_expired_holds(session: Session, now: dt.datetime) -> int:
    """Free every slot whose hold has run out (a caller hung up mid-booking); returns how many.

    Lapsed offers are cleared too (they already count for nothing; this keeps ix_slots_offered_to small).
    """
    freed_rows = session.execute(
        update(Slot)
        .where(Slot.status == SlotStatus.HELD, Slot.held_until < now)
        .values(status=SlotStatus.FREE, held_by=None, held_until=None, joined_to=None)
        .returning(Slot.id, Slot.clinic_id)
        .execution_options(synchronize_session=False)
    ).all()
    _to_waiting_list(session, freed_rows, now)
    session.execute(
        update(Slot)
        .where(Slot.offered_to.is_not(None), Slot.offered_until <= now)
        .values(offered_to=None, offered_until=None)
        .execution_options(synchronize_session=False)
    )
    return len(freed_rows)


def _to_waiting_list(session: Session, rows, now: dt.datetime) -> None:
    """Slots a hold gave back (a caller hung up mid-booking): the waiting list may be offered them."""
    by_clinic: dict[str, list[int]] = {}
    for slot_id, clinic_id in rows:
        by_clinic.setdefault(clinic_id, []).append(slot_id)
    for clinic_id, slot_ids in by_clinic.items():
        freed.slots_opened(session, clinic_id, slot_ids, now)


_CODE_TAKEN = select(Appointment.id).where(
    Appointment.clinic_id == bindparam("clinic_id", type_=String),
    Appointment.code == bindparam("code", type_=String),
)


def _new_code(session: Session, clinic_id: str) -> str:
    """A short numeric code, easy to read out and to key in, unique within the clinic."""
    while True:
        code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
        if session.scalar(_CODE_TAKEN, {"clinic_id": clinic_id, "code": code}) is None:
            return code


def book(
    session: Session,
    slot_id: int,
    patient: Patient,
    channel: Channel | str,
    now: dt.datetime,
    holder: str | None = None,
    replaces: Appointment | None = None,
    actor: str | None = None,
    person: Person | None = None,
    length: int = 1,
    reason: str | None = None,
) -> Appointment:
    """Book a free slot (or one this holder holds) for a person of the phone; SlotTaken if anyone else got it
    first. Without a person: the moved appointment's, else the phone's first person.

    A visit reason of `length` slots books the practitioner's next slots too, linked to the first: one
    appointment, all its slots or none.
    """
    if person is None:
        person = replaces.person if replaces is not None else people.first_person(session, patient, now)
    elif person.patient_id != patient.id:
        raise ValueError("a person is booked only through their own phone")
    # A savepoint: a failure after the slot is marked booked must not leave it booked without an appointment.
    try:
        with session.begin_nested():
            appointment = _book(
                session, slot_id, patient, person, channel, now, holder, replaces, actor, reason
            )
            if length > 1:
                _take_following(session, appointment.slot, length, now, holder, SlotStatus.BOOKED)
    except IntegrityError:
        slot = session.get(Slot, slot_id)
        if slot is not None and has_booking_at(session, person.id, slot.starts_at):
            raise PersonAlreadyBooked(person.id) from None
        raise
    # Its reminders, in the same transaction: no booking is ever kept without them, whatever the job queue.
    notifications.schedule_reminders(session, appointment.id, now)
    return appointment


@cache
def _book_statement(by_holder: bool):
    """_book's UPDATE of the slot, built once (every booking runs it); the values are bound."""
    table = Slot.__table__
    now = bindparam("now", type_=UTCDateTime)
    holder = bindparam("holder", type_=String) if by_holder else None
    return (
        update(Slot)
        .where(table.c.id == bindparam("slot_id", type_=Integer), table.c.starts_at > now)
        .where(_bookable(table, now, holder))
        .values(status=SlotStatus.BOOKED, held_by=None, held_until=None)
        .returning(Slot)
        .execution_options(synchronize_session=False, populate_existing=True)
    )


def has_booking_at(session: Session, person_id: int, starts_at: dt.datetime) -> bool:
    """Whether the person already holds a booked appointment starting then (one place at a time)."""
    return (
        session.scalar(
            select(Appointment.id).where(
                Appointment.person_id == person_id,
                Appointment.starts_at == starts_at,
                Appointment.status == AppointmentStatus.BOOKED,
            )
        )
        is not None
    )


def _book(
    session, slot_id, patient, person, channel, now, holder, replaces, actor, reason=None
) -> Appointment:
    # The row as the UPDATE left it comes back with it (RETURNING): no second read of the slot.
    slot = session.scalar(
        _book_statement(holder is not None), {"slot_id": slot_id, "now": now, "holder": holder}
    )
    if slot is None:
        if session.get(Slot, slot_id) is None:
            raise SlotNotFound(slot_id)
        raise SlotTaken(slot_id)
    appointment = Appointment(
        clinic_id=slot.clinic_id,
        slot_id=slot.id,
        patient_id=patient.id,
        person_id=person.id,
        status=AppointmentStatus.BOOKED,
        channel=Channel(channel),
        code=_new_code(session, slot.clinic_id),
        starts_at=slot.starts_at,
        created_at=now,
        replaces_id=replaces.id if replaces else None,
        reason=reason,
    )
    session.add(appointment)
    session.flush()
    audit.record(
        session,
        "appointment.booked",
        channel=channel,
        clinic_id=slot.clinic_id,
        actor=actor,
        subject=f"appointment:{appointment.id}",
        slot_id=slot.id,
    )
    return appointment


def _locked_appointment(session: Session, appointment_id: int) -> Appointment | None:
    """The appointment, re-read and locked: two cancels (or a cancel and a move) of it take turns."""
    return session.get(Appointment, appointment_id, with_for_update=True, populate_existing=True)


def _upcoming_of(
    session: Session, appointment_id: int, patient_id: int | None, now: dt.datetime
) -> Appointment:
    """A booked appointment that has not started, locked; a patient may only touch their own."""
    appointment = _locked_appointment(session, appointment_id)
    if appointment is None or (patient_id is not None and appointment.patient_id != patient_id):
        raise AppointmentNotFound(appointment_id)
    if not appointment.is_upcoming(now):
        raise AppointmentNotCancellable(appointment_id)
    return appointment


def cancel(
    session: Session,
    appointment_id: int,
    now: dt.datetime,
    channel: Channel | str,
    patient_id: int | None = None,
    actor: str | None = None,
) -> Appointment:
    """Cancel an upcoming appointment and free its slot; a patient may only cancel their own."""
    appointment = _upcoming_of(session, appointment_id, patient_id, now)
    appointment.status = AppointmentStatus.CANCELLED
    appointment.cancelled_at = now
    notifications.withdraw_pending(session, now, appointment_id=appointment.id)
    session.execute(
        update(Slot)
        .where(Slot.id == appointment.slot_id, Slot.status == SlotStatus.BOOKED)
        .values(status=SlotStatus.FREE)
        .execution_options(synchronize_session=False)
    )
    joined = (
        session.execute(  # the slots a longer visit reason took with it
            update(Slot)
            .where(Slot.joined_to == appointment.slot_id, Slot.status == SlotStatus.BOOKED)
            .values(status=SlotStatus.FREE, joined_to=None)
            .returning(Slot.id)
            .execution_options(synchronize_session=False)
        )
        .scalars()
        .all()
    )
    freed.slots_opened(
        session, appointment.clinic_id, [appointment.slot_id, *joined], now
    )  # the waiting list
    session.flush()
    audit.record(
        session,
        "appointment.cancelled",
        channel=channel,
        clinic_id=appointment.clinic_id,
        actor=actor,
        subject=f"appointment:{appointment.id}",
    )
    return appointment


def reschedule(
    session: Session,
    appointment_id: int,
    new_slot_id: int,
    now: dt.datetime,
    channel: Channel | str,
    patient_id: int | None = None,
    holder: str | None = None,
    actor: str | None = None,
    length: int = 1,
) -> Appointment:
    """Book the new slot, then release the old one, in the caller's one transaction."""
    old = _upcoming_of(session, appointment_id, patient_id, now)
    new_slot = session.get(Slot, new_slot_id)
    if new_slot is None or new_slot.clinic_id != old.clinic_id:
        raise SlotNotFound(new_slot_id)
    # A savepoint: should the caller catch an error and commit anyway, neither half of the move survives.
    with session.begin_nested():
        new = book(
            session,
            new_slot_id,
            old.patient,
            channel,
            now,
            holder=holder,
            replaces=old,
            actor=actor,
            length=length,
            reason=old.reason,
        )
        cancel(session, old.id, now, channel, actor=actor)
    return new


def by_code(session: Session, clinic_id: str, code: str) -> Appointment | None:
    """The clinic's appointment with this confirmation code, if any (codes are unique per clinic)."""
    return session.scalar(
        select(Appointment).where(Appointment.clinic_id == clinic_id, Appointment.code == code)
    )


def upcoming_appointments(
    session: Session, patient: Patient, clinic: Clinic, now: dt.datetime
) -> list[Appointment]:
    """A patient's booked appointments at a clinic that have not started yet, soonest first."""
    return list(
        session.scalars(
            select(Appointment)
            .where(
                Appointment.patient_id == patient.id,
                Appointment.clinic_id == clinic.id,
                Appointment.status == AppointmentStatus.BOOKED,
                Appointment.starts_at > now,
            )
            .order_by(Appointment.starts_at)
        )
    )
