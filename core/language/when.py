"""Rule-based reading of dates, times and parts of day in Québec French and English.

Input is text already folded (lower-case, no accents) and digitized (spelled numbers as digits).
Every date resolves in the future relative to the clinic's local ``now``; today counts.

Conventions (what a clinic patient means, not what a calendar library guesses):
- an hour 1-6 with no am/pm and no part of day is afternoon ("vers 2 heures" -> 14:00); 7-11 is morning;
- "mardi prochain" / "next Tuesday" is that weekday in the next calendar week (weeks start on Monday);
- a bare weekday is its next occurrence after today ("mardi" said on a Tuesday is next Tuesday), but
  "ce mardi" / "this Tuesday" / "Tuesday of this week" said on a Tuesday is today;
- "la semaine prochaine" / "next week" is the Monday of next week, with ``span="week"``;
- "ce week-end" / "cette fin de semaine" (Québec: weekend) is the coming Saturday, ``span="weekend"``;
- "en fin de journée" / "end of the day" is part of day "evening" with ``after=16:00``;
- "after 3" sets ``after`` and ``time`` to 15:00 (the earliest acceptable time); "before 11" sets only
  ``before``; a range "entre 9h30 et 11h" sets time and after to the start and before to the end.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from .holidays import find_holiday, nth_weekday


@dataclass
class When:
    """Everything temporal found in one message."""

    date: dt.date | None = None
    time: dt.time | None = None
    part_of_day: str | None = None
    after: dt.time | None = None
    before: dt.time | None = None
    asap: bool = False
    span: str | None = None
    not_before: dt.date | None = None
    not_after: dt.date | None = None
    also: tuple[dt.date, ...] = ()  # other days that would do as well ("mercredi ou jeudi"): after `date`
    # Said of the appointment just booked ("et pour moi le même jour"): "day", "time" (at the same time,
    # or as near it as is free: "pareil pour ma fille") or "after" ("juste après"); the dialog knows which.
    same: str | None = None
    # A move counted from the appointment being changed: ("later" | "earlier", minutes or None): "une heure
    # plus tard", "décaler de 30 min", "push it an hour", "plus tôt"; the dialog knows from what.
    shift: tuple[str, int | None] | None = None


_WEEKDAY_NAMES = {
    "lundi": 0,
    "monday": 0,
    "mardi": 1,
    "tuesday": 1,
    "mercredi": 2,
    "wednesday": 2,
    "jeudi": 3,
    "thursday": 3,
    "vendredi": 4,
    "friday": 4,
    "samedi": 5,
    "saturday": 5,
    "dimanche": 6,
    "sunday": 6,
}
# Abbreviations clash with ordinary words ("mon", "sam", "mer"), so they need a dot, comma or number.
_WEEKDAY_ABBR = {
    "lun": 0,
    "mon": 0,
    "mar": 1,
    "tue": 1,
    "tues": 1,
    "mer": 2,
    "wed": 2,
    "jeu": 3,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "ven": 4,
    "fri": 4,
    "sam": 5,
    "sat": 5,
    "dim": 6,
    "sun": 6,
}
_MONTH_NAMES = {
    "janvier": 1,
    "january": 1,
    "janv": 1,
    "jan": 1,
    "fevrier": 2,
    "february": 2,
    "fevr": 2,
    "fev": 2,
    "feb": 2,
    "mars": 3,
    "march": 3,
    "mar": 3,
    "avril": 4,
    "april": 4,
    "avr": 4,
    "apr": 4,
    "mai": 5,
    "may": 5,
    "juin": 6,
    "june": 6,
    "jun": 6,
    "juillet": 7,
    "july": 7,
    "juil": 7,
    "jul": 7,
    "aout": 8,
    "august": 8,
    "aug": 8,
    "septembre": 9,
    "september": 9,
    "sept": 9,
    "sep": 9,
    "octobre": 10,
    "october": 10,
    "oct": 10,
    "novembre": 11,
    "november": 11,
    "nov": 11,
    "decembre": 12,
    "december": 12,
    "dec": 12,
}


def _alternation(names) -> str:
    """Regex alternation, longest names first so prefixes never win."""
    return "|".join(sorted(map(re.escape, names), key=len, reverse=True))


_WD = (
    rf"(?:(?P<wdfull>{_alternation(_WEEKDAY_NAMES)})s?\b"
    rf"|(?P<wdabbr>{_alternation(_WEEKDAY_ABBR)})(?:\.|(?=,|\s?\d|\s*$)))"
)
_MONTH = rf"(?:{_alternation(_MONTH_NAMES)})\b\.?"
_ORD = r"(?:er|ere|re|st|nd|rd|th|e)?"
_UNITS = (
    r"(?:jours?|days?|semaines?|weeks?|mois|months?|ans?|annees?|years?|personnes?|people|persons?|"
    r"fois|times|enfants?|kids?|children|patients?|places?|spots?|minutes?|mins?|heures?|hours?|hrs?|"
    r"eme|ieme|%|\$)"
)

# --- parts of day -------------------------------------------------------------------------------
_PART_OF_DAY = re.compile(
    r"(?P<evening>fin de (?:la )?journee|end of (?:the )?day|\beod\b|after work|apres (?:le travail|l'ouvrage|la job)"
    r"|soir|soiree|evening|tonight|tonite|night|nuit)"
    r"|(?P<afternoon>apres[- ]?midi|aprem|afternoon|(?:in the|dans l'|dans le|en|l'|le|de l') ?pm\b)"
    r"|(?P<morning>matin|matinee|avant[- ]?midi|morning|debut de (?:la )?journee|early in the day|first thing"
    r"|(?:in the|dans l'|en|l'|de l') ?am\b)"
)
_END_OF_DAY = re.compile(r"fin de (?:la )?journee|end of (?:the )?day|\beod\b")
# A part of the day ruled out: "pas le matin", "not in the afternoon", "I can't do mornings", "je travaille le
# soir". It ends where the part named ends, so each match of _PART_OF_DAY can be told negated or not.
_NOT_PART = re.compile(
    r"(?:\b(?:pas|not|no|never|jamais|sauf|except|excepte|other than|anything but|autre que)"
    r"|\b(?:can'?t|cannot|can not|couldn'?t|won'?t|unable to)(?: (?:do|come|make it|go|be there))?"
    r"|\b(?:travaille|travaillons|work|works|working|busy|occupee?|pris|prise)"
    r"|\b(?:peux|pourrai|pourrais|peut|pourra) pas(?: venir| y aller| etre la)?)"
    r"\s+(?:(?:le|la|l'|les|en|du|de|dans|in|the|during|on|a|an|this|ce|cette|any|toute|all)\s*)*"
    rf"(?:{_PART_OF_DAY.pattern})s?\b"
)
_NOT_PART_GATE = re.compile(
    r"\b(?:pas|not|no|never|jamais|sauf|except|excepte|other|anything|autre|can'?t|cannot|can|couldn'?t|won'?t"
    r"|unable|travaille|travaillons|work|works|working|busy|occupee?|pris|prise)\b"
)
# "not in the morning or the evening": the parts named after the first are ruled out too.
_NOT_PART_MORE = re.compile(
    r"\s*,?\s*(?:or|ou|nor|ni|and|et)\s+(?:(?:le|la|l'|les|en|du|de|dans|in|the|during|on|a|an|this|ce|cette|any"
    rf"|toute|all)\s*)*(?:{_PART_OF_DAY.pattern})s?\b"
)


def _ruled_out_ends(text: str) -> set[int]:
    """Where each part of the day ruled out in the text ends."""
    ends = set()
    if _NOT_PART_GATE.search(text):
        for n in _NOT_PART.finditer(text):
            end = n.end()
            ends.add(end)
            while more := _NOT_PART_MORE.match(text, end):
                end = more.end()
                ends.add(end)
    return ends


# What is left of a clinic's day once parts of it are ruled out, as bounds.
_LEFT_WHEN_RULED_OUT = {
    frozenset({"morning"}): ("after", dt.time(12, 0)),
    frozenset({"afternoon"}): ("before", dt.time(12, 0)),
    frozenset({"afternoon", "evening"}): ("before", dt.time(12, 0)),
    frozenset({"evening"}): ("before", dt.time(17, 0)),
    frozenset({"morning", "afternoon"}): ("after", dt.time(17, 0)),
}

# --- times ---------------------------------------------------------------------------------------
_WORD_TIMES = [
    (re.compile(r"\b(\d{1,2})([0-5]\d) ?(?=(?:ish ?)?[ap]\.? ?m\b)"), lambda m: f"{m[1]}:{m[2]} "),
    (
        re.compile(r"\b(at|around|approximately|about|@|vers) (\d{1,2})([0-5]\d)(?:ish)?\b(?! ?(?:h|:))"),
        lambda m: f"{m[1]} {m[2]}:{m[3]}" if int(m[2]) < 24 else m[0],
    ),
    (re.compile(r"\bo\W?clock\b"), lambda m: "o'clock"),
    (
        re.compile(r"\b(?:a |an )?half past (\d{1,2}|noon|midnight)(?![\d:])\b"),
        lambda m: f"{_hour_of(m[1])}:30",
    ),
    (
        re.compile(r"\b(?:a )?quarter (?:past|after) (\d{1,2}(?![\d:])|noon\b|midnight\b)"),
        lambda m: f"{_hour_of(m[1])}:15",
    ),
    (
        re.compile(r"\b(?:a )?quarter (?:to|of|before|till) (\d{1,2}(?![\d:])|noon\b|midnight\b)"),
        lambda m: _minus(int(_hour_of(m[1])), 15),
    ),
    # "5 to noon", "20 past midnight": next to noon or midnight any count is minutes
    (
        re.compile(r"(?<![:.])\b([1-5]?\d) (?:minutes? )?(?:to|till|of|before) (noon|midnight)\b"),
        lambda m: _minus(int(_hour_of(m[2])) or 24, int(m[1])) if 0 < int(m[1]) < 60 else m[0],
    ),
    (
        re.compile(r"(?<![:.])\b([1-5]?\d) (?:minutes? )?(?:past|after) (noon|midnight)\b"),
        lambda m: f"{_hour_of(m[2])}:{int(m[1]):02d}" if int(m[1]) < 60 else m[0],
    ),
    (
        re.compile(r"(?<![:.])\b(\d{1,2}) (?:minutes? )?(?:past|after) (\d{1,2})(?![\d:/])"),
        lambda m: f"{m[2]}:{int(m[1]):02d}" if int(m[1]) < 60 and 0 < int(m[2]) <= 12 else m[0],
    ),
    (re.compile(r"\b(\d{1,2}) minutes? (?:to|before) (\d{1,2})\b"), lambda m: _minus(int(m[2]), int(m[1]))),
    # "twenty to 5": more than 12 cannot be an hour starting a range, so it counts minutes
    (
        re.compile(r"(?<![:.h])\b(1[3-9]|[2-5]\d) (?:to|till|of) (\d{1,2})(?![\d:])"),
        lambda m: _minus(int(m[2]), int(m[1])) if 0 < int(m[2]) <= 12 else m[0],
    ),
    (re.compile(r"\bhalf (\d{1,2})\b(?! ?(?:h|hours?|an?)\b)"), lambda m: f"{m[1]}:30"),
    (re.compile(r"\b(\d{1,2}) ?(?:h|heures?)? et quart\b"), lambda m: f"{m[1]}:15"),
    (re.compile(r"\b(\d{1,2}) ?(?:h|heures?) (?:et )?(?:3|trois) quarts?\b"), lambda m: f"{m[1]}:45"),
    (re.compile(r"\b(\d{1,2}) ?(?:h|heures?)? et demie?\b"), lambda m: f"{m[1]}:30"),
    (re.compile(r"\b(\d{1,2}) ?(?:h|heures?)? moins (?:le )?quart\b"), lambda m: _minus(int(m[1]), 15)),
    (re.compile(r"\b(\d{1,2}) ?(?:h|heures?) moins (\d{1,2})\b"), lambda m: _minus(int(m[1]), int(m[2]))),
    (
        re.compile(r"\b(\d{1,2}) ?h(?:eures?)? passee? de (\d{1,2}) ?(?:minutes?|min)?\b"),
        lambda m: f"{m[1]}:{int(m[2]):02d}",
    ),
    (
        re.compile(
            r"(?<!apres-)(?<!apres )(?<!avant-)(?<!mid-)\b(?:12 )?(?:midi|noon|midday|mid[- ]day)\b"
            r"(?P<rest> et quart| et demie?| et (?:3|trois) quarts?| moins (?:le )?quart| moins \d{1,2}\b"
            r"| (?:et )?(?:\d{1,2})\b(?! ?(?:h|heures?|:)))?"
        ),
        lambda m: _named_hour(12, m["rest"]),
    ),
    (
        re.compile(
            r"\b(?:12 )?(?:minuit|midnight)\b(?P<rest> et quart| et demie?| moins (?:le )?quart| moins \d{1,2}\b"
            r"| (?:et )?(?:\d{1,2})\b(?! ?(?:h|heures?|:)))?"
        ),
        lambda m: _named_hour(0, m["rest"]),
    ),
]


# A word each pattern above needs, so most messages skip most patterns (the list stays in step: see below).
_WORD_TIME_GATES = (
    ("m",),
    ("at", "around", "about", "@", "vers"),
    ("clock",),
    ("half",),
    ("quarter",),
    ("quarter",),
    ("noon", "midnight"),
    ("noon", "midnight"),
    ("past", "after"),
    ("minute",),
    ("to", "till", "of"),
    ("half",),
    ("quart",),
    ("quart",),
    ("demi",),
    ("quart",),
    ("moins",),
    ("pass",),
    ("midi", "noon", "midday", "mid"),
    ("minuit", "midnight"),
)
assert len(_WORD_TIME_GATES) == len(_WORD_TIMES)
_GATED_WORD_TIMES = tuple(
    (regex, replace, gate) for (regex, replace), gate in zip(_WORD_TIMES, _WORD_TIME_GATES, strict=True)
)


def _minus(hour: int, minutes: int) -> str:
    """Clock text for `minutes` before `hour` ("quarter to 4" -> 3:45, "une heure moins dix" -> 12:50)."""
    if not 0 < minutes < 60:
        return f"{hour}:00"
    if hour == 0:
        return f"23:{60 - minutes:02d}"
    # 12:50 keeps the clinic-hours reading of "1"; a leading-zero 0:50 would read as a 24-hour night time
    return f"{hour - 1 or 12}:{60 - minutes:02d}"


def _hour_of(word: str) -> str:
    """Hour text of a number, "noon" (12) or "midnight" (00, so it reads as a 24-hour time)."""
    return {"noon": "12", "midnight": "00"}.get(word, word)


def _named_hour(hour: int, rest: str | None) -> str:
    """Clock text for noon / midnight with an optional "et quart"/"15" tail (leading zero = 24-hour)."""
    rest = (rest or "").strip()
    if rest == "et quart":
        minute = 15
    elif rest.startswith("et demi"):
        minute = 30
    elif rest.startswith(("et 3", "et trois")):
        minute = 45
    elif rest.startswith("moins"):
        before = 15 if rest.endswith("quart") else int(rest.split()[-1])
        if not 0 < before < 60:
            return f"{hour:02d}:00"
        return f"{(hour - 1) % 24:02d}:{60 - before:02d}"
    else:
        rest = rest.removeprefix("et ")
        minute = int(rest) if rest.isdigit() and int(rest) < 60 else 0
    return f"{hour:02d}:{minute:02d}"


_MERIDIEM = (
    r"(?P<mer>(?P<am>a\.? ?m\b\.?|a\b(?!\s?\d))|(?P<pm>p\.? ?m\b\.?|p\b(?!\s?\d))"
    r"|(?P<mmorn>du matin|de la nuit|in the morning|in the am|this morning|ce matin|le matin|dans la matinee|am\b)"
    r"|(?P<maft>de l'apres[- ]midi|de l'aprem|in the afternoon|in afternoon|this afternoon|cet apres[- ]midi"
    r"|in the pm|pm\b)"
    r"|(?P<meve>du soir|de la soiree|dans la soiree|en soiree|le soir|ce soir|in the evening|this evening"
    r"|tonight|at night|in the night))"
)
_TIME_PREFIX = (
    r"(?:at|@|a|vers|around|about|approx(?:imately)?|environ|for|pour|by|before|avant|after|apres"
    r"|since|from|de|des|between|entre|until|till|til|jusqu'a|d'ici|au plus tard (?:a|pour|vers)|plutot"
    r"|no later than|not later than|autour de|aux alentours de"
    r"|sur les|later than|pas avant|not before|a partir de|try|maybe|peut-etre|disons|say|morning"
    r"|afternoon|evening|night|matin|soir|apres-midi|apres midi|tonight|ce soir|pm|am|or|ou|et|and|to)"
)
_CLOCK = re.compile(
    rf"(?:(?P<pre>\b{_TIME_PREFIX}) )?"
    r"(?<![\d/:#.,])(?P<h>\d{1,2})"
    r"(?:(?P<sep>:|\s?h\s?|\s?heures?\s?(?:et\s)?|\s?hrs?\s?|\s)(?P<m>[0-5]\d)(?:\s?min(?:utes?)?\b)?(?![\d/])"
    r"|(?P<m2>[0-5]\d)(?=\s?(?:ish\s?)?[ap]\.?\s?m)"
    r"|\s?(?P<unit>h\b|heures?\b|hrs?\b|o'?clock\b|oclock\b))?"
    r"(?:\s?ish)?(?:\s?pile)?"
    rf"(?:\s?{_MERIDIEM})?"
)
_CLOCK_EXCLUDE = re.compile(rf"\s?(?:{_UNITS}\b|{_MONTH}|er\b|st\b|nd\b|rd\b|th\b|e\b|/|\.\d)")
_LINK_WORDS = frozenset({"or", "ou", "et", "and", "a", "to"})
_RANGE_AHEAD = re.compile(
    r"\s?(?:-|to|till|until|a|au|jusqu'a)\s?\d{1,2}(?::\d\d)?\s?(?:h\b|heures?|[ap]\.?\s?m|:)"
)
_MONTH_AFTER = re.compile(rf"(?:\s?(?:-|to|au|a|till)\s?\d{{1,2}}{_ORD})?\s{_MONTH}")
_DAY_BEFORE = re.compile(rf"\b(?:le|the|du|au|on|{_alternation(_WEEKDAY_NAMES)})\s$")
_RANGE_WORDS = re.compile(r"^\s*(?:-|to|a|au|till|until|til|jusqu'a)\s*$")
_AFTER_WORDS = frozenset(
    {"after", "apres", "since", "from", "a partir de", "later than", "pas avant", "not before", "des"}
)
_BEFORE_WORDS = frozenset(
    {
        "before",
        "avant",
        "by",
        "until",
        "till",
        "til",
        "jusqu'a",
        "d'ici",
        "au plus tard a",
        "au plus tard pour",
        "au plus tard vers",
        "no later than",
        "not later than",
    }
)
_RANGE_START = frozenset({"between", "entre", "from", "de"})
_PART_PREFIX = {
    "morning": "morning",
    "matin": "morning",
    "am": "morning",
    "afternoon": "afternoon",
    "apres-midi": "afternoon",
    "apres midi": "afternoon",
    "pm": "afternoon",
    "evening": "evening",
    "night": "evening",
    "soir": "evening",
    "tonight": "evening",
    "ce soir": "evening",
}


@dataclass
class _Clock:
    """One clock time mentioned in the text, before am/pm resolution."""

    start: int
    end: int
    hour: int
    minute: int
    marker: str | None  # "am", "pm", "morning", "afternoon", "evening", "24h" or None
    prefix: str | None


def _find_clocks(text: str) -> list[_Clock]:
    """Every plausible clock time, in order."""
    clocks: list[_Clock] = []
    for m in _CLOCK.finditer(text):
        follows = bool(clocks) and m.start() - clocks[-1].end <= 2
        clock = _read_clock(text, m, follows)
        if clock is not None:
            clocks.append(clock)
    return clocks


def _read_clock(text: str, m: re.Match, follows_clock: bool) -> _Clock | None:
    """Validate one clock candidate; bare numbers need a time word around them."""
    hour = int(m["h"])
    minute = int(m["m"] or m["m2"] or 0)
    pre = m["pre"]
    has_minutes = m["m"] is not None or m["m2"] is not None
    bare_space = m["sep"] is not None and m["sep"].strip() == ""
    marker = _marker(m)
    explicit = (has_minutes and not bare_space) or m["unit"] or marker
    if pre in _LINK_WORDS and not explicit and not follows_clock:
        return None
    if (
        not explicit
        and not pre
        and (not _RANGE_AHEAD.match(text, m.end()) or _DAY_BEFORE.search(text, 0, m.start()))
    ):
        return None
    if bare_space and not (pre or marker):
        return None
    if not explicit and (
        _MONTH_AFTER.match(text, m.end()) or (pre not in _PART_PREFIX and _CLOCK_EXCLUDE.match(text, m.end()))
    ):
        return None
    if hour > 24 or (hour == 24 and minute) or minute > 59:
        return None
    if (
        m["unit"]
        and m["unit"].startswith(("heure", "hr", "h"))
        and not (pre == "d'ici" and m["unit"] == "h" and hour >= 7)  # "d'ici 17h" is a deadline
        and _is_duration(text, m.start("h"), m.end())
    ):
        return None
    if (
        not has_minutes
        and not m["unit"]
        and marker in ("morning", "afternoon", "evening")
        and not pre
        and _DAY_BEFORE.search(text, 0, m.start())
    ):
        return None  # "le 15 en soirée": a day of the month, then a part of day
    if m["h"].startswith("0") or hour == 0 or hour >= 13:
        marker = marker or "24h"
    if marker is None and pre in _PART_PREFIX:
        marker = _PART_PREFIX[pre]
    return _Clock(m.start("h"), m.end(), hour % 24, minute, marker, pre)


def _marker(m: re.Match) -> str | None:
    """Which meridiem or part of day follows the number."""
    for name, marker in (
        ("am", "am"),
        ("pm", "pm"),
        ("mmorn", "morning"),
        ("maft", "afternoon"),
        ("meve", "evening"),
    ):
        if m[name]:
            return marker
    return None


_DURATION_AFTER = re.compile(
    r"\s?(?:suivantes?|prochaines?|plus tard|later|from now|ago|de route|of driving)"
)
_DURATION_BEFORE = re.compile(
    r"\b(?:dans|in|within|d'ici|pendant|for|depuis|en|prochaines?|next|last|"
    r"dernieres?|derniers?) (?:about |environ |the next |les )?$"
)


def _is_duration(text: str, start: int, end: int) -> bool:
    """True when "N heures" is a length of time, not a clock time."""
    return bool(_DURATION_BEFORE.search(text[max(0, start - 30) : start]) or _DURATION_AFTER.match(text, end))


def _resolve_hour(clock: _Clock, part_of_day: str | None) -> int:
    """Apply am/pm, the part of day, or the clinic-hours convention to an hour."""
    hour, marker = clock.hour, clock.marker or part_of_day
    if marker == "24h":
        return hour
    if marker == "am":
        return 0 if hour == 12 else hour
    if marker in ("pm", "afternoon"):
        return hour if hour >= 12 else hour + 12
    if marker == "evening":
        return (
            hour
            if hour >= 12 or (hour <= 4 and clock.marker == "evening" and part_of_day != "evening")
            else hour + 12
        )
    if marker == "morning":
        return hour
    return hour + 12 if 1 <= hour <= 6 else hour


def _times(text: str, part_of_day: str | None, when: When) -> list[tuple[int, int]]:
    """Fill time/after/before from the clock times; return their spans for removal."""
    clocks = _find_clocks(text)
    if not clocks:
        return []
    first = clocks[0]
    second = clocks[1] if len(clocks) > 1 else None
    is_range = second is not None and _is_range(text, first, second)
    if (
        is_range
        and first.marker is None
        and second.marker in ("am", "pm", "afternoon", "evening", "morning")
        and (second.hour >= first.hour or second.marker == "am")
    ):
        first.marker = second.marker
    start = dt.time(_resolve_hour(first, part_of_day), first.minute)
    pre = first.prefix
    if is_range:
        when.time = when.after = start
        when.before = dt.time(_resolve_hour(second, part_of_day), second.minute)
    elif pre in _BEFORE_WORDS and _negated(text, first.start - len(pre) - 1):
        when.time = when.after = start  # "I can't come until 4:30": not earlier than
    elif pre in _BEFORE_WORDS:
        when.before = start
    else:
        when.time = start
        if pre in _AFTER_WORDS or _after_phrase(text, first.start):
            when.after = start
    return [(c.start, c.end) for c in clocks]


def _is_range(text: str, first: _Clock, second: _Clock) -> bool:
    """True when two clock times form "from X to Y" / "entre X et Y" / "X - Y"."""
    between = text[first.end : second.start]
    if second.prefix:
        between = between[: -len(second.prefix) - 1] + " " + second.prefix
    words = between.strip()
    if words in ("and", "et"):
        return first.prefix in _RANGE_START
    return _RANGE_WORDS.match(between) is not None


_AFTER_PHRASE = re.compile(
    r"(?:anytime after|any time after|n'importe quand apres|a partir de|apres|after|"
    r"later than|pas avant|not before|sometime after|no earlier than|or later|ou plus tard)"
    r"(?: (?:at|a|@))? $"
)


def _after_phrase(text: str, start: int) -> bool:
    """True when words just before the time mean "not earlier than"."""
    return bool(_AFTER_PHRASE.search(text[max(0, start - 25) : start]))


# --- relative offsets ------------------------------------------------------------------------------
_CLOCK_OFFSET = re.compile(
    r"\b(?:dans|in)\s(?:about |environ |approximately |around |a little over |just )?"
    r"(?P<n>\d+(?:\.\d+)?(?: and an? half)?|an?|une?|1/2|1/4|half an?|a quarter of an?|1 quart d'|un quart d'|a couple of"
    r"|couple of|a pair of|a few|quelques)\s?"
    r"(?:more )?(?P<demi>demi[- ])?(?P<unit>heures?|hours?|hrs?|h|minutes?|mins?|min|secondes?|seconds?|secs?"
    r"|'|\")(?![a-z])(?P<frac> et (?:demie?|quart)| and a (?:half|quarter))?"
    r"|\b(?P<n2>\d+(?: and an? half)?|an?|one) (?P<unit2>hours?|minutes?|seconds?|secs?) from now\b"
)
_DAY_OFFSET = re.compile(
    r"\b(?:(?P<pre>dans les|dans|in|d'ici|within|after|apres)\s(?:about |environ |approximately |around |just )?)?"
    r"(?P<n>\d+|an?|une?|one|couple of|a couple of|quelques)\s"
    r"(?P<unit>jours?|days?|semaines?|sem|weeks?|wks?|fortnights?|quinzaines?|mois|months?|ans?|annees?|years?)\b"
    r"(?P<post> from (?:right )?(?:now|today)| hence| later| plus tard| from tomorrow)?"
)


def _offset_number(raw: str) -> float:
    """Numeric value of the count in a relative expression."""
    raw = raw.strip()
    if raw in ("a", "an", "un", "une", "one"):
        return 1
    if raw in ("1/2", "half an", "half a"):
        return 0.5
    if raw in ("1/4", "a quarter of an", "a quarter of a", "1 quart d'", "un quart d'"):
        return 0.25
    if raw in ("couple of", "a couple of", "a pair of"):
        return 2
    if raw in ("quelques", "a few"):
        return 3
    if raw.endswith("half"):
        return float(raw.split()[0]) + 0.5
    return float(raw)


def _clock_offset(text: str, now: dt.datetime, when: When) -> list[tuple[int, int]]:
    """ "dans 2 heures", "in 15 minutes": a moment counted from now."""
    m = _CLOCK_OFFSET.search(text)
    if m is None:
        return []
    unit = m["unit"] or m["unit2"]
    amount = _offset_number(m["n"] or m["n2"]) * (0.5 if m["demi"] else 1)
    if m["frac"]:
        amount += 0.5 if m["frac"].endswith(("demi", "demie", "half")) else 0.25
    scale = 60 if unit.startswith("h") else 1 / 60 if unit.startswith(("s", '"')) else 1
    minutes = amount * scale
    moment = now + dt.timedelta(minutes=minutes)
    when.date, when.time = moment.date(), dt.time(moment.hour, moment.minute)
    return [m.span()]


_SHIFT_AMOUNT = (
    r"(?P<n>\d+(?:\.\d+)?|an?|une?|one|1/2|half an?|a quarter of an?|un quart d')\s?(?P<demi>demi[- ])?"
    r"(?P<unit>heures?|hours?|hrs?|h|minutes?|mins?|min)(?![a-z])(?P<extra>\d{2})?"
)
_SHIFT_DIRECTION = r"(?P<dir>plus tard|later|plus tot|earlier|sooner|de plus|avant|before)"
_SHIFT_BY_VERB = re.compile(
    r"\b(?P<verb>decaler|decale|decalez|decaller|reporter|reporte|reportez|repousser|repousse|repoussez|retarder"
    r"|retarde|retardez|avancer|avance|avancez|push|pushed|bump|delay|move|moved)\b"
    r"(?:\s(?:le|la|l'|it|ca|mon rdv|mon rendez-vous|my appointment|my appt|back)){0,2}\s(?:de |d'|d |by )?"
    + _SHIFT_AMOUNT
    + rf"(?:\s{_SHIFT_DIRECTION})?"
)
_SHIFT_BY_DIRECTION = re.compile(r"(?<![a-z])" + _SHIFT_AMOUNT + rf"\s{_SHIFT_DIRECTION}\b")
_SHIFT_ALONE = re.compile(
    r"\b(?:(?P<later>plus tard|later)|(?P<earlier>plus tot|earlier|sooner|avancer|avance))\b"
)
_SHIFT_EARLIER = ("plus tot", "earlier", "sooner", "avant", "before")


def _shift(text: str, when: When) -> list[tuple[int, int]]:
    """ "une heure plus tard", "décaler de 30 min", "push it back an hour", "30 minutes earlier", or a bare
    "plus tard" / "earlier": a move counted from an appointment (When.shift). Spans of the amounts read."""
    m = _SHIFT_BY_VERB.search(text) or _SHIFT_BY_DIRECTION.search(text)
    if m is None:
        alone = _SHIFT_ALONE.search(text)
        if alone:
            when.shift = ("later" if alone["later"] else "earlier", None)
        return []
    amount = _offset_number(m["n"]) * (0.5 if m["demi"] else 1)
    minutes = amount * 60 if m["unit"].startswith("h") else amount
    if m["extra"] and m["unit"].startswith("h"):  # "1h30"
        minutes += int(m["extra"])
    verb = m.groupdict().get("verb") or ""
    earlier = m["dir"] in _SHIFT_EARLIER or (verb.startswith("avanc") and m["dir"] is None)
    when.shift = ("earlier" if earlier else "later", int(minutes))
    return [m.span()]


def _day_offset(text: str, today: dt.date) -> tuple[dt.date, tuple[int, int]] | None:
    """ "dans 3 jours", "in two weeks", "3 days from now": a day counted from today."""
    for m in _DAY_OFFSET.finditer(text):
        if m["pre"] is None and m["post"] is None:
            continue
        if m["pre"] in ("d'ici", "within", "dans les"):
            return today, m.span()
        n = _offset_number(m["n"])
        unit = m["unit"]
        if unit.startswith(("j", "d")):
            return today + dt.timedelta(days=n), m.span()
        if unit.startswith(("s", "w")):
            return today + dt.timedelta(weeks=n), m.span()
        if unit.startswith(("f", "q")):
            return today + dt.timedelta(weeks=2 * n), m.span()
        if unit.startswith("m"):
            return _add_months(today, int(n)), m.span()
        return _add_months(today, 12 * int(n)), m.span()
    return None


def _add_months(day: dt.date, months: int) -> dt.date:
    """Same day `months` later, clipped to the month's length."""
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


# --- calendar dates --------------------------------------------------------------------------------
_ISO = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_SLASH = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})(?:/(\d{4}|\d{2}))?(?![\d/])")
_DAY_MONTH = re.compile(
    rf"\b(?P<d>\d{{1,2}}){_ORD}(?: ?(?:au|a|to|-|till|until|through|thru) ?(?:{_WD} )?(?:the )?\d{{1,2}}{_ORD})?"
    rf"(?: day| jour)?(?: of| de| du mois de| d'|-)? ?(?P<mon>{_MONTH})(?:,? (?P<y>\d{{4}}|\d{{2}})\b(?![:h]))?"
)
_MONTH_DAY = re.compile(
    rf"\b(?P<mon>{_MONTH}) ?(?:the )?(?P<d>\d{{1,2}}){_ORD}\b(?![:h]|\s?(?:am|pm|heures?)\b)"
    r"(?:,? (?P<y>\d{4})\b)?"
)
_NEXT_MONTH_DAY = re.compile(
    rf"\b(?:le |the )?(?P<d>\d{{1,2}}){_ORD}(?: day)? (?:of|du|de) (?:the )?(?:next month|mois prochain"
    r"|following month|mois suivant)"
)
_ORDINAL_WORDS = {
    "premier": 1,
    "premiere": 1,
    "first": 1,
    "deuxieme": 2,
    "second": 2,
    "sec": 2,
    "troisieme": 3,
    "third": 3,
    "quatrieme": 4,
    "fourth": 4,
    "cinquieme": 5,
    "fifth": 5,
}
_NTH_WEEKDAY = re.compile(
    rf"\b(?:le |la |the )?(?P<n>\d(?:er|ere|re|st|nd|rd|th|e|eme)|last|dernier|derniere|{_alternation(_ORDINAL_WORDS)})"
    rf"\s(?:{_WD}|(?P<wkend>week-?end|fin de semaine))\s"
    rf"(?:of|de|du|in|en|d')\s?(?:the |la |le |l'|this |ce )?(?:(?P<next>next month|mois prochain|mois suivant)"
    rf"|(?P<this>month|mois)\b(?:-ci)?|(?P<mon>{_MONTH})(?: (?P<y>\d{{4}}))?)"
)
_WEEKDAY_DAY = re.compile(rf"{_WD},? (?:le |the )?(?P<d>\d{{1,2}}){_ORD}\b(?!\s?{_UNITS}(?![a-z]))")
_DAY_ALONE = re.compile(
    rf"\b(?:(?:le|du|au|the|on the|for the|on)\s(?P<a>\d{{1,2}})(?:er|st|nd|rd|th)?"
    rf"|(?P<b>\d{{1,2}})(?:st|nd|rd|th|er))\b(?!\s?(?:{_UNITS}(?![a-z])|e\b|\d|[:/-]))"
)
_LAST_OF_MONTH = re.compile(
    r"\b(?:the |le |la |l')?(?:(?P<k>\d(?:st|nd|rd|th)|sec|second|third|avant|avant-)(?: to)?[ -]?)?"
    rf"(?:last|dernier|derniere) (?P<unit>day|jour|week|semaine) (?:of|du|de|d')\s?(?:the |la |l')?"
    rf"(?:(?P<this>month|mois)\b|(?P<mon>{_MONTH}))"
)
_THIS_MONTH_DAY = re.compile(
    r"\b(?P<d>\d{1,2})(?:st|nd|rd|th|er|e)?(?: day)? (?:of |de |du )?(?:this|the|ce|le) (?:current )?(?:month|mois)\b"
)
_DAY_MONTH_DIGITS = re.compile(r"^(?:le )?(\d{1,2}) (\d{1,2})(?: (\d{4}|\d{2}))?$")


def _year(raw: str | None) -> int | None:
    """Four-digit year from "2014" or "14" (pivot at 50)."""
    if not raw:
        return None
    year = int(raw)
    if year < 100:
        year += 2000 if year < 50 else 1900
    return year


def _future_day_month(day: int, month: int, year: int | None, today: dt.date) -> dt.date | None:
    """A day and month in the stated year, or the next one not before today."""
    try:
        if year is not None:
            return dt.date(year, month, day)
        date = dt.date(today.year, month, day)
        if date < today:
            date = dt.date(today.year + 1, month, day)
        return date
    except ValueError:
        return None


def _future_day_of_month(day: int, today: dt.date, skip_months: int = 0) -> dt.date | None:
    """The next date with this day of the month (this month if not past), optionally months later."""
    if not 1 <= day <= 31:
        return None
    year, month = today.year, today.month
    if skip_months == 0 and day < today.day:
        skip_months = 1
    for step in range(skip_months, skip_months + 12):
        y, m = year + (month - 1 + step) // 12, (month - 1 + step) % 12 + 1
        if day <= calendar.monthrange(y, m)[1]:
            return dt.date(y, m, day)
    return None


def _weekday_index(m: re.Match) -> int:
    """Weekday number (Monday 0) of a matched weekday name or abbreviation."""
    if m["wdfull"]:
        return _WEEKDAY_NAMES[m["wdfull"]]
    return _WEEKDAY_ABBR[m["wdabbr"]]


def _month_index(raw: str) -> int:
    """Month number of a matched month name or abbreviation."""
    return _MONTH_NAMES[raw.rstrip(".")]


def _explicit_date(text: str, today: dt.date) -> tuple[dt.date, tuple[int, int]] | None:
    """Dates with a month: ISO, 3/12, "le 3 mars", "March 3rd", "the 2nd of next month"."""
    m = _ISO.search(text)
    if m:
        date = _safe_date(int(m[1]), int(m[2]), int(m[3]))
        if date:
            return date, m.span()
    m = _NTH_WEEKDAY.search(text)
    if m:
        date = _nth_weekday_date(m, today)
        if date:
            return date, m.span()
    m = _NEXT_MONTH_DAY.search(text)
    if m:
        date = _future_day_of_month(int(m["d"]), today.replace(day=1), skip_months=1)
        if date:
            return date, m.span()
    m = _LAST_OF_MONTH.search(text)
    if m:
        date = _last_of_month(m, today)
        if date:
            return date, m.span()
    m = _THIS_MONTH_DAY.search(text)
    if m:
        date = _future_day_of_month(int(m["d"]), today)
        if date:
            return date, m.span()
    for regex in (_DAY_MONTH, _MONTH_DAY):
        m = regex.search(text)
        if m:
            date = _future_day_month(int(m["d"]), _month_index(m["mon"]), _year(m["y"]), today)
            if date:
                return date, m.span()
    m = _SLASH.search(text)
    if m:
        first, second = int(m[1]), int(m[2])
        day, month = (second, first) if second > 12 >= first else (first, second)
        date = _future_day_month(day, month, _year(m[3]), today) if month <= 12 else None
        if date:
            return date, m.span()
    return None


def _last_of_month(m: re.Match, today: dt.date) -> dt.date | None:
    """ "le dernier jour de février" (its last day), "the last week of March" (its last Monday)."""
    month = today.month if m["this"] else _month_index(m["mon"])
    year = today.year if month >= today.month else today.year + 1
    last = dt.date(year, month, calendar.monthrange(year, month)[1])
    if m["unit"] in ("week", "semaine"):
        last -= dt.timedelta(days=last.weekday())
    elif m["k"]:  # "the 5th last day of May", "second to last day", "l'avant-dernier jour"
        back = 1 if m["k"].startswith(("avant", "sec")) else int(m["k"][0]) - 1
        last -= dt.timedelta(days=back)
    return max(last, today)  # "the last week of December" said on the 30th: what is left of it


def _safe_date(year: int, month: int, day: int) -> dt.date | None:
    """A date, or None when the parts do not make one."""
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _nth_weekday_date(m: re.Match, today: dt.date) -> dt.date | None:
    """ "le deuxième jeudi du mois prochain", "last Friday of June"."""
    raw = m["n"]
    n = -1 if raw.startswith(("last", "dern")) else _ORDINAL_WORDS.get(raw) or int(raw[0])
    weekday = 5 if m["wkend"] else _weekday_index(m)  # a weekend is named by its Saturday
    following = _add_months(today.replace(day=1), 1)
    if m["next"]:
        candidates = [(following.year, following.month)]
    elif m["this"]:  # "le dernier vendredi du mois": this month's, or next month's once it is past
        candidates = [(today.year, today.month), (following.year, following.month)]
    else:
        month = _month_index(m["mon"])
        year = _year(m["y"])
        candidates = [(year, month)] if year else [(today.year, month), (today.year + 1, month)]
    for year, month in candidates:
        try:
            date = nth_weekday(year, month, weekday, n)
        except ValueError:
            return None
        if date.month == month and (m["y"] or date >= today or m["next"]):
            return date
        if m["this"] and date.month == month and (year, month) == (today.year, today.month):
            continue
    return None


_TODAY = re.compile(
    r"\b(?:aujourd'hui|aujourdhui|aujourd hui|auj|ajd|today|tday|2day|ce matin|cet? apres[- ]?midi"
    r"|cette apres[- ]?midi|ce soir|this morning|this afternoon|this evening|today evening"
    r"|tonight|tonite|tantot|later today|plus tard aujourd'hui|en journee)\b"
)
_AFTER_TOMORROW = re.compile(r"\b(?:apres[- ]demain|(?:the )?day after (?:tomorrow|tmrw|tmr)|surlendemain)\b")
_TOMORROW = re.compile(
    r"\b(?:demain|tomorrow|tomorow|tommorow|tommorrow|tmrw|tmr|tomoro|2morrow|2moro|"
    r"demin|dmain|dem1)\b"
)
_ASAP = re.compile(
    r"(?<!not )(?<!pas )\b(?:right now|maintenant|tout de suite|immediatement|asap|a\.s\.a\.p"
    r"|as soon as possible|soonest|des que possible|le plus tot possible|au plus tot"
    r"|au plus vite|le plus vite possible|aussitot que possible|earliest possible"
    r"|first available|premiere disponibilite|le premier disponible|la premiere place"
    r"|earliest available|au plus sacrant|le plus rapidement possible|rapidement)\b"
)
# No preference at all: the earliest opening will do (only when nothing more precise is said).
_ANYTIME = re.compile(
    r"\b(?:n'importe quand|n'importe quel (?:jour|moment)|anytime|any time|any ?day|whenever|when ?ever"
    r"|peu importe(?: (?:quand|le jour|le moment|l'heure|la date))?\W*$|quand (?:vous|tu) (?:voulez|veux|pouvez|peux)"
    r"|(?:it )?doesn'?t matter when|no preference|pas de preference|(?:c'est )?comme (?:vous|tu) (?:voulez|veux))\b"
)
_NOW_ALONE = re.compile(
    r"^\s*(?:now|right now|just now|at the moment|atm|at this (?:time|moment)|currently|maintenant|en ce moment"
    r"|a l'instant|a ce moment-ci)\W*$"
)
_NEXT_WEEK = re.compile(
    r"\b(?:next week|(?:la |de la )?semaine (?:prochaine|suivante|d'apres|qui suit|qui vient)"
    r"|following week|coming week|upcoming week|week after this)\b"
)
_THIS_WEEK = re.compile(
    r"\b(?:this week|cette semaine|current week|dans la semaine(?! du| de)|rest of the week|within the week)\b"
)
_WEEK_AFTER_NEXT = re.compile(r"\b(?P<end>week-?end|week) after next\b")
# "la semaine du 14", "the week of the 21st": the week that holds that day of the month
_WEEK_OF = re.compile(
    r"\b(?:semaine du|semaine de|week of(?: the)?) (?P<d>\d{1,2})(?:st|nd|rd|th|er)?\b(?! ?(?:[:h/]|\d))"
)
_MONTH_SPAN = re.compile(
    r"\b(?:(?P<next>next month|(?:le |du )?mois (?:prochain|suivant|d'apres|qui vient)|following month"
    r"|coming month)|(?P<this>this month|ce mois-ci|ce mois|current month|(?:dans|durant|pendant) le mois)"
    r"|(?P<year>next year|l'an prochain|l'annee prochaine|(?:l')?annee suivante))\b"
)
_WEEKEND = re.compile(
    r"\b(?P<pre>ce |cette |this |the |le |la |en |next |coming )?(?:week-?end|fin de semaine|fds)"
    r"(?P<post> prochaine?| next| suivante?| d'apres)?\b"
)
_WEEK_EDGE = re.compile(
    r"\b(?P<edge>debut|beginning|start|early|milieu|middle|mid|fin|end|late)(?: de la| de| of the| of)?"
    r"(?: around)?"
    r"(?: (?P<which>this|next|coming|current|the following|la|cette|following))? ?"
    r"(?:semaine|week)(?P<post> prochaine| suivante| next)?\b"
)
_WEEKDAY = re.compile(
    rf"\b(?:(?P<pre>ce|cette|this|this coming|coming|next|le|on|this past|last|dernier)\s)?{_WD}"
    r"(?:\s(?P<post>prochaine?|suivante?|d'apres|qui vient|en (?:8|huit|15|quinze)|after next|dernier))?"
)


_NEGATED = re.compile(
    r"(?:\bnot|n't(?! (?:mind|care))|\b(?:cant|dont|wont|cannot)\b(?! (?:mind|care))|\bpas|\bunable to"
    r"|\bimpossible)(?: [\w']+){0,4}"
    r" (?:on |le |for |pour |this |ce |next )?$"
)
_CLAUSE_BREAK = re.compile(r".*(?:[.,;!?]|\bbut\b|\bmais\b|\bsauf\b)")


def _negated(text: str, start: int) -> bool:
    """True when the words just before `start`, in the same clause, refuse it ("I can't go on Thursday")."""
    before = text[max(0, start - 40) : start].rstrip() + " "
    cut = _CLAUSE_BREAK.match(before)
    if cut:
        before = before[cut.end() :]
    if re.search(r"\b(?:until|till|avant|before|jusqu'a)\b", before):
        return False
    return _NEGATED.search(before) is not None


# "anything but Monday", "n'importe quel jour sauf lundi": the day named is the one excluded.
_EXCEPT_BEFORE = re.compile(
    r"\b(?:(?:anything|any day|anytime|any time|whenever|every day|all) but|sauf|except|excepte|other than|autre que"
    r"|hormis|outside of|en dehors de?)\s(?:le |on |the |les |du )?$"
)


# "j'avais réservé pour mardi mais…", "I had booked Tuesday but…": a day told as the past booking, not the wish.
_BOOKED_BEFORE = re.compile(
    r"(?:\b(?:j'avais|j'ai|i had|i'd|i'?ve|had|was|etait|c'etait)\s(?:deja |already |been )?"
    r"(?:reserve|booked|prevu|scheduled|pris (?:un |1 )?(?:rdv|rendez-vous))(?:\s(?:mon rdv|my appointment|it))?"
    r"|\b(?:something came up|something has come up|i have a conflict|(?:j'ai|on a) (?:un |1 |eu un |eu 1 )?(?:empechement"
    r"|imprevu|conflit)))(?:\s(?:pour|for|on|le))?\s?$"
)


# "mercredi ou jeudi", "lundi, mardi ou vendredi", "tuesday or thursday", "demain ou jeudi": days that would all
# do. The first is the date read as usual; the list gives the others.
_NEAR_DAYS = {
    "aujourd'hui": 0,
    "aujourdhui": 0,
    "today": 0,
    "demain": 1,
    "tomorrow": 1,
    "tmrw": 1,
    "tmr": 1,
    "2moro": 1,
    "apres-demain": 2,
    "apres demain": 2,
    "day after tomorrow": 2,
    "the day after tomorrow": 2,
}
_LIST_DAY = rf"(?:{_alternation([*_WEEKDAY_NAMES, *_NEAR_DAYS])})"
_OR_DAYS = re.compile(
    rf"\b{_LIST_DAY}s?"
    rf"(?:\s?(?:,|/|\bou(?: bien)?\b|\bor(?: maybe| else)?\b|,\s?(?:ou|or)\b)\s?(?:le |on |the |sinon )?"
    rf"{_LIST_DAY}s?\b)+"
)
_LATER_WEEK = re.compile(r"\b(?:prochaine?|suivante?|next|following|en (?:8|huit|15|quinze))\b")
_OR_DAY_NAME = re.compile(rf"\b{_LIST_DAY}")


def _other_days(text: str, first: dt.date, today: dt.date) -> tuple[dt.date, ...]:
    """All the days a list joined by "ou" / "or" names (weekdays, "demain", "today"…), soonest first, when
    `first` (the date read) is one of them; none when there is no such list ("pas lundi, mardi" is none). A
    weekday is its next occurrence, in the week of `first` when that is said to be a later one ("lundi ou
    mardi prochain")."""
    m = _OR_DAYS.search(text)
    if (
        m is None
        or _negated(text, m.start())
        or _EXCEPT_BEFORE.search(text, max(0, m.start() - 25), m.start())
    ):
        return ()
    later_week = (first - today).days >= 7 and _LATER_WEEK.search(text, m.start()) is not None
    days = set()
    for name in _OR_DAY_NAME.finditer(m.group()):
        if name.group() in _NEAR_DAYS:
            days.add(today + dt.timedelta(days=_NEAR_DAYS[name.group()]))
            continue
        weekday = _WEEKDAY_NAMES[name.group()]
        day = today + dt.timedelta(days=(weekday - today.weekday()) % 7 or 7)
        while later_week and day < first - dt.timedelta(days=first.weekday()):
            day += dt.timedelta(days=7)
        days.add(day)
    return tuple(sorted(days)) if first in days and len(days) > 1 else ()


def _weekday_date(text: str, today: dt.date) -> tuple[dt.date, tuple[int, int], int] | None:
    """Weekday expressions: "jeudi", "mardi prochain", "Wednesday next week", "lundi en huit"."""
    m = None
    for candidate in _WEEKDAY.finditer(text):
        start = candidate.start()
        if not (
            _negated(text, start)
            or _EXCEPT_BEFORE.search(text, max(0, start - 25), start)
            or _BOOKED_BEFORE.search(text, max(0, start - 40), start)
            or _REFUSED_DAY.match(text, start + (len(candidate["pre"]) + 1 if candidate["pre"] else 0))
        ):
            m = candidate
            break
    if m is None:
        return None
    weekday = _weekday_index(m)
    pre, post = m["pre"], m["post"] or ""
    ahead = (weekday - today.weekday()) % 7
    if pre in ("last", "this past") or post == "dernier":
        return None
    if post.startswith("en "):
        start = today + dt.timedelta(days=7 if post[3:] in ("8", "huit") else 14)
        return start + dt.timedelta(days=(weekday - start.weekday()) % 7), m.span(), weekday
    if post == "after next":
        return today + dt.timedelta(days=ahead + 7), m.span(), weekday
    if pre == "next" or post or _NEXT_WEEK.search(text):
        monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(days=7)
        return monday + dt.timedelta(days=weekday), m.span(), weekday
    if _THIS_WEEK.search(text) and weekday < today.weekday():
        return today + dt.timedelta(days=ahead), m.span(), weekday
    if (
        ahead == 0
        and pre not in ("ce", "cette", "this")
        and not _THIS_WEEK.search(text)
        and not _TODAY.search(text)
    ):
        ahead = 7  # nobody names today's weekday for today: "mardi" said on a Tuesday is next Tuesday
    return today + dt.timedelta(days=ahead), m.span(), weekday


def _week_date(text: str, today: dt.date, when: When) -> dt.date | None:
    """Whole weeks and weekends: "la semaine prochaine", "this weekend", "fin de semaine"."""
    monday = today - dt.timedelta(days=today.weekday())
    m = _WEEK_AFTER_NEXT.search(text)
    if m:  # like "Friday after next": the one after the coming one
        if m["end"] != "week":
            when.span = "weekend"
            return max(monday + dt.timedelta(days=5), today) + dt.timedelta(days=7)
        when.span = "week"
        return monday + dt.timedelta(days=14)
    m = _WEEK_OF.search(text)
    if m:
        day = _future_day_of_month(int(m["d"]), today)
        if day:
            when.span = "week"
            return max(today, day - dt.timedelta(days=day.weekday()))
    m = _WEEKEND.search(text)
    if m:
        when.span = "weekend"
        saturday = monday + dt.timedelta(days=5)
        if m["post"] or (m["pre"] or "").strip() == "next":
            return saturday + dt.timedelta(days=7)
        return max(saturday, today)
    m = _WEEK_EDGE.search(text)
    if m:
        later = bool(m["post"]) or (m["which"] or "") in ("next", "coming", "the following", "following")
        offset = {"debut": 0, "beginning": 0, "start": 0, "early": 0, "milieu": 2, "middle": 2, "mid": 2}.get(
            m["edge"], 4
        )
        date = monday + dt.timedelta(days=offset + (7 if later else 0))
        return date if date >= today else date + dt.timedelta(days=7)
    if _NEXT_WEEK.search(text):
        when.span = "week"
        return monday + dt.timedelta(days=7)
    if _THIS_WEEK.search(text):
        when.span = "week"
        return today
    return _month_span(text, today, when)


def _month_span(text: str, today: dt.date, when: When) -> dt.date | None:
    """ "le mois prochain" (its 1st), "this month" (today), "next year" (January 1st), as spans."""
    m = _MONTH_SPAN.search(text)
    if m is None:
        return None
    if m["year"]:
        when.span = "year"
        return dt.date(today.year + 1, 1, 1)
    when.span = "month"
    return _add_months(today.replace(day=1), 1) if m["next"] else today


_MONTH_EDGE = re.compile(
    rf"\b(?P<edge>debut|beginning of|start of|early|au debut|mi|mid|middle of|milieu|fin|end of|late"
    r"|(?:la )?(?:premiere|1re|1ere) quinzaine|(?:la )?(?:deuxieme|seconde|2e|2eme|derniere) quinzaine"
    r"|(?:the )?first half of|(?:the )?(?:second|sec|latter) half of)"
    r"(?: du mois)?(?: de| d'|-| of| du)?(?: the| ce| this| le)? ?(?:mois d')?"
    rf"(?:(?P<mon>{_MONTH})|(?P<pre>next |following |coming )?(?P<this>mois|month)\b(?:-ci)?"
    r"(?P<post> prochain| suivant| d'apres)?)"
)
_EDGE_DAY = {
    "debut": 1,
    "beginning of": 1,
    "start of": 1,
    "early": 1,
    "au debut": 1,
    "mi": 10,
    "mid": 11,
    "middle of": 11,
    "milieu": 10,
    "fin": 21,
    "end of": 21,
    "late": 21,
}
_SEASON = re.compile(
    r"\b(?:(?:this|current|cet|cette|l')\s?)?(?P<s>summer|ete|winter|hiver|spring|printemps|fall"
    r"|autumn|automne)\b"
)
_SEASON_START = {
    "spring": (3, 20),
    "printemps": (3, 20),
    "summer": (6, 21),
    "ete": (6, 21),
    "fall": (9, 23),
    "autumn": (9, 23),
    "automne": (9, 23),
    "winter": (12, 21),
    "hiver": (12, 21),
}
_NTH_WEEKDAY_AHEAD = re.compile(rf"\b(?P<n>\d) {_WD} from (?:now|today)")
_NEXT_SPAN = re.compile(
    r"\b(?:(?:the )?(?:next|last|past) \d+ (?P<en>seconds?|minutes?|hours?|days?|weeks?)"
    r"|\d+ (?:prochaine?s|suivante?s|dernieres|derniers) (?P<fr>secondes|minutes|heures|jours|semaines)"
    r"|\d+ (?P<fr2>secondes|minutes|heures|jours|semaines) (?:prochaine?s|suivante?s))\b"
    r"|\bby (?:the )?(?:end of|eod|eom|eow|close of)|\bd'ici (?:la fin|ce soir|demain)"
)


def _edge_day(edge: str) -> int:
    """First day of the named part of a month."""
    if "quinzaine" in edge or "half" in edge:
        return 1 if edge.startswith(("first", "the first", "premi", "la premi", "1", "la 1")) else 16
    return _EDGE_DAY[edge]


def _month_edge(text: str, today: dt.date) -> dt.date | None:
    """ "début avril" (1st), "mi-mars" (10th), "mid March" (11th), "fin mai" (21st): where that part begins."""
    m = _MONTH_EDGE.search(text)
    if m is None:
        return None
    day = _edge_day(m["edge"])
    if m["this"] and (m["pre"] or m["post"]):
        return _add_months(today.replace(day=1), 1).replace(day=day)
    if m["this"]:
        if today.day >= day + 10 and day < 21:  # "au début du mois" said on the 25th: next month's
            return _add_months(today.replace(day=1), 1).replace(day=day)
        return max(today, today.replace(day=day))
    return _future_day_month(day, _month_index(m["mon"]), None, today)


def _season(text: str, today: dt.date) -> dt.date | None:
    """First day of the named season (today when already in it)."""
    m = _SEASON.search(text)
    if m is None:
        return None
    month, day = _SEASON_START[m["s"]]
    start = dt.date(today.year, month, day)
    if start <= today < start + dt.timedelta(days=91):
        return today
    return start if start > today else dt.date(today.year + 1, month, day)


def _next_span(text: str, today: dt.date) -> dt.date | None:
    """ "the next 3 days" starts tomorrow, "next 3 weeks" next Monday, shorter spans today."""
    m = _NEXT_SPAN.search(text)
    if m is None:
        return None
    unit = m["en"] or m["fr"] or m["fr2"]
    past = m[0].startswith(("last", "past")) or "dern" in m[0]
    if unit is None or past:
        return today
    if unit.startswith(("d", "j")):
        return today + dt.timedelta(days=1)
    if unit.startswith(("w", "semaine")):
        return today - dt.timedelta(days=today.weekday()) + dt.timedelta(days=7)
    return today


def _dates(text: str, today: dt.date, when: When) -> None:
    """Fill when.date from the strongest date expression in text."""
    if (
        "lendemain" in text
        or "veille" in text
        or " after " in text
        or "day before" in text
        or " from " in text
    ):
        shifted = _shifted_date(text, today)
        if shifted:
            when.date = shifted
            return
    found = _explicit_date(text, today)
    if found:
        when.date = found[0]
        return
    weekday = _weekday_date(text, today)
    m = _WEEKDAY_DAY.search(text)
    if m:
        date = _weekday_with_day(_weekday_index(m), int(m["d"]), today)
        if date:
            when.date = date
            return
    m = _NTH_WEEKDAY_AHEAD.search(text)
    if m:
        ahead = (_weekday_index(m) - today.weekday()) % 7 or 7
        when.date = today + dt.timedelta(days=ahead + 7 * (int(m["n"]) - 1))
        return
    holiday = find_holiday(text, today)
    if holiday:
        when.date = holiday[0]
        return
    offset = _day_offset(text, today)
    if offset:
        when.date = offset[0]
        return
    if _AFTER_TOMORROW.search(text):
        when.date = today + dt.timedelta(days=2)
    elif _TOMORROW.search(text):
        when.date = today + dt.timedelta(days=1)
    elif weekday:
        when.date = weekday[0]
    else:
        when.date = _vaguer_date(text, today, when)


_SHIFTED_DAY = re.compile(
    r"\b(?:(?P<next>(?:le )?lendemain (?:du |de |d')|the (?:next )?day after (?!tomorrow|tmrw|tmr|today|next\b))"
    r"|(?P<prev>(?:la )?veille (?:du |de |d')|the day before (?!yesterday|today))"
    r"|(?<!for )(?<!pendant )(?<!during )(?P<n>\d+|an?|one|une?) (?P<unit>days?|weeks?|jours?|semaines?)"
    r" (?:from|after|apres) (?:le |the )?"
    r"(?!now|today|right now|aujourd|maintenant))"
)


def _shifted_date(text: str, today: dt.date) -> dt.date | None:
    """ "le lendemain du 3 mars", "the day before Easter", "a week from Monday": counted from another date;
    "for 10 days from the 18th" is a stay that starts on the 18th."""
    m = _SHIFTED_DAY.search(text)
    if m is None:
        return None
    holiday = find_holiday(text[m.start() :], today)
    if holiday and holiday[1][0] == 0:  # a named day of its own ("lendemain de Noël")
        return None
    inner = When()
    _dates(text[m.end() :], today, inner)
    if inner.date is None:
        return None
    if m["unit"]:
        days = _offset_number(m["n"]) * (7 if m["unit"].startswith(("w", "s")) else 1)
        return inner.date + dt.timedelta(days=days)
    return inner.date + dt.timedelta(days=1 if m["next"] else -1)


def _vaguer_date(text: str, today: dt.date, when: When) -> dt.date | None:
    """Dates named loosely: spans, parts of a month, seasons, today, weeks, a bare day of the month."""
    for reader in (_next_span, _month_edge, _season):
        date = reader(text, today)
        if date:
            return date
    if _TODAY.search(text):
        return today
    return _week_date(text, today, when) or _day_alone(text, today)


def _weekday_with_day(weekday: int, day: int, today: dt.date) -> dt.date | None:
    """ "jeudi 15": the next 15th that falls on a Thursday (at most a year ahead)."""
    for skip in range(13):
        date = _future_day_of_month(day, today, skip_months=skip)
        if date is None:
            return None
        if date.weekday() == weekday and date >= today:
            return date
    return None


def _day_alone(text: str, today: dt.date) -> dt.date | None:
    """ "le 3", "the 9th", "on the 5th" (this month, or next month when past)."""
    m = _DAY_MONTH_DIGITS.match(text.strip(" .!?"))
    if m and int(m[2]) <= 12:
        date = _future_day_month(int(m[1]), int(m[2]), _year(m[3]), today)
        if date:
            return date
    m = _DAY_ALONE.search(text)
    if m:
        return _future_day_of_month(int(m["a"] or m["b"]), today)
    return None


_AFTER_LUNCH = re.compile(r"\b(?:after lunch|apres (?:le |mon )?(?:diner|lunch|dinner)|apres-diner)\b")
# Québec "déjeuner" is breakfast: "après (le) déjeuner" is mid-morning.
_AFTER_BREAKFAST = re.compile(
    r"\b(?:after breakfast|apres (?:le |mon |ton |votre )?dejeuner|apres-dejeuner)\b"
)
# Late or early in a part of day: a bound inside it ("en fin d'après-midi" = from 15:00).
_PART_EDGE = re.compile(
    r"\b(?:(?P<late>late |fin d'|fin de (?:l'|la )?)|(?P<early>early |debut d'|debut de (?:l'|la )?|tot (?:le |en |dans l')?))"
    r"(?P<part>apres[- ]?midi|afternoon|matinee|matin|morning|soiree|evening)\b"
)
_EDGE_BOUND = {
    ("late", "morning"): ("after", dt.time(10, 0)),
    ("late", "afternoon"): ("after", dt.time(15, 0)),
    ("late", "evening"): ("after", dt.time(19, 0)),
    ("early", "morning"): ("before", dt.time(9, 0)),
    ("early", "afternoon"): ("before", dt.time(14, 0)),
    ("early", "evening"): ("before", dt.time(18, 0)),
}


def _part_of_day(text: str, when: When) -> None:
    """Fill part_of_day (first one named) and the end-of-day / after-lunch lower bounds."""
    if _AFTER_LUNCH.search(text):
        when.part_of_day, when.after = "afternoon", dt.time(13, 0)
        return
    if _AFTER_BREAKFAST.search(text):
        when.part_of_day = "morning"
        return
    ruled_out_ends = _ruled_out_ends(text)
    ruled_out = set()
    m = None
    for found in _PART_OF_DAY.finditer(text):
        if found.end() in ruled_out_ends or found.end() + 1 in ruled_out_ends:  # "mornings"
            ruled_out.add(found.lastgroup)
            continue
        m = found
        break
    if m:
        when.part_of_day = m.lastgroup
        if _END_OF_DAY.search(text) and when.after is None:
            # "en fin de journée": from 16 h, the last slots of a clinic that closes at 17 h included
            when.after = dt.time(16, 0)
            if _END_OF_DAY.match(text, m.start()):
                when.part_of_day = None
    elif ruled_out:
        if ruled_out == {"morning", "evening"}:
            when.part_of_day = "afternoon"
        bound = _LEFT_WHEN_RULED_OUT.get(frozenset(ruled_out))
        if bound and getattr(when, bound[0]) is None:
            setattr(when, bound[0], bound[1])
        return
    m = _PART_EDGE.search(text)
    if m and when.part_of_day:
        bound = _EDGE_BOUND.get(("late" if m["late"] else "early", when.part_of_day))
        if bound and getattr(when, bound[0]) is None:
            setattr(when, bound[0], bound[1])


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    """Replace spans by spaces so later patterns cannot reuse their digits."""
    if not spans:
        return text
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def find_when(text: str, now: dt.datetime) -> When:
    """Read date, time, part of day and bounds from folded, digitized text."""
    when = When()
    text = _blank(text, _clock_offset(text, now, when))  # before "1 heure et demie" can become 1:30
    text = _blank(text, _shift(text, when))  # "décaler d'une heure" is no 1 o'clock
    for regex, replace, gate in _GATED_WORD_TIMES:
        if any(word in text for word in gate):
            text = regex.sub(replace, text)
    _part_of_day(text, when)
    spans = _times(text, when.part_of_day, when)
    rest = _blank(text, spans)
    when.not_before, when.not_after, limit_spans = day_limits(rest, now.date())
    rest = _blank(rest, limit_spans)
    if _ASAP.search(rest) or _NOW_ALONE.match(rest):
        when.asap = True
    if when.date is None:
        _dates(rest, now.date(), when)
        if when.date is not None and when.span is None:
            days = _other_days(rest, when.date, now.date())
            if days:  # the soonest is the date, the others would do as well
                when.date, when.also = days[0], days[1:]
    if not (when.date or when.time or when.after or when.part_of_day):
        when.same = _same_as_booked(rest)
    if when.not_before and (when.date is None or when.date < when.not_before):
        when.date, when.span = when.not_before, None  # the first day allowed: a date always inside the limits
    if not (
        when.asap or when.date or when.time or when.part_of_day or when.after or when.before
    ) and _ANYTIME.search(rest):
        when.asap = True
    if when.date is None and when.asap:
        when.date = now.date()
    return when


_SAME = (
    (
        "after",
        re.compile(
            r"\b(?:juste|tout de suite|right|just|immediately|directly|straight) (?:apres|after)\b"
            r"(?!\s*(?:\d|le |la |les |the |midi|noon|demain|tomorrow|\w+day\b|\w+di\b))"
        ),
    ),
    (
        "time",
        re.compile(
            r"\b(?:a la meme heure|en meme temps|same time|at the same time|pareil pour|la meme chose pour"
            r"|same (?:thing )?for|same again for|meme chose pour|idem pour|itou pour)\b"
        ),
    ),
    ("day", re.compile(r"\b(?:(?:le )?meme jour|(?:la )?meme journee|(?:the |that )?same day)\b")),
)


def _same_as_booked(text: str) -> str | None:
    """ "le même jour", "à la même heure", "juste après", "same for my son": said of an appointment just booked."""
    for kind, regex in _SAME:
        if regex.search(text):
            return kind
    return None


# --- day limits and the day of an appointment to move ------------------------------------------------------
# A date expression starts with one of these words; limit and old-day fragments must begin with one, so
# "after I get paid on the 1st" is no limit.
_DATE_START = re.compile(
    rf"\s*(?:(?:le|la|l'|les|the|on|ce|cette|cet|this|next|coming|du|au|mon|my|prochaine?)\s)*"
    rf"(?:\d|{_alternation(_WEEKDAY_NAMES)}|{_alternation(_WEEKDAY_ABBR)}\b|{_MONTH}"
    r"|demain|apres-demain|tomorrow|tmrw|tmr|2moro|today|aujourd|auj|semaine|week|fin|end|debut|beginning|mi\b|mid"
    r"|noel|christmas|paques|easter|jour de l'an|new year|st-jean|saint-jean|fete|premier|first|lendemain)"
)
_DAY_LIMIT = re.compile(
    r"(?<![a-z'-])(?:(?P<between>entre|between)|(?P<from>pas avant|not before|no earlier than|not earlier than|pas plus tot que|a partir d'"
    r"|a partir de|a partir(?= du\b)|a compter de|a compter d'|a compter(?= du\b)|au plus tot|no sooner than|not sooner than|at the earliest"
    r"|starting(?: from| on)?|beginning(?: on)?|commencant|from|des(?= le\b| \d"
    rf"| (?:{_alternation(_WEEKDAY_NAMES)}|demain)\b))"
    r"|(?P<after>(?:apres|after|later than|plus tard que)(?! (?:demain|tomorrow|next\b)))"
    r"|(?P<until>au plus tard(?: (?:pour|a|au))?|no later than|not later than|by|d'ici|jusqu'(?:a|au)|until|till"
    r"|til|up to|through|thru)"
    r"|(?P<before>(?<!le )(?<!l')(?<!la )(?<!the )(?:avant|before|earlier than|plus tot que|prior to)))\s"
)
_COUNTED_BEFORE = re.compile(
    rf"(?<!any )(?<!some )(?<!quel )\b(?:days?|weeks?|months?|years?|jours?|semaines?|mois|ans?|annees?"
    rf"|{_alternation(_WEEKDAY_NAMES)}) $"
)
_DU_RANGE = re.compile(r"(?<![a-z'])(?=du\s)")
_EARLIEST_AFTER = re.compile(r"\s?,?\s(?:au plus tot|at the earliest|at earliest|minimum)\b")
_LATEST = re.compile(
    r"\s?,?\s(?:au plus tard|at the (?:very )?latest|at latest|grand max(?:imum)?|max(?:imum)?)\b"
)
_FRAGMENT_END = re.compile(
    r"[,.;!?]|\s(?:mais|but|et|and|ou|or|pour|for|sauf|except|plutot|instead|to|a|au)\s"
)
_SPAN_DAYS = {"week": 7, "weekend": 2, "month": None, "year": None}


def _day_in(fragment: str, today: dt.date) -> tuple[dt.date, str | None] | None:
    """The day a fragment starting with a date expression names, with its span ("week", …), if any."""
    if not _DATE_START.match(fragment):
        return None
    inner = When()
    _dates(fragment, today, inner)
    return (inner.date, inner.span) if inner.date else None


def _fragment(text: str, start: int, limit: int = 40) -> str:
    """Text from start to the end of its clause (at most `limit` characters)."""
    piece = text[start : start + limit]
    cut = _FRAGMENT_END.search(piece)
    return piece[: cut.start()] if cut else piece


def _span_end(day: dt.date, span: str | None) -> dt.date:
    """Last day of the span that starts on day (the day itself when no span)."""
    if span == "week":
        return day + dt.timedelta(days=6 - day.weekday())
    if span == "weekend":
        return day + dt.timedelta(days=6 - day.weekday())
    if span == "month":
        return day.replace(day=calendar.monthrange(day.year, day.month)[1])
    if span == "year":
        return dt.date(day.year, 12, 31)
    return day


def day_limits(text: str, today: dt.date) -> tuple[dt.date | None, dt.date | None, list[tuple[int, int]]]:
    """Day limits, inclusive: "pas avant le 15" (from the 15th), "après jeudi" (from Friday), "au plus tard
    vendredi" / "by Friday" (until Friday), "avant le 20" (until the 19th), "du 13 au 15" (both).

    Also returns the spans the date reader must no longer see: those of lower limits and of "avant"/"before"
    (the day named there is outside the limit); a day named as an inclusive upper limit stays readable.
    """
    not_before = not_after = None
    spans: list[tuple[int, int]] = []
    for m in _DAY_LIMIT.finditer(text):
        if _COUNTED_BEFORE.search(text, max(0, m.start() - 12), m.start()):
            continue  # "a week from Friday", "the day before the 20th": a date counted from another
        piece = _fragment(text, m.end())
        found = _day_in(piece, today) if piece[:1] not in (" ", "") else None
        if found is None:
            continue  # "after 3 tomorrow": the time was read and blanked, so this bound is a time's
        day, span = found
        kind = m.lastgroup
        if kind in ("from", "between"):
            end = _range_end(text, m.end() + len(piece), day, kind == "between")
            if end is not None:
                day = _day_in(text[m.end() : end[1]], today)[0]  # "13 to 15 July": the month comes last
                not_before, not_after = day, max(day, _span_end(*end[0]))
                spans.append((m.start(), end[1]))
                continue
            if kind == "between":
                continue
            not_before = day
        elif kind == "after":
            not_before = _span_end(day, span) + dt.timedelta(days=1)
        elif kind == "until":
            not_after = _span_end(day, span)
            continue
        else:
            not_after = day - dt.timedelta(days=1)
        spans.append((m.start(), m.end() + len(piece)))
    for m in _LATEST.finditer(text):
        if _day_in(_fragment(text, m.end() + 1), today) is not None:
            continue  # "… et au plus tard le 20": a prefix, read above
        clause = text[max(0, m.start() - 30) : m.start()]
        cut = max(clause.rfind(","), clause.rfind("."), clause.rfind(";"))
        found = _last_day_in(clause[cut + 1 :], today)
        if found is not None:
            not_after = _span_end(*found)
    if "du " in text:
        for m in _DU_RANGE.finditer(text):  # "du 10 au 15 décembre", "du lundi au mercredi"
            piece = _fragment(text, m.start())
            found = _day_in(piece, today)
            end = _range_end(text, m.start() + len(piece), found[0], False) if found else None
            if end is not None:
                not_before = _day_in(text[m.start() : end[1]], today)[0]
                not_after = max(not_before, _span_end(*end[0]))
                spans.append((m.start(), end[1]))
    for m in _EARLIEST_AFTER.finditer(text):
        if _day_in(_fragment(text, m.end() + 1), today) is not None:
            continue  # "au plus tôt mardi": a prefix, read above
        clause = text[max(0, m.start() - 30) : m.start()]
        cut = max(clause.rfind(","), clause.rfind("."), clause.rfind(";"))
        found = _last_day_in(clause[cut + 1 :], today)
        if found is not None:
            not_before = found[0]
            spans.append((m.start(), m.end()))  # the words only: "au plus tôt" is no hurry here
    if not_before and not_after and not_after < not_before:
        not_after = None  # "après jeudi mais avant mercredi" said on a Friday: keep the lower bound only
    return not_before, not_after, spans


_RANGE_CONTINUES = re.compile(r"\s?-\s?|\s(?:to|au|a|till|until|through|thru|jusqu'au|jusqu'a)\s")
_BETWEEN_CONTINUES = re.compile(r"\s?-\s?|\s(?:and|et|to|au|a)\s")


def _range_end(
    text: str, at: int, start: dt.date, between: bool
) -> tuple[tuple[dt.date, str | None], int] | None:
    """The day ending a range whose first day (`start`) ends at `at` ("du lundi au mercredi"), and where."""
    m = (_BETWEEN_CONTINUES if between else _RANGE_CONTINUES).match(text, at)
    if m is None:
        return None
    piece = _fragment(text, m.end())
    found = _day_in(piece, start)  # the end comes after the start: "entre mardi et jeudi" said on a Wednesday
    return (found, m.end() + len(piece)) if found else None


_WORD_START = re.compile(r"(?:^|(?<=\s))\S")


def _names_a_day(clause: str, today: dt.date) -> bool:
    """True when a date expression starts at some word of clause."""
    return any(_day_in(clause[w.start() :], today) for w in _WORD_START.finditer(clause))


def _last_day_in(clause: str, today: dt.date) -> tuple[dt.date, str | None] | None:
    """The date expression that ends a short clause ("… le 15" in "pas avant le 10, le 15")."""
    for w in reversed(list(_WORD_START.finditer(clause))):
        found = _day_in(clause[w.start() :], today)
        if found is not None:
            return found
    return None


# Words that make the day after them the appointment's present day, not the wished one.
_OLD_MARKER = re.compile(
    r"\b(?:(?:(?:mon|ma|notre|my|our|the current|le present) (?:current |present |actuel |prochain |next )?"
    r"(?:rdv|rendez-vous|rendez vous|rv|appointment|appt|booking|reservation|consultation|visit)|celui|celle"
    r"|the one)\s(?:de|du|d'|of|on|prevu (?:pour |le )?|scheduled (?:for |on )?|booked (?:for |on )?"
    r"|that'?s (?:on |for )?|qui est (?:prevu )?(?:le |pour )?|que j'ai (?:le |pour )?)"
    r"|au lieu d[eu]|au lieu de|instead of|plutot que|rather than|(?<![a-z])(?:from|de|du)(?=\s[^,.;!?]{1,30}\s(?:to|a|au"
    r"|pour|for|until)\s))\s?"
)
_OLD_MARKER_FOR = re.compile(
    r"\b(?:mon|ma|notre|my|our) (?:rdv|rendez-vous|rendez vous|rv|appointment|appt|booking|reservation|consultation"
    r"|visit)\s(?:pour|for)\s"
)
_MY_DAY_APPOINTMENT = re.compile(
    rf"\b(?:my|the|our)\s(?P<day>(?:{_alternation(_WEEKDAY_NAMES)}|tomorrow|today)(?:'s)?)\s"
    r"(?:appointment|appt|booking|visit)"
)
_REFUSAL = (
    r"je (?:ne )?(?:peux|pourrai|pourrais|serai) (?:pas|plus|pu)|j'peux pas|ca (?:ne )?(?:marche|va|fonctionne)"
    r" (?:pas|plus|pu)|(?:that|it)(?:'s| is)? (?:doesn'?t|does not|won'?t|will not|isn'?t|is not)"
    r" (?:work|possible|good)|(?:doesn'?t|won'?t|does not|will not) (?:work|suit)|i can'?t|i cannot|is no good"
    r"|c'est (?:pas|plus|pu) possible|(?:ne )?(?:me|nous) (?:convient|va|adonne) (?:pas|plus|pu)"
    r"|(?:ne )?(?:marche|fonctionne|fait) (?:pas|plus|pu)|is (?:bad|out|not good)|is a no"
)
# "Friday doesn't work", "mardi me convient pas": the day named is refused.
_REFUSED_DAY = re.compile(
    rf"\b(?:{_alternation(_WEEKDAY_NAMES)}|demain|tomorrow|today|aujourd'hui)\b(?=,?\s(?:{_REFUSAL}))"
)
_REFUSAL_TAIL = re.compile(rf",?\s(?:{_REFUSAL})")
_DAY_NAME = re.compile(
    rf"\b(?:{_alternation(_WEEKDAY_NAMES)}|demain|tomorrow|tmrw|today|aujourd'hui|le \d|the \d|\d{{1,2}}"
    rf"(?:st|nd|rd|th|er|e)?\s{_MONTH})"
)


_CANNOT = re.compile(
    r"\b(?:came up|come up|empechement|imprevu|conflit|conflict|pourrai|pourrais|pourra|pouvoir|peux|peut|serai|serais|viendrai|viens|vais|arriverai|sera|can'?t|cannot|won'?t"
    r"|couldn'?t|unable to|not be able to|not able to|able to make it|make it)\b"
)


_REFUSED_DAY_HINT = re.compile(r"\b(?:pas|plus|pu|not|no good)\b|n't\b")
_CANNOT_NEGATION = re.compile(r"\b(?:pas|plus|pu|not|cannot|unable|cant|wont)\b|n't\b")


def _cannot_come(text: str, start: int) -> bool:
    """True when the clause before `start` says the patient cannot come then ("je pourrai pas jeudi",
    "I can't make it Thursday", "something came up on Wednesday"); a bare "pas lundi, mardi" only refuses
    a wish."""
    before = text[max(0, start - 45) : start]
    cut = _CLAUSE_BREAK.match(before)
    clause = before[cut.end() :] if cut else before
    if _BOOKED_BEFORE.search(clause) and _CONFLICT.search(clause):
        return True
    return _CANNOT_NEGATION.search(clause) is not None and _CANNOT.search(clause) is not None


_CONFLICT = re.compile(r"\b(?:came up|come up|empechement|imprevu|conflit|conflict)\b")


def old_day(text: str, today: dt.date) -> tuple[dt.date | None, list[tuple[int, int]]]:
    """The day of the appointment a change moves away from: "je pourrai pas jeudi", "mon rdv de jeudi",
    "from Thursday to Monday", "my Thursday appointment", "au lieu de jeudi"; and the spans that name it."""
    for m in _OLD_MARKER.finditer(text):
        piece = _fragment(text, m.end(), 30)
        found = _day_in(piece, today)
        if found is not None:
            return found[0], [(m.start(), m.end() + len(piece))]
    m = _MY_DAY_APPOINTMENT.search(text)
    if m:
        found = _day_in(m["day"].replace("'s", ""), today)
        if found is not None:
            return found[0], [m.span("day")]
    for m in _OLD_MARKER_FOR.finditer(text):
        # "mon rdv pour jeudi, je peux le changer pour lundi?": "pour" names the old day only when a new one follows
        piece = _fragment(text, m.end(), 30)
        found = _day_in(piece, today)
        after = m.end() + len(piece)
        if found is not None and _names_a_day(text[after : after + 60], today):
            return found[0], [(m.start(), after)]
    return day_not_coming(text, today)


def day_not_coming(text: str, today: dt.date) -> tuple[dt.date | None, list[tuple[int, int]]]:
    """The day the patient says they cannot come ("je pourrai pas jeudi", "Friday doesn't work"), if any."""
    if not _CANNOT.search(text) and not _REFUSED_DAY_HINT.search(text):
        return None, []
    for m in _DAY_NAME.finditer(text):
        if _cannot_come(text, m.start()) or _REFUSED_DAY.match(text, m.start()):
            piece = _fragment(text, m.start(), 30)
            tail = _REFUSAL_TAIL.search(piece)
            piece = piece[: tail.start()] if tail else piece  # the day alone, without its refusal
            found = _day_in(piece, today)
            if found is not None:
                return found[0], [(m.start(), m.start() + len(piece))]
    return None, []
