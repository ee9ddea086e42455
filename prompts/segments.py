"""How many SMS segments a text costs: GSM-7 (160 / 153 per segment) or UCS-2 (70 / 67 per segment).

A message whose every character is in the GSM 03.38 basic set or its extension table travels as GSM-7;
one character outside it turns the whole message into UCS-2. Extension characters take two septets
(an escape and the character); UCS-2 counts UTF-16 code units, so an emoji takes two. A split message
spends part of each segment on its concatenation header, and a carrier never splits an escape pair or a
surrogate pair across two segments, so segments are filled greedily with those pairs kept whole.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Literal

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("\f^{}\\[~]|€")

GSM7_SINGLE, GSM7_MULTI = 160, 153
UCS2_SINGLE, UCS2_MULTI = 70, 67


@dataclass(frozen=True)
class SegmentCount:
    """The encoding a text travels in, the units it spends (septets or UTF-16 units), and its segments."""

    encoding: Literal["GSM-7", "UCS-2"]
    characters: int
    segments: int


def is_gsm7(text: str) -> bool:
    """Whether every character of the text exists in GSM-7 (basic set or extension table)."""
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def _units(text: str, gsm: bool) -> list[int]:
    """The cost of each character, in septets (GSM-7) or UTF-16 code units (UCS-2)."""
    if gsm:
        return [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    return [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def _pack(units: list[int], per_segment: int) -> int:
    """Segments needed when multi-unit characters may not straddle two segments."""
    segments, used = 1, 0
    for cost in units:
        if used + cost > per_segment:
            segments, used = segments + 1, 0
        used += cost
    return segments


def segments(text: str) -> SegmentCount:
    """The encoding, units and segment count of one SMS body."""
    gsm = is_gsm7(text)
    units = _units(text, gsm)
    total = sum(units)
    single, multi = (GSM7_SINGLE, GSM7_MULTI) if gsm else (UCS2_SINGLE, UCS2_MULTI)
    count = 0 if total == 0 else 1 if total <= single else _pack(units, multi)
    return SegmentCount("GSM-7" if gsm else "UCS-2", total, count)


def offending_characters(text: str) -> str:
    """The characters that force UCS-2, in order of first appearance (for error messages and tests)."""
    seen: dict[str, None] = {}
    for ch in text:
        if ch not in GSM7_BASIC and ch not in GSM7_EXTENSION:
            seen.setdefault(ch, None)
    return "".join(seen)


# Characters outside GSM-7 that have a plain GSM-7 stand-in (Twilio's "smart encoding" does the same for
# punctuation); letters lose only an accent GSM-7 lacks (ê -> e, ç -> c).
_STAND_INS = {
    "\u2018": "'",
    "\u2019": "'",
    "\u201a": "'",
    "\u201b": "'",
    "\u2032": "'",
    "`": "'",
    "\u00b4": "'",
    "\u201c": '"',
    "\u201d": '"',
    "\u201e": '"',
    "\u00ab": '"',
    "\u00bb": '"',
    "\u2033": '"',
    "\u2010": "-",
    "\u2011": "-",
    "\u2012": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2212": "-",
    "\u00a0": " ",
    "\u202f": " ",
    "\u2009": " ",
    "\u2002": " ",
    "\u2003": " ",
    "\u2026": "...",
    "œ": "oe",
    "Œ": "OE",
    "ç": "c",
}


def gsm_fold(text: str) -> str:
    """The text with every character GSM-7 lacks replaced by its nearest GSM-7 form, when it has one."""
    out = []
    for ch in text:
        if ch in GSM7_BASIC or ch in GSM7_EXTENSION:
            out.append(ch)
        elif ch in _STAND_INS:
            out.append(_STAND_INS[ch])
        else:
            base = unicodedata.normalize("NFKD", ch)[:1]
            out.append(base if base and (base in GSM7_BASIC) else ch)
    return "".join(out)


def economical(text: str) -> str:
    """The text as written when that costs nothing more; folded to GSM-7 when that saves segments."""
    folded = gsm_fold(text)
    return folded if segments(folded).segments < segments(text).segments else text
