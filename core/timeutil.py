"""Clinic-local time: clinic times are local, stored instants are UTC."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

PARTS_OF_DAY = {
    "morning": (dt.time(0, 0), dt.time(12, 0)),
    "afternoon": (dt.time(12, 0), dt.time(17, 0)),
    "evening": (dt.time(17, 0), dt.time(23, 59, 59)),
}


def zone(tz_name: str) -> ZoneInfo:
    """The zone of a clinic."""
    return ZoneInfo(tz_name)


def to_local(instant: dt.datetime, tz_name: str) -> dt.datetime:
    """An aware instant seen on the clinic's clock."""
    return instant.astimezone(ZoneInfo(tz_name))


def local_to_utc(day: dt.date, at: dt.time, tz_name: str) -> dt.datetime:
    """A clinic-local date and time as an aware UTC instant."""
    return dt.datetime.combine(day, at, tzinfo=ZoneInfo(tz_name)).astimezone(dt.UTC)


def local_day_bounds(day: dt.date, tz_name: str) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants where a clinic-local day starts and ends."""
    start = local_to_utc(day, dt.time(0, 0), tz_name)
    return start, local_to_utc(day + dt.timedelta(days=1), dt.time(0, 0), tz_name)


def wished_times(
    part: str | None, after: dt.time | None, before: dt.time | None
) -> tuple[dt.time, dt.time | None] | None:
    """The local times of day a wish allows, [start, end) (end None: midnight), or None for any time: the
    part of the day, narrowed by the times said. Slot searches and waiting-list matches read it alike."""
    start, end = dt.time(0), None
    if part in PARTS_OF_DAY:
        start, end = PARTS_OF_DAY[part]
    if after:
        start = max(start, after)
    if before:
        end = before if end is None else min(end, before)
    return None if (start, end) == (dt.time(0), None) else (start, end)


def in_part_of_day(at: dt.time, part: str | None) -> bool:
    """Whether a local time falls in a part of the day (None, or a part we do not know, matches all)."""
    if part not in PARTS_OF_DAY:
        return True
    start, end = PARTS_OF_DAY[part]
    return start <= at < end
