"""What the patient said or pressed, read once per turn into one shape the questions recognise."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass

from core.dialog.types import Inbound
from core.language import Understanding
from core.language.normalize import fold

log = logging.getLogger(__name__)

# Intents that "ailleurs" / "another clinic" takes over ("un RDV ailleurs"); safety and opt-out words never.
ELSEWHERE_OVER = ("other", "book", "walkin", "no")
# Intents that words of running late take over ("oui mais je serai en retard de 10 min", "10 min late"); a
# request (cancel, change, walk-in…) says more and keeps its own intent.
LATE_OVER = ("other", "book", "yes", "no", "choice")
MAX_TEXT = 500  # long messages arrive reassembled; the meaning is in the first sentences


_NOTHING = Understanding("other")


@dataclass
class Heard:
    """One turn's meaning: what core.language understood, and how it arrived (text or keys).

    The turn's own facts (intent, language, choice: keys set them too; the words and the keys pressed) are
    fields; every other detail (date, time, limits, name, small talk…) is read from the `Understanding`,
    so a detail the language layer learns is seen here without being copied.
    """

    intent: str = "other"
    lang: str | None = None
    choice: int | None = None
    text: str = ""
    digits: str = ""  # keys pressed, when the turn was keys
    confidence: float | None = None
    understanding: Understanding = _NOTHING

    def __getattr__(self, name: str):
        # Called only for names that are not fields: the details of the understanding.
        if name.startswith("__") or name == "understanding":
            raise AttributeError(name)
        return getattr(self.understanding, name)

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
            # Only the start of a long message is read for a request, but safety words count anywhere:
            # the whole message is read for them (self-harm words also give 9-8-8).
            whole_read = understand(whole, lang, local_now)
            return Heard(
                intent="emergency",
                text=text,
                lang=whole_read.lang or lang,
                confidence=confidence,
                understanding=whole_read,
            )
        u = understand(text, lang, local_now)
    except Exception:  # the language layer must never take a turn down: treat as not understood
        log.exception("understanding failed")
        return Heard(intent="other", text=text, lang=lang, confidence=confidence)
    intent = getattr(u, "intent", "other") or "other"
    if intent in ELSEWHERE_OVER and asks_elsewhere(text):  # federation: look at other clinics
        intent = "elsewhere"
    elif intent in LATE_OVER and getattr(u, "late", False):  # the staff board is told (core/dialog/late.py)
        intent = "late"
    return Heard(
        intent=intent,
        lang=u.lang or lang,
        choice=u.choice,
        text=text,
        confidence=confidence,
        understanding=u,
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
