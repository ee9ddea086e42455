"""What an SMS test reads in a reply: the words a patient texts, the offered slot lines, the held slots."""

from __future__ import annotations

from sqlalchemy import select

from core.models import Slot, SlotStatus

# What a patient texts, in each language (the issue's own examples).
WORDS = {
    "fr": {
        "book": "RDV",
        "walkin": "SANS RDV",
        "position": "POSITION",
        "leave": "QUITTER",
        "cancel": "ANNULER",
        "reschedule": "CHANGER",
        "list": "MES RDV",
        "help": "AIDE",
        "yes": "OUI",
        "no": "NON",
        "name": "Marie-Ève Bélanger-Côté",
        "month": "déc.",
    },
    "en": {
        "book": "I need an appointment",
        "walkin": "walk-in",
        "position": "where am I",
        "leave": "leave",
        "cancel": "cancel appt",
        "reschedule": "reschedule",
        "list": "my appointments",
        "help": "HELP",
        "yes": "YES",
        "no": "NO",
        "name": "John O'Brien",
        "month": "Dec",
    },
}


MORE = "9"  # the choice that asks for other times


def slots(exchange) -> list[str]:
    """The numbered slot lines of an offer (not the "other times" choice)."""
    return [line for line in exchange.choices if not line.startswith(f"{MORE})")]


def label(choice_line: str) -> str:
    """'1) mar. 8 déc. à 9 h 15' -> 'mar. 8 déc. à 9 h 15'."""
    return choice_line.split(") ", 1)[1]


def held_slots(rt) -> list[Slot]:
    with rt.session_factory() as session:
        return list(session.scalars(select(Slot).where(Slot.status == SlotStatus.HELD)))
