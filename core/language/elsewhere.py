"""'ailleurs', 'une autre clinique', 'elsewhere', 'another clinic': the patient asks to look at other clinics."""

from __future__ import annotations

import re

from .normalize import fold

_ELSEWHERE = re.compile(
    r"\b("
    r"ailleurs|autre(s)? clinique(s)?|clinique(s)? (plus )?proche(s)?|une autre place|un autre endroit"
    r"|elsewhere|somewhere else|(an)?other clinic(s)?|different clinic|nearby clinic(s)?|clinic(s)? nearby"
    r")\b"
)


def asks_elsewhere(text: str) -> bool:
    """Whether the words ask for another clinic than this one (in French or English)."""
    return bool(_ELSEWHERE.search(fold(text or "")))
