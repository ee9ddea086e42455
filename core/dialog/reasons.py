"""The visit reason: asked once, at the start of a booking, only when the clinic has more than one.

A clinic's reasons live in its settings (the clinics file's [[clinic.reason]], or the console): a key,
French and English labels, the number of consecutive slots it takes, the practitioners who see it, and
words patients may use for it. The answer narrows the slot search (core/services/booking.py SlotQuery) to
those practitioners and to starts with enough free slots in a row, and the booking takes them all.
"""

from __future__ import annotations

import re
from dataclasses import replace

from core.dialog.engine import Question, Turn, question
from core.dialog.heard import Heard
from core.dialog.types import Choice, Reply, Say
from core.language.normalize import fold
from core.models import Appointment
from core.services.booking import SlotQuery

_NON_WORD = re.compile(r"[^a-z0-9]+")
STEM = 5  # "vaccination" is "vaccin", "consultation" is "consult…": a word that starts like a label counts
_KEPT = ("flow", "replaces", "name")


def clinic_reasons(clinic) -> list[dict]:
    """The clinic's visit reasons, in the order they are offered."""
    reasons = (clinic.settings or {}).get("reasons") or []
    return [r for r in reasons if isinstance(r, dict) and r.get("key")]


def reason_of(clinic, key: str | None) -> dict | None:
    return next((r for r in clinic_reasons(clinic) if r["key"] == key), None)


def label(reason: dict, lang: str) -> str:
    return reason.get(lang) or reason.get("fr") or reason["key"]


def _words(text: str) -> list[str]:
    return [w for w in _NON_WORD.split(fold(text)) if w]


def _matches(phrase: str, words: list[str]) -> bool:
    """A label or synonym in the text: all its words, in order, each word whole or (long ones) by stem."""
    wanted = _words(phrase)
    if not wanted:
        return False
    for start in range(len(words) - len(wanted) + 1):
        if all(_same(w, words[start + i]) for i, w in enumerate(wanted)):
            return True
    return False


def _same(wanted: str, said: str) -> bool:
    if wanted == said:
        return True
    return len(wanted) >= STEM and len(said) >= STEM and (said.startswith(wanted) or wanted.startswith(said))


def recognise_reason(clinic, text: str) -> str | None:
    """The one reason the text names (by label in either language or by one of its words), else None."""
    if not text:
        return None
    words = _words(text)
    found = [
        r["key"]
        for r in clinic_reasons(clinic)
        if any(_matches(p, words) for p in [r.get("fr", ""), r.get("en", ""), r["key"], *r.get("words", [])])
    ]
    return found[0] if len(found) == 1 else None


def narrow(clinic, data: dict, query: SlotQuery) -> SlotQuery:
    """The slot search for the booking's reason: its practitioners, and its number of slots in a row."""
    reason = reason_of(clinic, data.get("reason"))
    if reason is None:
        return query
    keys = set(reason.get("practitioners") or [])
    ids = tuple(p.id for p in clinic.practitioners if p.active and (not keys or p.key in keys))
    return replace(query, practitioner_ids=ids or (-1,), length=int(reason.get("slots", 1)))


def length(clinic, data: dict) -> int:
    """How many consecutive slots the booking's reason takes."""
    reason = reason_of(clinic, data.get("reason"))
    return int(reason.get("slots", 1)) if reason else 1


def first(t: Turn, h: Heard | None, base: dict, wish: dict | None, says: list[Say] | None) -> Reply | None:
    """At the start of a booking: the reason question when the clinic has several and none was said yet.

    Sets base["reason"] when it is already known (one reason only, named in the request, or the reason of
    the appointment being changed) and returns None: the booking goes on.
    """
    reasons = clinic_reasons(t.clinic)
    if not reasons:
        return None
    if len(reasons) == 1:
        base["reason"] = reasons[0]["key"]
        return None
    if base.get("replaces"):
        old = t.session.get(Appointment, base["replaces"])
        if old is not None and reason_of(t.clinic, old.reason):
            base["reason"] = old.reason
            return None
    named = recognise_reason(t.clinic, h.text) if h is not None and not h.keyed else None
    if named:
        base["reason"] = named
        return None
    data = dict(base)
    data["wish_in"] = wish
    return t.ask("book_reason", data=data, says=says)


def _choices(t: Turn) -> list[Choice]:
    return [
        Choice(str(i), Say("reason_choice", {"label": label(r, t.lang)}), f"reason:{r['key']}")
        for i, r in enumerate(clinic_reasons(t.clinic)[:9], start=1)
    ]


def _recognise(t: Turn, h: Heard) -> object | None:
    reasons = clinic_reasons(t.clinic)[:9]
    if h.choice is not None and (h.keyed or h.intent == "choice") and 1 <= h.choice <= len(reasons):
        return {"reason": reasons[h.choice - 1]["key"]}
    if h.keyed:
        return None
    named = recognise_reason(t.clinic, h.text)
    return {"reason": named} if named else None


def _describe(t: Turn, answer: dict) -> str:
    reason = reason_of(t.clinic, answer.get("reason"))
    return label(reason, t.lang) if reason else ""


def _act(t: Turn, answer: dict) -> Reply:
    from core.dialog import book  # the booking goes on where it started

    base = {k: v for k, v in t.data.items() if k in _KEPT}
    base["reason"] = answer["reason"]
    return book.go_on(t, base, t.data.get("wish_in"))


def _values(t: Turn) -> dict:
    return {"clinic": t.clinic_name()}


question(
    Question(
        name="book_reason",
        prompt="ask_reason",
        retry="ask_reason_retry",
        recognise=_recognise,
        act=_act,
        choices=_choices,
        values=_values,
        matters=True,
        describe=_describe,
    )
)
