"""Text folding shared by every recogniser: case, accents, apostrophes, typos and spelled numbers."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from text_to_num import alpha2digit

_QUOTES = str.maketrans(
    {
        "\u2019": "'",
        "\u2018": "'",
        "`": "'",
        "\u00b4": "'",
        "\u02bc": "'",
        "\u00a0": " ",
        "\u202f": " ",
        "\u2013": "-",
        "\u2014": "-",
        "\u0153": "oe",
    }
)
_SPACES = re.compile(r"\s+")
_WORD = re.compile(r"[a-z0-9]+")

# Keywords whose misspellings we repair (one edit away), mapped to the form the recognisers expect.
_TYPO_TARGETS = {
    "appointment": "appointment",
    "appointments": "appointments",
    "rendezvous": "rendezvous",
    "annuler": "annuler",
    "annulation": "annulation",
    "cancel": "cancel",
    "reschedule": "reschedule",
    "rescheduling": "rescheduling",
    "deplacer": "deplacer",
    "position": "position",
    "receptionniste": "receptionniste",
    "receptionist": "receptionist",
    "operator": "operator",
    "operateur": "operateur",
    "english": "english",
    "anglais": "anglais",
    "francais": "francais",
    "tomorrow": "tomorrow",
    "aujourdhui": "aujourdhui",
    "apres-demain": "apres-demain",
    "afternoon": "afternoon",
    "evening": "evening",
    "morning": "morning",
    "monday": "monday",
    "tuesday": "tuesday",
    "wednesday": "wednesday",
    "thursday": "thursday",
    "friday": "friday",
    "saturday": "saturday",
    "sunday": "sunday",
    "mercredi": "mercredi",
    "vendredi": "vendredi",
    "samedi": "samedi",
    "dimanche": "dimanche",
    "janvier": "janvier",
    "fevrier": "fevrier",
    "juillet": "juillet",
    "septembre": "septembre",
    "octobre": "octobre",
    "novembre": "novembre",
    "decembre": "decembre",
    "january": "january",
    "february": "february",
    "august": "august",
    "september": "september",
    "october": "october",
    "november": "november",
    "december": "december",
    "prochain": "prochain",
    "prochaine": "prochaine",
    "medecin": "medecin",
    "docteur": "docteur",
    "doctor": "doctor",
    "disponible": "disponible",
    "available": "available",
    "schedule": "schedule",
}
# Real words one edit away from a keyword; never "repair" them.
_TYPO_EXCEPTIONS = frozenset(
    {
        "cancer",
        "cancels",
        "canceled",
        "camel",
        "position",
        "positions",
        "morningside",
        "evenings",
        "mornings",
        "doctors",
        "english",
        "doctor's",
        "schedules",
        "scheduled",
    }
)


def word_regex(pattern: str) -> re.Pattern:
    """Compile a pattern whose matches all begin a word; the guard lets the engine skip mid-word positions fast."""
    return re.compile(rf"(?<![a-z0-9])(?:{pattern})")


def fold(text: str) -> str:
    """Lower-case, strip accents, straighten quotes and collapse spaces."""
    text = text.translate(_QUOTES).lower()
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    return _SPACES.sub(" ", text).strip()


def _deletes(word: str) -> set[str]:
    """Every form of word with one letter removed, plus the word."""
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


@lru_cache(maxsize=1)
def _typo_index() -> dict[str, str]:
    """Map each one-deletion form of a keyword to its keyword (first one wins)."""
    index: dict[str, str] = {}
    for word, target in _TYPO_TARGETS.items():
        for form in _deletes(word):
            index.setdefault(form, target)
    return index


def repair_typos(folded: str) -> str:
    """Replace words one edit away from a known keyword (symmetric-delete lookup)."""
    index = _typo_index()
    out = []
    changed = False
    for token in folded.split(" "):
        word = token.strip(".,!?;:")
        if (
            len(word) >= 6
            and word not in _TYPO_TARGETS
            and word not in _TYPO_EXCEPTIONS
            and word[:-1] not in _TYPO_TARGETS  # a plural is not a typo: "prochaines", "mercredis"
            and word.isalpha()
        ):
            target = next((index[f] for f in _deletes(word) if f in index), None)
            if target is not None:
                token = token.replace(word, target)
                changed = True
        out.append(token)
    return " ".join(out) if changed else folded


_ONE_PRONOUN = re.compile(
    r"\b(first|second|third|last|this|that|which|any|other|next|earlier|later|"
    r"earliest|latest|same|no|some|every|each|the|a|monday|tuesday|wednesday|thursday|friday|saturday|sunday"
    r"|morning|afternoon|evening|am|pm|\d|o'clock) ones?\b"
)
# "the one at 2", "one on Friday": a pronoun, not the number 1
_ONE_BEFORE = re.compile(
    r"(?<!at )(?<!around )(?<!about )(?<!by )(?<!to )(?<!from )(?<!until )(?<!till )(?<!@ )"
    r"\bones? (?=(?:at|on|for|with|after|before)\b)"
)
# Ordinals that mean "earliest", not a day of the month: "first available", "le premier disponible".
_EARLIEST = re.compile(
    r"\b(?:the |le |la |au |a la )?(?:very )?(?:first|premiere?|1st|1er) (?:available|disponible|dispo|opening|slot"
    r"|spot|place (?:libre|disponible)|moment (?:libre|disponible)|possible|one available)\b"
)
_FR_WEEKS = re.compile(r"\b(huit|quinze) jours\b")
_FIRST_THING = re.compile(r"\bfirst thing\b")
_SEPT = re.compile(r"(?<=\d )sept\b\.?|(?<=\der )sept\b\.?|\bsept\.(?= ?\d)")
# "second" is a date only as "the second of …", "second of …" or "March second"; otherwise a unit or an ordinal.
_SECOND_WORD = re.compile(r"\bsecond\b(?! of\b| week\b| day\b| (?:mon|tues?|wed|thu|fri|sat|sun)[a-z]*\b)")
_MONTH_SECOND = re.compile(r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.? second\b")


_HOUR_WORDS = {
    w: i
    for i, w in enumerate("one two three four five six seven eight nine ten eleven twelve".split(), start=1)
}
_MINUTE_UNITS = {w: i for i, w in enumerate("one two three four five six seven eight nine".split(), start=1)}
_MINUTE_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50}
_MINUTE_TEENS = {
    w: i
    for i, w in enumerate(
        "ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen".split(), start=10
    )
}
# "five thirty", "eleven forty-five", "nine oh five": a spoken clock time, unless a count follows.
_SPOKEN_CLOCK = re.compile(
    rf"\b(?P<h>{'|'.join(_HOUR_WORDS)}) "
    rf"(?:(?P<oh>oh|o) (?P<u0>{'|'.join(_MINUTE_UNITS)})|(?P<teen>{'|'.join(_MINUTE_TEENS)})"
    rf"|(?P<tens>{'|'.join(_MINUTE_TENS)})(?:[- ](?P<u>{'|'.join(_MINUTE_UNITS)}))?)\b"
    r"(?!-| ?(?:%|\$)| (?:minutes?|mins?|hours?|days?|weeks?|months?|years?|people|persons?|dollars?|bucks"
    r"|kids|children|patients?|times|percent)\b)"
)


# "the ten thirty one": the one at ten thirty, not 10:31
_CLOCK_THEN_ONE = re.compile(
    rf"\b(the|that|this) ((?:{'|'.join(_HOUR_WORDS)}) (?:(?:oh|o) \w+|{'|'.join(_MINUTE_TEENS)}|{'|'.join(_MINUTE_TENS)}))"
    r" one\b(?!-)"
)


def _spoken_clock(m: re.Match) -> str:
    """ "five thirty" -> "5:30"."""
    if m["oh"]:
        minute = _MINUTE_UNITS[m["u0"]]
    elif m["teen"]:
        minute = _MINUTE_TEENS[m["teen"]]
    else:
        minute = _MINUTE_TENS[m["tens"]] + (_MINUTE_UNITS[m["u"]] if m["u"] else 0)
    return f"{_HOUR_WORDS[m['h']]}:{minute:02d}"


# "(at) ten to four" spelled out is a time; "available ten to four" or "from ten to four" stays a range.
_SPOKEN_TO = re.compile(
    r"(?P<pre>^|\b(?:at|around|about|say|by|for|before|after|until|till|it's|its|it is) )"
    rf"(?P<m>five|ten|twenty|twenty[- ]five) (?:minutes )?(?:to|till|before) "
    rf"(?P<h>{'|'.join(_HOUR_WORDS)})\b(?! ?-| (?:minutes?|hours?|days?|weeks?|people|persons?)\b)"
)


def _spoken_to(m: re.Match) -> str:
    """ "ten to four" -> "3:50", "five to one" -> "12:55"."""
    minutes = {"five": 5, "ten": 10, "twenty": 20}.get(m["m"], 25)
    return f"{m['pre']}{_HOUR_WORDS[m['h']] - 1 or 12}:{60 - minutes:02d}"


_FR_ORDINALS = {
    w: i
    for i, w in enumerate(
        "premier deuxieme troisieme quatrieme cinquieme sixieme septieme huitieme neuvieme dixieme onzieme"
        " douzieme treizieme quatorzieme quinzieme seizieme".split(),
        start=1,
    )
}
# "le troisième jour de novembre": a spelled French ordinal before "jour" names a day of the month.
_FR_ORDINAL_DAY = re.compile(rf"\b({'|'.join(_FR_ORDINALS)}) jour\b")


def digitize(folded: str, lang: str) -> str:
    """Turn spelled numbers into digits, keeping pronouns and month abbreviations intact."""
    text = _ONE_PRONOUN.sub(r"\1", folded)
    if "one" in text and lang == "en":
        text = _ONE_BEFORE.sub("", text)
    if "ieme jour" in text or "premier jour" in text:
        text = _FR_ORDINAL_DAY.sub(lambda m: f"{_FR_ORDINALS[m[1]]}e jour", text)
    if "first" in text or "premi" in text or "1" in text:
        text = _FIRST_THING.sub("early in the day", _EARLIEST.sub("earliest available", text))
    if "jours" in text:
        text = _FR_WEEKS.sub(lambda m: "1 semaine" if m[1] == "huit" else "2 semaines", text)
    text = _SEPT.sub("septembre", text)
    if lang == "en" and "second" in text and not _MONTH_SECOND.search(text):
        text = _SECOND_WORD.sub("sec", text)
    if lang == "en":
        if " one" in text:
            text = _CLOCK_THEN_ONE.sub(r"\1 \2", text)
        text = _SPOKEN_TO.sub(_spoken_to, _SPOKEN_CLOCK.sub(_spoken_clock, text))
    return alpha2digit(text, lang, threshold=0)


def words(folded: str) -> list[str]:
    """Alphanumeric tokens of folded text."""
    return _WORD.findall(folded)


# Texting shorthand, spelled out before the recognisers read it. Day abbreviations become full names only
# before a part of day ("lun am", "mar matin"), where "mar" cannot be March nor "mon" the pronoun.
_DAY_ABBREVIATIONS = {
    "lun": "lundi",
    "mar": "mardi",
    "mer": "mercredi",
    "jeu": "jeudi",
    "ven": "vendredi",
    "sam": "samedi",
    "dim": "dimanche",
    "mon": "monday",
    "tue": "tuesday",
    "tues": "tuesday",
    "wed": "wednesday",
    "thu": "thursday",
    "thur": "thursday",
    "thurs": "thursday",
    "fri": "friday",
    "sat": "saturday",
    "sun": "sunday",
}
_PART_WORD = r"(?:am|pm|a\.m\.?|p\.m\.?|matin|soir|apres-midi|apres midi|aprem|morning|afternoon|evening|prochain|next)"
_DAY_ABBR_BEFORE_PART = re.compile(
    rf"\b({'|'.join(sorted(_DAY_ABBREVIATIONS, key=len, reverse=True))})\.? (?={_PART_WORD}\b)"
)
_DAY_WORD = (
    r"lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|monday|tuesday|wednesday|thursday|friday|saturday"
    r"|sunday|demain|aujourd'hui|auj|ajd|tomorrow|today|tmrw|tmr|2moro|2morrow|tomoro"
)
# "jeudi pm", "tmrw am": am/pm after a day (not before a number) is a part of day.
_DAY_MERIDIEM = re.compile(rf"\b({_DAY_WORD})\.?,? (a|p)\.? ?m\b\.?(?! ?\d)")
_SHORTHAND = {
    "dem": "demain",
    "sem pro": "semaine prochaine",
    "sem. pro": "semaine prochaine",
    "sem proch": "semaine prochaine",
    "sem prochaine": "semaine prochaine",
    "cette sem": "cette semaine",
    "la sem": "la semaine",
    "next wk": "next week",
    "nxt wk": "next week",
    "nxt week": "next week",
    "this wk": "this week",
    "la sem pro": "la semaine prochaine",
    "la sem prochaine": "la semaine prochaine",
    "moi c": "moi c'est",
    # "parler à qqn", "PARLER A QUELQU UN": someone, however it is typed without its apostrophe.
    "qqn": "quelqu'un",
    "qqun": "quelqu'un",
    "qq1": "quelqu'un",
    "quelqu1": "quelqu'un",
    "quelqu un": "quelqu'un",
    "kelkun": "quelqu'un",
    "kelk'un": "quelqu'un",
    "kelqu'un": "quelqu'un",
}
_SHORTHAND_RE = re.compile(
    rf"(?<![a-z0-9'])(?:{'|'.join(sorted(map(re.escape, _SHORTHAND), key=len, reverse=True))})(?![a-z0-9'])\.?"
    r"|(?<![a-z0-9'])c (?=(?:beau|bon|correct|parfait|ok|good|quand|tout|moi|ca|pas|vrai|sur|possible)\b)"
)
_PART_HINT = re.compile(rf"\b{_PART_WORD}")


def expand_shorthand(folded: str) -> str:
    """Spell out texting shorthand ("dem", "sem pro", "jeudi pm", "lun am", "c beau", "qqn") in folded text."""
    text = _SHORTHAND_RE.sub(lambda m: _SHORTHAND.get(m[0].rstrip("."), "c'est "), folded)
    if _PART_HINT.search(text):
        text = _DAY_ABBR_BEFORE_PART.sub(lambda m: _DAY_ABBREVIATIONS[m[1]] + " ", text)
        text = _DAY_MERIDIEM.sub(lambda m: f"{m[1]} {'morning' if m[2] == 'a' else 'afternoon'}", text)
    return text
