"""The SMS wording: sentences and their values as a text reads, one compact message, GSM-7 where it saves.

The one renderer of every SMS clinicline sends: the replies of smsbot/ and the messages the jobs send
(reminders, confirmations, walk-in notices, offers; core/services/notifications.py). Values arrive raw —
datetimes (clinic-local wall time, or aware instants shown in the clinic's zone), dates, times, E.164
numbers, ints — and are written here short for the eye; accents GSM-7 lacks are dropped only when keeping
them would cost another segment (prompts/segments.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from prompts import render
from prompts.format import format_date, format_time, format_when, is_phone_value, phone_for_eye
from prompts.segments import economical

if TYPE_CHECKING:  # the dialog's data types; prompts imports nothing of core at run time
    from core.dialog.types import Reply, Say

CHANNEL = "sms"
DEFAULT_TIMEZONE = "America/Toronto"


def value_text(name: str, value: object, lang: str, timezone: str = DEFAULT_TIMEZONE) -> object:
    """A placeholder's value written short for the eye; anything not a date, time or number as given.

    A value that is itself a sentence (a part a flow composed: "avant 15 h") is written first; `Parts` are
    each written, then joined.
    """
    if hasattr(value, "key") and hasattr(value, "values"):  # Say, kept as written (" (4 km)")
        return _filled(value, lang, timezone)
    if hasattr(value, "items") and hasattr(value, "sep"):  # Parts
        return value.sep.join(str(value_text(name, item, lang, timezone)) for item in value.items)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            from zoneinfo import ZoneInfo

            value = value.astimezone(ZoneInfo(timezone)).replace(tzinfo=None)
        return format_when(value, lang, CHANNEL)
    if isinstance(value, dt.date):
        return format_date(value, lang, CHANNEL)
    if isinstance(value, dt.time):
        return format_time(value, lang, CHANNEL)
    if isinstance(value, str) and value.startswith("+") and is_phone_value(name):
        return phone_for_eye(value)
    return value


def say_text(say: Say, lang: str, timezone: str = DEFAULT_TIMEZONE) -> str:
    """One sentence, its placeholders filled in (in its own language when it has one)."""
    return _filled(say, lang, timezone).strip()


def _filled(say: Say, lang: str, timezone: str) -> str:
    lang = say.lang or lang
    values = {name: value_text(name, value, lang, timezone) for name, value in say.values.items()}
    return render(say.key, lang, CHANNEL, **values)


def says_text(says: Iterable[Say], lang: str, timezone: str = DEFAULT_TIMEZONE) -> str:
    """Sentences as one text, folded to GSM-7 where that saves a segment (a message the jobs send)."""
    return economical(" ".join(t for t in (say_text(s, lang, timezone) for s in says) if t))


def reply_text(reply: Reply, timezone: str = DEFAULT_TIMEZONE) -> str:
    """The whole reply as one message; empty when there is nothing to say (opt-out: the carrier answers).

    The sentences, then each choice a text can answer on its own line ("1) mar. 8 déc. à 9 h"); choices for
    the keypad only are the phone's (a text answers them in the words its prompt names).
    """
    sentences = " ".join(t for t in (say_text(s, reply.lang, timezone) for s in reply.says) if t)
    if not sentences:
        return ""
    lines = [sentences]
    for choice in reply.choices:
        if choice.keypad_only:
            continue
        label = say_text(choice.label, reply.lang, timezone)
        lines.append(render("sms_choice", reply.lang, CHANNEL, digit=choice.digit, label=label))
    return economical("\n".join(lines))
