"""Named days patients use as dates (Québec and Canadian holidays, a few common ones)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable


def easter(year: int) -> dt.date:
    """Gregorian Easter Sunday (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def nth_weekday(year: int, month: int, weekday: int, n: int) -> dt.date:
    """The n-th (1-based; -1 = last) given weekday of a month."""
    if n > 0:
        first = dt.date(year, month, 1)
        return first + dt.timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    last = (dt.date(year + month // 12, month % 12 + 1, 1)) - dt.timedelta(days=1)
    return last - dt.timedelta(days=(last.weekday() - weekday) % 7 + 7 * (-n - 1))


def _fixed(month: int, day: int) -> Callable[[int], dt.date]:
    return lambda year: dt.date(year, month, day)


def _victoria(year: int) -> dt.date:
    """Monday before May 25 (Journée nationale des patriotes / Victoria Day)."""
    may24 = dt.date(year, 5, 24)
    return may24 - dt.timedelta(days=may24.weekday())


_HOLIDAYS: list[tuple[str, Callable[[int], dt.date]]] = [
    (r"veille (?:de|du jour de) noel|christmas eve|reveillon de noel", _fixed(12, 24)),
    (r"veille du jour de l'an|new year'?s eve|reveillon du jour de l'an|saint-sylvestre", _fixed(12, 31)),
    (r"lendemain de noel|boxing day", _fixed(12, 26)),
    (r"noel|christmas|xmas", _fixed(12, 25)),
    (r"jour de l'an|nouvel an|new year'?s(?: day)?", _fixed(1, 1)),
    (r"saint[- ]valentin|st[- ]valentin|valentine'?s(?: day)?", _fixed(2, 14)),
    (r"(?:saint|st)[- ]patrick'?s?(?: day)?|st[- ]paddy'?s(?: day)?|saint paddy'?s(?: day)?", _fixed(3, 17)),
    (r"(?:saint|st)[- ]jean(?:[- ]baptiste)?|fete nationale(?: du quebec)?", _fixed(6, 24)),
    (r"fete du canada|canada day|jour du demenagement|moving day", _fixed(7, 1)),
    (r"halloween", _fixed(10, 31)),
    (r"toussaint|all saints'?(?: day)?|jour des morts", _fixed(11, 1)),
    (r"all souls'?(?: day)?", _fixed(11, 2)),
    (r"epiphanie|epiphany|jour des rois", _fixed(1, 6)),
    (r"jour de la marmotte|groundhog day", _fixed(2, 2)),
    (
        r"journee (?:internationale )?(?:des droits )?de la femme|(?:international )?women'?s day",
        _fixed(3, 8),
    ),
    (r"poisson d'avril|april fools?'?(?: day)?", _fixed(4, 1)),
    (r"jour de la terre|earth day", _fixed(4, 22)),
    (r"assomption|assumption(?: day)?", _fixed(8, 15)),
    (
        r"jour de la famille|family day|presidents'? day|washington'?s birthday",
        lambda y: nth_weekday(y, 2, 0, 3),
    ),
    (r"martin luther king(?: jr\.?)?(?:'?s)?(?: day)?|mlk(?: day)?", lambda y: nth_weekday(y, 1, 0, 3)),
    (r"memorial day", lambda y: nth_weekday(y, 5, 0, -1)),
    (r"conge civique|civic holiday", lambda y: nth_weekday(y, 8, 0, 1)),
    (r"jour du souvenir|remembrance day", _fixed(11, 11)),
    (r"fete du travail|labou?r day", lambda y: nth_weekday(y, 9, 0, 1)),
    (r"action de graces?|thanksgiving", lambda y: nth_weekday(y, 10, 0, 2)),
    (r"black friday|vendredi fou", lambda y: nth_weekday(y, 11, 3, 4) + dt.timedelta(days=1)),
    (r"journee (?:nationale )?des patriotes|victoria day|fete de la reine", _victoria),
    (r"vendredi saint|good friday", lambda y: easter(y) - dt.timedelta(days=2)),
    (r"lundi de paques|easter monday|easter mon", lambda y: easter(y) + dt.timedelta(days=1)),
    (r"jeudi saint|maundy thursday", lambda y: easter(y) - dt.timedelta(days=3)),
    (
        r"lundi de (?:la )?pentecote|whit monday|pentecost monday|monday of the holy spirit",
        lambda y: easter(y) + dt.timedelta(days=50),
    ),
    (r"dimanche des rameaux|palm sunday", lambda y: easter(y) - dt.timedelta(days=7)),
    (r"mercredi des cendres|ash wednesday", lambda y: easter(y) - dt.timedelta(days=46)),
    (r"samedi saint|holy saturday", lambda y: easter(y) - dt.timedelta(days=1)),
    (r"dimanche de la trinite|trinity sunday", lambda y: easter(y) + dt.timedelta(days=56)),
    (r"fete[- ]dieu|corpus christi", lambda y: easter(y) + dt.timedelta(days=60)),
    (r"pentecote|pentecost|whitsunday", lambda y: easter(y) + dt.timedelta(days=49)),
    (r"ascension", lambda y: easter(y) + dt.timedelta(days=39)),
    (r"paques|easter(?: sunday)?", easter),
    (r"mardi gras|pancake day|shrove tuesday", lambda y: easter(y) - dt.timedelta(days=47)),
    (r"fete des meres|mother'?s day", lambda y: nth_weekday(y, 5, 6, 2)),
    (r"fete des peres|father'?s day", lambda y: nth_weekday(y, 6, 6, 3)),
]
_PATTERN = re.compile(r"(?<![a-z0-9])(?:" + "|".join(f"({p})" for p, _ in _HOLIDAYS) + r")\b(?: (\d{4}))?")


def find_holiday(text: str, today: dt.date) -> tuple[dt.date, tuple[int, int]] | None:
    """Date of the first holiday named in text (next occurrence, or the stated year) and its span."""
    match = _PATTERN.search(text)
    if match is None:
        return None
    index = next(i for i, group in enumerate(match.groups()[:-1]) if group is not None)
    rule = _HOLIDAYS[index][1]
    if match.group(len(_HOLIDAYS) + 1):
        return rule(int(match.group(len(_HOLIDAYS) + 1))), match.span()
    day = rule(today.year)
    return (day if day >= today else rule(today.year + 1)), match.span()
