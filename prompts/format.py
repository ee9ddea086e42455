"""Dates, times and numbers in words for the ear (voice) or short for the eye (SMS), in French and English.

All the words come from the `common.toml` catalogs; only the arrangement is code.
"""

from __future__ import annotations

import datetime as dt

from prompts import catalog, render


def _names(lang: str, key: str) -> list[str]:
    return catalog(lang)[key]


def weekday_name(day: dt.date, lang: str) -> str:
    """'mardi' / 'Tuesday'."""
    return _names(lang, "weekday_names")[day.weekday()]


def month_name(day: dt.date, lang: str) -> str:
    """'décembre' / 'December'."""
    return _names(lang, "month_names")[day.month - 1]


def format_date(day: dt.date, lang: str, channel: str = "sms") -> str:
    """SMS: 'mar. 1 déc.' / 'Tue Dec 1'; voice: 'mardi premier décembre' / 'Tuesday, December first'."""
    if channel == "voice":
        ordinal = _names(lang, "day_ordinals_spoken")[day.day - 1]
        return render(
            "date_spoken",
            lang,
            "voice",
            weekday=weekday_name(day, lang),
            day=ordinal,
            month=month_name(day, lang),
        )
    return render(
        "date_short",
        lang,
        "sms",
        weekday=_names(lang, "weekday_short")[day.weekday()],
        day=day.day,
        month=_names(lang, "month_short")[day.month - 1],
    )


def format_time(at: dt.time, lang: str, channel: str = "sms") -> str:
    """SMS: '14 h 30' / '2:30 PM'; voice: 'quatorze heures trente' / 'two thirty PM'."""
    if channel == "voice":
        return _spoken_time(at, lang)
    if lang == "fr":
        return f"{at.hour} h" + (f" {at.minute:02d}" if at.minute else "")
    hour12 = at.hour % 12 or 12
    suffix = render("time_pm" if at.hour >= 12 else "time_am", lang)
    return f"{hour12}:{at.minute:02d} {suffix}"


def _spoken_time(at: dt.time, lang: str) -> str:
    numbers = _names(lang, "numbers_spoken")  # 0..59 in words
    if lang == "fr":
        if at.hour == 12 and at.minute == 0:
            return render("time_noon", lang, "voice")
        hours = render("time_hours_spoken", lang, "voice", hours=numbers[at.hour])
        return hours + (f" {numbers[at.minute]}" if at.minute else "")
    hour12 = at.hour % 12 or 12
    suffix = render("time_pm" if at.hour >= 12 else "time_am", lang)
    if at.minute == 0:
        return f"{numbers[hour12]} {suffix}"
    minutes = (
        numbers[at.minute] if at.minute >= 10 else f"{render('time_oh', lang, 'voice')} {numbers[at.minute]}"
    )
    return f"{numbers[hour12]} {minutes} {suffix}"


def format_when(moment_local: dt.datetime, lang: str, channel: str = "sms") -> str:
    """'mar. 1 déc. à 14 h 30' / 'Tue Dec 1 at 2:30 PM' (and spoken forms for voice)."""
    return render(
        "date_at_time",
        lang,
        channel,
        date=format_date(moment_local.date(), lang, channel),
        time=format_time(moment_local.time(), lang, channel),
    )


def people_ahead(count: int, lang: str) -> str:
    """'personne avant vous' / '1 person ahead of you' / '4 people ahead of you'."""
    key = "ahead_none" if count <= 0 else "ahead_one" if count == 1 else "ahead_many"
    return render(key, lang, count=count)


def is_phone_value(name: str) -> bool:
    """Whether a placeholder holds a phone number (written 514-555-0199 by SMS, read in groups aloud)."""
    return name in ("phone", "callback") or name.endswith("_phone")


def phone_for_eye(number: str | None) -> str:
    """A North American number written for a text ('514-555-0199'); any other number as given."""
    if not number:
        return ""
    if number.startswith("+1") and len(number) == 12:
        return f"{number[2:5]}-{number[5:8]}-{number[8:]}"
    return number


def numbers_text(numbers: list[int] | list[str], lang: str) -> str:
    """Several ticket numbers as said: '23 et 24', '23, 24 et 25' ('23 and 24' in English)."""
    said = [str(n) for n in numbers]
    if len(said) < 2:
        return "".join(said)
    joiner = " and " if lang == "en" else " et "
    return ", ".join(said[:-1]) + joiner + said[-1]
