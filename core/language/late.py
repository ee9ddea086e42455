"""Running late: "je serai en retard (de 10 min)", "chu en retard", "running late", "I'll be 10 min late".

`running_late(folded, lang)` tells whether the patient says they are (or will be) late, and by how many
minutes when they say it ("de 10 min", "1/2 heure", "a quarter of an hour", "5-10 min" -> 10). Words about
someone else being late ("le médecin est en retard?", "is the doctor running late?"), a refusal ("je ne
serai pas en retard") and a late *time* ("late afternoon", "a late appointment", "retarder mon rdv") are not.
"""

from __future__ import annotations

import re

from text_to_num import alpha2digit

from .normalize import word_regex

MAX_MINUTES = 240  # more is not lateness to tell a clinic about ("en retard de 2 jours")

_LATE_FR = word_regex(
    r"(?:en|de|du|d'|d|un peu de|beaucoup de|petit) ?retard(?:s)?(?![a-z])"
    r"|retard (?:de|d'|d) ?\d"
    r"|(?:suis|serai|sera|serais|etre|ete|chu|chui|chus|jsuis|j'suis|sui) (?:un peu |encore |pas mal )?retarde(?:e|s)?(?![a-z])"
    r"|(?:coince|coincee|pogne|pognee|bloque|bloquee|pris|prise) dans (?:le |la |les )?(?:trafic|traffic|circulation|bouchons?|tempete)"
)
_LATE_EN = word_regex(
    r"(?:runn?in[g']?|run|be|been|being|am|i'm|'m|im|i m|gonna be|going to be|will be|ll be|ill be|a bit|bit|a little|little"
    r"|slightly|few minutes|\d+ ?(?:min|mins|minutes?|m|hrs?|hours?)|minutes?|mins?|hours?|half an? hour|half hour"
    r"|an hour|quarter of an hour)"
    r" late(?![a-z])"
    r"(?! (?:afternoon|morning|evening|night|tonight|appointments?|appts?|slots?|ones?|openings?|spots?|bookings?"
    r"|times?|in the day|day)(?![a-z]))"
    r"|late by \d|running (?:a (?:bit|little) )?behind|behind schedule"
    r"|(?:am|i'm|'m|im|i m|been|be|got|get|getting|gonna be) (?:a bit |a little |slightly )?delayed"
    r"|stuck in (?:the )?(?:traffic|snow)"
)
# "je ne serai pas en retard", "I won't be late": close before the words of lateness.
_NEGATED = re.compile(r"(?:\bpas\b|\bjamais\b|\bnot\b|n't\b|\bwont\b|\bnever\b|\bdont\b)[^.!?;]{0,24}$")
# Someone else is late ("le médecin est en retard?", "is the doctor running late?", "are you running late?").
_OTHER_SUBJECT = re.compile(
    r"\b(?:medecin|docteure?|doc|dr|clinique|doctor|clinic|nurse|infirmiere|vous etes|etes-vous|etes vous"
    r"|avez-vous|avez vous|you are|are you|you're|youre|is the|is dr|is it)\b"
)
_FIRST_PERSON = re.compile(
    r"(?:^|\s)(?:je|j'|j|jvais|jsuis|chu|chui|chus|moi|on|nous|i|i'm|im|i'll|ill|we|we're|my)(?=\s|$|')"
)

# -- how long -----------------------------------------------------------------------------------------------
_BEFORE = (
    r"(?:retard (?:de |d'|d )|late by |en retard (?:de |d'|d )|retard d'|de retard d')"
    r"(?:environ |about |around |genre |comme |pres de |presque |au moins |at least |maybe |peut-etre |max |au plus )?"
)
_AFTER = r"(?: (?:de retard|en retard|late|behind))"
_HALF_HOUR = re.compile(r"\b(?:1/2|demi|half)[- ]?(?:an? )?(?:h|hr|heure|hour)\b")
_HOUR_AND_HALF = re.compile(r"\b(?:1|une|an|one) ?(?:h|hr|heure|hour)s? (?:et demie?|and a half)\b")
_QUARTERS = re.compile(r"\b(?:(?P<n>[1-3]) )?(?:quarts?|quarter) (?:d'|d |of an? )?(?:heure|hour)\b")
_ABOUT_TENS = re.compile(r"\b(?:1 |une )?(?P<w>dizaine|quinzaine|vingtaine|trentaine) (?:de |d')?min")
_TENS = {"dizaine": 10, "quinzaine": 15, "vingtaine": 20, "trentaine": 30}
_RANGE = re.compile(r"\b(\d{1,3}) ?(?:-|a|ou|or|to|/) ?(\d{1,3}) ?(?:min(?:ute)?s?|mns?)(?![a-z])")
_MINUTES = re.compile(r"\b(\d{1,3}) ?(?:min(?:ute)?s?|mns?|m(?= late))(?![a-z])")
_HOURS = re.compile(
    rf"{_BEFORE}(?P<a>[1-3]|une|an|one) ?(?:h|hr|hrs|heures?|hours?)(?: ?(?P<am>[0-5]\d))?(?![a-z0-9])"
    rf"|(?<![a-z0-9])(?P<b>[1-3]|une|an|one) ?(?:h|hr|hrs|heures?|hours?)(?: ?(?P<bm>[0-5]\d))?{_AFTER}"
)
_BARE = re.compile(rf"{_BEFORE}(\d{{1,3}})(?! ?(?:h|heures?|hours?|hrs?)\b)(?![\d:])")


def _retard_typo(word: str) -> bool:
    """'retrad', 'retar', 'reatrd', 'rtard', 'retart': one slip of the thumb from 'retard'."""
    if word in ("retard", "retards") or not 5 <= len(word) <= 7 or word[0] != "r" or not word.isalpha():
        return False
    if word.startswith("retarde"):  # the verb ("retardé", "retarder mon rdv"): read as a word of its own
        return False
    target = "retard"
    if len(word) == len(target):
        diff = [i for i in range(len(word)) if word[i] != target[i]]
        if len(diff) == 1:
            return True
        return (
            len(diff) == 2
            and diff[1] == diff[0] + 1
            and word[diff[0]] == target[diff[1]]
            and word[diff[1]] == target[diff[0]]
        )
    short, long_ = sorted((word, target), key=len)
    if len(long_) - len(short) != 1:
        return False
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def _repair(folded: str) -> str:
    words = folded.split(" ")
    fixed = ["retard" if _retard_typo(w.strip(".,!?;:")) else w for w in words]
    return " ".join(fixed)


def _said_late(text: str, lang: str) -> bool:
    for pattern in (_LATE_FR, _LATE_EN):
        for match in pattern.finditer(text):
            before = text[: match.start()]
            if _NEGATED.search(before):
                continue
            clause = re.split(r"[.!?;]", before)[-1] + " " + text[match.start() : match.end()]
            if _OTHER_SUBJECT.search(clause) and not _FIRST_PERSON.search(clause):
                continue
            return True
    return False


def _hours(word: str) -> int:
    return 1 if word in ("une", "an", "one") else int(word)


def late_minutes(text: str, lang: str) -> int | None:
    """The minutes a late patient says (None when not said): '10 min', '1/2 heure', '5-10 min' -> 10.

    Spelled numbers are read in the message's language, then in the other one (a language guessed wrong
    from a few words must not lose "dix minutes").
    """
    first = lang if lang in ("fr", "en") else "fr"
    for reading in (first, "en" if first == "fr" else "fr"):
        found = _minutes_in(text, reading)
        if found is not None:
            return found
    return None


def _minutes_in(text: str, lang: str) -> int | None:
    try:
        digits = alpha2digit(text, lang, threshold=0)
    except Exception:  # text2num on odd input: the lateness still counts, without minutes
        digits = text
    found: int | None = None
    if m := _HOUR_AND_HALF.search(digits):
        found = 90
    elif m := _HALF_HOUR.search(digits):
        found = 30
    elif m := _QUARTERS.search(digits):
        found = 15 * int(m["n"] or 1)
    elif m := _ABOUT_TENS.search(digits):
        found = _TENS[m["w"]]
    elif m := _RANGE.search(digits):
        found = max(int(m[1]), int(m[2]))
    elif m := _MINUTES.search(digits):
        found = int(m[1])
    elif m := _HOURS.search(digits):
        hours, extra = (m["a"], m["am"]) if m["a"] else (m["b"], m["bm"])
        found = _hours(hours) * 60 + int(extra or 0)
    elif m := _BARE.search(digits):
        found = int(m[1]) if int(m[1]) <= 120 else None
    if found is None or not 1 <= found <= MAX_MINUTES:
        return None
    return found


_ALONE = frozenset(
    {"late", "retard", "en retard", "running late", "im late", "i'm late", "je suis en retard"}
)


def running_late(folded: str, lang: str = "fr") -> tuple[bool, int | None]:
    """(late, minutes): whether the words say the patient is running late, and by how much if said."""
    text = _repair(folded or "")
    if text.strip(" .!?,") in _ALONE:
        return True, None
    if (
        "retard" not in text
        and "late" not in text
        and not any(
            w in text
            for w in ("behind", "delayed", "retarde", "trafic", "traffic", "circulation", "bouchon", "stuck")
        )
    ):
        return False, None
    if not _said_late(text, lang):
        return False, None
    return True, late_minutes(text, lang)


_NUMBER_ONLY = re.compile(
    r"^(?:environ |about |around |genre |comme |~)?(\d{1,3})(?: ?(?:min(?:ute)?s?|mns?))?\.?$"
)


def minutes_answer(folded: str, lang: str = "fr") -> int | None:
    """The answer to "how many minutes late?": "10", "dix", "15 min", "une demi-heure", "an hour" (1–240)."""
    text = _repair(folded or "").strip(" !?,")
    found = late_minutes(text, lang)
    if found is not None:
        return found
    for reading in (lang if lang in ("fr", "en") else "fr", "en" if lang == "fr" else "fr"):
        try:
            digits = alpha2digit(text, reading, threshold=0)
        except Exception:
            digits = text
        match = _NUMBER_ONLY.match(digits.strip())
        if match:
            value = int(match[1])
            return value if 1 <= value <= MAX_MINUTES else None
        if digits.strip() in ("une heure", "1 heure", "an hour", "1 hour", "one hour", "1 h", "1h"):
            return 60
    return None
