"""What the patient said or pressed, read once per turn into one shape the questions recognise."""

from __future__ import annotations

import datetime as dt
import logging
import unicodedata
from dataclasses import dataclass

from core.dialog.types import Inbound

log = logging.getLogger(__name__)

# Intents that "ailleurs" / "another clinic" takes over ("un RDV ailleurs"); safety and opt-out words never.
ELSEWHERE_OVER = ("other", "book", "walkin", "no")
MAX_TEXT = 500  # long messages arrive reassembled; the meaning is in the first sentences


@dataclass
class Heard:
    """One turn's meaning: an intent with its details, and how it arrived (text or keys)."""

    intent: str = "other"
    date: dt.date | None = None
    time: dt.time | None = None
    part_of_day: str | None = None
    choice: int | None = None
    lang: str | None = None
    target: str | None = None
    switch_to: str | None = None
    after: dt.time | None = None
    asap: bool = False
    span: str | None = None
    before: dt.time | None = None  # local time: "before 3"
    more: bool = False  # "others", "AUTRES", "later": other slots than those offered
    notify_by: str | None = None  # "sms" / "call": how the patient wants to be told
    keep: bool = False  # "keep it", "je garde"
    not_before: dt.date | None = None  # earliest day allowed, inclusive
    not_after: dt.date | None = None  # latest day allowed, inclusive
    old_date: dt.date | None = None  # a change: the day of the appointment to move
    pick_last: bool = False  # "le dernier": the last option offered
    name: str | None = None  # a name said naturally
    self_harm: bool = False  # suicide or self-harm words: 9-8-8 too
    smalltalk: str | None = None  # "thanks" / "bye" / "hello"
    text: str = ""
    digits: str = ""  # keys pressed, when the turn was keys
    confidence: float | None = None

    @property
    def keyed(self) -> bool:
        """Keys were pressed (a keypad answer is never doubted)."""
        return bool(self.digits)

    @property
    def has_when(self) -> bool:
        """The turn names a day, a time or a part of the day."""
        return bool(self.date or self.time or self.part_of_day or self.after or self.asap)

    @property
    def folded(self) -> str:
        """The text lower-cased without accents, for matching the engine's own keywords."""
        return fold(self.text)


def fold(text: str) -> str:
    """Lower-case, no accents, single spaces."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.replace("’", "'").split())


def _as_date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None


def _as_time(value) -> dt.time | None:
    if value is None or isinstance(value, dt.time):
        return value
    try:
        return dt.time.fromisoformat(str(value))
    except ValueError:
        return None


def from_keys(digits: str) -> Heard:
    """Keys pressed: one digit is a choice, '*' repeats, '#' skips, several digits are a number."""
    digits = (digits or "").strip()
    if digits == "*":
        return Heard(intent="repeat", digits=digits)
    if digits in ("#", ""):
        return Heard(intent="skip", digits=digits or "#")
    bare = digits.rstrip("#")
    if len(bare) == 1 and bare.isdigit():
        return Heard(intent="choice", choice=int(bare), digits=bare)
    if bare.isdigit():
        return Heard(intent="number", digits=bare)
    return Heard(intent="other", digits=digits)


def from_text(text: str, lang: str, local_now: dt.datetime, confidence: float | None = None) -> Heard:
    """Words (an SMS or a transcript) read by core.language; a failure there is heard as 'not understood'."""
    whole = (text or "").strip()
    text = whole[:MAX_TEXT]
    if not text:
        return Heard(intent="other", lang=lang, confidence=confidence)
    try:
        from core.language import mentions_emergency, understand
        from core.language.elsewhere import asks_elsewhere

        if len(whole) > MAX_TEXT and mentions_emergency(whole):
            # Only the start of a long message is read for a request, but safety words count anywhere.
            return Heard(intent="emergency", text=text, lang=lang, confidence=confidence)
        u = understand(text, lang, local_now)
    except Exception:  # the language layer must never take a turn down: treat as not understood
        log.exception("understanding failed")
        return Heard(intent="other", text=text, lang=lang, confidence=confidence)
    intent = getattr(u, "intent", "other") or "other"
    if intent in ELSEWHERE_OVER and asks_elsewhere(text):  # federation: look at other clinics
        intent = "elsewhere"
    return Heard(
        intent=intent,
        date=_as_date(getattr(u, "date", None)),
        time=_as_time(getattr(u, "time", None)),
        part_of_day=getattr(u, "part_of_day", None),
        choice=getattr(u, "choice", None),
        lang=getattr(u, "lang", None) or lang,
        target=getattr(u, "target", None),
        switch_to=getattr(u, "switch_to", None),
        after=_as_time(getattr(u, "after", None)),
        asap=bool(getattr(u, "asap", False)),
        span=getattr(u, "span", None),
        before=_as_time(getattr(u, "before", None)),
        more=bool(getattr(u, "more", False)),
        notify_by=getattr(u, "notify_by", None),
        keep=bool(getattr(u, "keep", False)),
        not_before=_as_date(getattr(u, "not_before", None)),
        not_after=_as_date(getattr(u, "not_after", None)),
        old_date=_as_date(getattr(u, "old_date", None)),
        pick_last=bool(getattr(u, "pick_last", False)),
        name=getattr(u, "name", None),
        self_harm=bool(getattr(u, "self_harm", False)),
        smalltalk=getattr(u, "smalltalk", None),
        text=text,
        confidence=confidence,
    )


def read(inbound: Inbound, lang: str, local_now: dt.datetime) -> Heard:
    """The meaning of one inbound turn."""
    if inbound.kind == "digits":
        return from_keys(inbound.digits)
    if inbound.kind == "silence":
        return Heard(intent="silence")
    if inbound.kind == "start":
        return Heard(intent="start_call")
    return from_text(inbound.text, lang, local_now, inbound.confidence)
