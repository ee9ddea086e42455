"""The slot search as it was first written: every candidate slot loaded, then filtered in Python.

The SQL search of core.services.booking must give exactly these answers; tests compare the two, and
bench/slot_search.py measures both.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.models import Clinic, Slot
from core.services.booking import FreeSlots, SlotQuery, _target, bookable_now
from core.timeutil import in_part_of_day, local_day_bounds, to_local


def _matches(slot: Slot, clinic: Clinic, query: SlotQuery) -> bool:
    local = to_local(slot.starts_at, clinic.timezone)
    if query.date and local.date() != query.date:
        return False
    if query.after and local.time() < query.after:
        return False
    return in_part_of_day(local.time(), query.part_of_day)


def _distinct_times(slots: list[Slot], limit: int) -> list[Slot]:
    seen, result = set(), []
    for slot in slots:
        if slot.starts_at not in seen:
            seen.add(slot.starts_at)
            result.append(slot)
            if len(result) == limit:
                break
    return result


def reference_free_slots(
    session: Session,
    clinic: Clinic,
    now: dt.datetime,
    query: SlotQuery | None = None,
    limit: int = 3,
    horizon_days: int = 30,
    holder: str | None = None,
    spread: bool = False,
) -> FreeSlots:
    """The first free slots matching the wish, or the nearest alternatives when nothing matches."""
    query = query or SlotQuery()
    earliest = max(now, query.not_before) if query.not_before else now
    base = (
        select(Slot)
        .where(Slot.clinic_id == clinic.id, Slot.starts_at > earliest, bookable_now(now, holder))
        .order_by(Slot.starts_at, Slot.practitioner_id)
    )
    if spread:  # slots offered to another conversation a moment ago are not offered again
        free_of_offers = [Slot.offered_until.is_(None), Slot.offered_until <= now]
        if holder:
            free_of_offers.append(Slot.offered_to == holder)
        base = base.where(or_(*free_of_offers))
    if query.practitioner_id:
        base = base.where(Slot.practitioner_id == query.practitioner_id)
    if query.date:
        start, end = local_day_bounds(query.date, clinic.timezone)
        candidates = session.scalars(base.where(Slot.starts_at >= start, Slot.starts_at < end)).all()
    else:
        horizon = now + dt.timedelta(days=horizon_days)
        candidates = session.scalars(base.where(Slot.starts_at < horizon)).all()
    matching = [s for s in candidates if _matches(s, clinic, query)]
    if query.at:
        wanted = query.at.hour * 60 + query.at.minute

        def distance(slot: Slot) -> int:
            local = to_local(slot.starts_at, clinic.timezone)
            return abs(local.hour * 60 + local.minute - wanted)

        matching = sorted(_distinct_times(matching, len(matching)), key=distance)[:limit]
        matching.sort(key=lambda s: s.starts_at)
    if matching:
        return FreeSlots(_distinct_times(matching, limit), exact=True)
    return FreeSlots(_nearest(session, clinic, now, query, base, limit, horizon_days), exact=False)


def _nearest(session, clinic, now, query, base, limit, horizon_days) -> list[Slot]:
    target = _target(clinic, query, now)
    window = session.scalars(
        base.where(
            Slot.starts_at >= target - dt.timedelta(days=7), Slot.starts_at < target + dt.timedelta(days=14)
        )
    ).all()
    if not window:
        window = session.scalars(base.where(Slot.starts_at < now + dt.timedelta(days=horizon_days))).all()
    candidates = _distinct_times(window, len(window))
    if query.date and (query.after or query.part_of_day or query.at):
        any_day = replace(query, date=None)
        same_time_of_day = [s for s in candidates if _matches(s, clinic, any_day)]
        if same_time_of_day:
            local_target = to_local(target, clinic.timezone)
            wished = local_target.hour * 60 + local_target.minute

            def day_then_time(slot: Slot) -> tuple[int, int]:
                local = to_local(slot.starts_at, clinic.timezone)
                return abs((local.date() - query.date).days), abs(local.hour * 60 + local.minute - wished)

            return sorted(sorted(same_time_of_day, key=day_then_time)[:limit], key=lambda s: s.starts_at)
    nearest = sorted(candidates, key=lambda s: abs((s.starts_at - target).total_seconds()))
    return sorted(nearest[:limit], key=lambda s: s.starts_at)
