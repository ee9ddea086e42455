"""Postal areas (FSA, the first three characters of a Canadian postal code): where they are, how far apart.

The centroids ship with the project (data/fsa_centroids.csv, GeoNames data under CC BY 4.0; see
data/README.md): nothing is fetched at run time.
"""

from __future__ import annotations

import csv
import itertools
import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from core.language.normalize import fold

DATA = Path(__file__).parent / "data" / "fsa_centroids.csv"
FIRST_LETTERS = "ABCEGHJKLMNPRSTVXY"  # D F I O Q U W Z never start a postal code
OTHER_LETTERS = "ABCEGHJKLMNPRSTVWXYZ"  # D F I O Q U are never used
_FSA = re.compile(rf"(?<![A-Z0-9])([{FIRST_LETTERS}])([0-9])([{OTHER_LETTERS}])(?![A-Z])")
# The letters printed on each key of a phone keypad: a caller keys H2X as 4-2-9.
KEYPAD = {"2": "ABC", "3": "DEF", "4": "GHI", "5": "JKL", "6": "MNO", "7": "PQRS", "8": "TUV", "9": "WXYZ"}
# Speech recognition writes digits and letters out as words now and then ("h deux x", "aitch two ex").
_SPOKEN = {
    "zero": "0", "un": "1", "une": "1", "deux": "2", "trois": "3", "quatre": "4", "cinq": "5", "six": "6",
    "sept": "7", "huit": "8", "neuf": "9", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
    "seven": "7", "eight": "8", "nine": "9", "oh": "0",
    "ache": "H", "hache": "H", "aitch": "H", "ge": "G", "gee": "G", "ji": "J", "jay": "J", "ka": "K",
    "kay": "K", "elle": "L", "el": "L", "emme": "M", "em": "M", "enne": "N", "en": "N", "pe": "P",
    "pee": "P", "erre": "R", "ar": "R", "esse": "S", "ess": "S", "te": "T", "tee": "T", "ve": "V",
    "vee": "V", "ixe": "X", "iks": "X", "ex": "X", "be": "B", "bee": "B", "ce": "C", "see": "C",
    "igrec": "Y", "why": "Y", "zed": "Z", "zede": "Z",
}  # fmt: skip


@dataclass(frozen=True)
class Area:
    """A postal area and its representative point."""

    fsa: str
    latitude: float
    longitude: float
    place: str


@cache
def areas() -> dict[str, Area]:
    """Every postal area of the shipped table, by code."""
    with DATA.open(encoding="utf-8", newline="") as f:
        return {
            row["fsa"]: Area(row["fsa"], float(row["latitude"]), float(row["longitude"]), row["place"])
            for row in csv.DictReader(f)
        }


def area(fsa: str | None) -> Area | None:
    """The area of a code, or None when the table does not know it."""
    return areas().get((fsa or "").upper()) if fsa else None


def fsa_in_text(text: str) -> str | None:
    """The postal area a patient wrote or said: 'H2X', 'h2x 1y4', 'H 2 X', 'ache deux ixe', 'aitch two ex'."""
    words = re.findall(r"[a-z0-9]+", fold(text).replace("i grec", "igrec"))
    tokens = [_SPOKEN.get(w, w) for w in words]
    # Runs of single characters are one spelled-out code ("h 2 x" -> "h2x"); other words stay apart.
    runs = [
        "".join(group) if single else " ".join(group)
        for single, group in itertools.groupby(tokens, key=lambda t: len(t) == 1)
    ]
    for match in _FSA.finditer(" ".join(runs).upper()):
        code = "".join(match.groups())
        if code in areas():
            return code
    return None


def fsas_for_keys(digits: str) -> list[str]:
    """The known postal areas a caller may mean by three keys: 4-2-9 is G2W … H2X … (letters on the keys)."""
    keys = (digits or "").strip().rstrip("#")
    if len(keys) != 3 or not keys.isdigit() or keys[0] not in KEYPAD or keys[2] not in KEYPAD:
        return []
    firsts = [c for c in KEYPAD[keys[0]] if c in FIRST_LETTERS]
    thirds = [c for c in KEYPAD[keys[2]] if c in OTHER_LETTERS]
    known = areas()
    return [f + keys[1] + t for f, t in itertools.product(firsts, thirds) if f + keys[1] + t in known]


def fsa_for_keys(digits: str, near: tuple[float, float] | None) -> str | None:
    """The postal area three keys most likely mean: of those they can spell, the nearest to the clinic called."""
    candidates = fsas_for_keys(digits)
    if not candidates:
        return None
    if near is None:
        return candidates[0]
    return min(candidates, key=lambda code: km_between(near, point(area(code))))


def point(a: Area) -> tuple[float, float]:
    return (a.latitude, a.longitude)


def km_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in kilometres (haversine)."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 6371.0 * 2 * math.asin(math.sqrt(h))
