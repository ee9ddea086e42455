"""Arranging clinics for the federation tests."""

from __future__ import annotations

from sqlalchemy import update

from core.models import Slot, SlotStatus


def fill_clinic(runtime, clinic_id: str) -> None:
    """Every slot of a clinic is taken (a full calendar)."""
    with runtime.session_factory.begin() as session:
        session.execute(update(Slot).where(Slot.clinic_id == clinic_id).values(status=SlotStatus.BLOCKED))
