"""The demo clinics file with visit reasons and pools added to the Clinique du Parc, for schedule tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from core.clinics_file import EXAMPLE_FILE, load_clinics

REASONS = """
[[clinic.reason]]
key = "consultation"
fr = "Consultation"
en = "Consultation"
slots = 1

[[clinic.reason]]
key = "suivi"
fr = "Suivi"
en = "Follow-up"
slots = 2
practitioners = ["dr-nguyen"]
words = ["suivi de grossesse", "check-up"]

[[clinic.reason]]
key = "vaccin"
fr = "Vaccin"
en = "Vaccine"
slots = 1
words = ["vaccination", "grippe", "flu shot"]
"""

POOLS = """
[[clinic.pool]]
key = "same-day"
days = "mon-fri"
times = ["08:00-09:00"]
release = "07:00"

[[clinic.pool]]
key = "nurse-811"
days = "mon-fri"
times = ["16:00-17:00"]
practitioners = ["dre-tremblay"]
"""

_WESTMOUNT = '\n[[clinic]]\nid = "westmount"'


def parc_with(tmp_path: Path, extra: str, name: str = "clinics.toml") -> Path:
    """A copy of the demo file whose Clinique du Parc also has these TOML tables."""
    text = EXAMPLE_FILE.read_text(encoding="utf-8")
    assert _WESTMOUNT in text
    path = tmp_path / name
    path.write_text(text.replace(_WESTMOUNT, "\n" + extra + "\n" + _WESTMOUNT, 1), encoding="utf-8")
    return path


def load(runtime, tmp_path: Path, extra: str, now: dt.datetime | None = None) -> Path:
    """Load the demo file with `extra` into the runtime's database (as `clinicline clinics load` does)."""
    path = parc_with(tmp_path, extra)
    with runtime.session_factory.begin() as session:
        load_clinics(session, path, now or runtime.now(), runtime.config.slot_horizon_days)
    return path
