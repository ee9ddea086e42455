"""Why a day has nothing to offer: the clinic is closed that day (a schedule change), said with its reason."""

from __future__ import annotations

import datetime as dt

from core.dialog.engine import Turn
from core.dialog.types import Say
from core.services import schedule

REASON_SAID_MAX = 60  # a manager may write more for the console; a patient hears the start of it


def _said(reason: str | None) -> str | None:
    """The closure's reason as told to a patient: its first REASON_SAID_MAX characters, cut between words."""
    if not reason or len(reason) <= REASON_SAID_MAX:
        return reason
    return reason[:REASON_SAID_MAX].rsplit(" ", 1)[0].rstrip(" ,;:-")


def why_closed(t: Turn, day: dt.date | None) -> Say | None:
    """'La clinique est fermée le 25 décembre (Noël).' when the day asked for is a closure, else None."""
    if day is None:
        return None
    change = schedule.closure_on(t.session, t.clinic.id, day)
    if change is None:
        return None
    reason = _said(schedule.reason_text(change, t.lang))
    if reason:
        return Say("closed_day_reason", {"date": day, "reason": reason})
    return Say("closed_day", {"date": day})
