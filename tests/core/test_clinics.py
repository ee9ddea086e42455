"""Clinics by phone number, clinic-local time across the DST changes, opening hours, patients' numbers."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.errors import InvalidPhoneNumber
from core.models import Patient, Slot
from core.services import booking
from core.services.booking import SlotQuery
from core.services.clinics import clinic_for_forwarded_line, clinic_for_number, is_open, next_opening
from core.services.patients import can_take_sms, get_or_create_patient, mask_phone, normalize_phone
from core.timeutil import local_day_bounds, local_to_utc
from tests.conftest import Clock, make_runtime
from tests.core.helpers import MONDAY, SUNDAY, TORONTO, clinic, local, local_times, slots_on

# ---------------------------------------------------------------- finding the clinic


@pytest.mark.parametrize(
    ("number", "cid"),
    [
        ("+15145550100", "parc"),
        ("(514) 555-0100", "parc"),
        ("+15145550200", "westmount"),
        ("+15145550199", "parc"),  # a forwarded line also belongs to its clinic
        ("+15145550300", None),
        ("", None),
        (None, None),
        ("anonymous", None),
        ("📞" * 10, None),
    ],
)
def test_the_clinic_of_a_twilio_number(session, number, cid):
    found = clinic_for_number(session, number)
    assert (found.id if found else None) == cid


def test_the_clinic_of_a_forwarded_line(session):
    assert clinic_for_forwarded_line(session, "+1 514-555-0199").id == "parc"
    assert clinic_for_forwarded_line(session, "+15145550100") is None  # a Twilio number, not a forwarded line
    assert clinic_for_forwarded_line(session, None) is None
    assert clinic_for_forwarded_line(session, "garbage") is None


# ---------------------------------------------------------------- opening hours


def test_opening_hours_are_read_on_the_clinics_clock(session):
    parc, westmount = clinic(session), clinic(session, "westmount")
    assert is_open(parc, "appointments", local(MONDAY, 8))
    assert not is_open(parc, "appointments", local(MONDAY, 12, 30))  # lunch
    assert not is_open(parc, "appointments", local(MONDAY, 17))
    assert is_open(parc, "walkin", local(MONDAY, 7))
    assert not is_open(westmount, "walkin", local(MONDAY, 10))
    assert next_opening(parc, "appointments", local(MONDAY, 12, 30)) == local(MONDAY, 13)
    assert next_opening(parc, "walkin", local(SUNDAY, 12)) == local(dt.date(2026, 12, 14), 7)
    assert next_opening(westmount, "walkin", local(MONDAY, 10)) is None


def test_local_day_bounds_follow_the_dst_change():
    start, end = local_day_bounds(dt.date(2026, 11, 1), TORONTO)  # fall back: a 25-hour day
    assert end - start == dt.timedelta(hours=25)
    start, end = local_day_bounds(dt.date(2027, 3, 14), TORONTO)  # spring forward: 23 hours
    assert end - start == dt.timedelta(hours=23)


@pytest.mark.parametrize(
    ("loaded_on", "before", "after", "before_utc", "after_utc"),
    [
        # Spring forward on Sunday 14 March 2027: 08:00 is 13:00 UTC on Friday, 12:00 UTC on Monday.
        (dt.date(2027, 3, 10), dt.date(2027, 3, 12), dt.date(2027, 3, 15), 13, 12),
        # Fall back on Sunday 1 November 2026: 08:00 is 12:00 UTC on Friday, 13:00 UTC on Monday.
        (dt.date(2026, 10, 28), dt.date(2026, 10, 30), dt.date(2026, 11, 2), 12, 13),
    ],
)
def test_slots_across_a_dst_change_are_at_the_right_local_times(
    sqlite_url, tmp_path, loaded_on, before, after, before_utc, after_utc
):
    clock = Clock(local_to_utc(loaded_on, dt.time(9), TORONTO))
    rt = make_runtime(sqlite_url, clock, tmp_path)
    try:
        with rt.session_factory.begin() as s:
            expected = [f"{h:02d}:{m:02d}" for h in (8, 9, 10, 11, 13, 14, 15, 16) for m in (0, 15, 30, 45)]
            for day in (before, after):
                slots = slots_on(s, day)
                assert sorted(set(local_times(slots))) == expected
                assert len(slots) == 2 * len(expected)
                assert all(s.ends_at - s.starts_at == dt.timedelta(minutes=15) for s in slots)
            assert slots_on(s, before)[0].starts_at.hour == before_utc
            assert slots_on(s, after)[0].starts_at.hour == after_utc
            free = booking.find_free_slots(
                s, clinic(s), clock(), SlotQuery(date=after, part_of_day="afternoon")
            )
            assert local_times(free.slots) == ["13:00", "13:15", "13:30"]
            # The walk-in opens at 07:00 on the clinic's clock on the Monday after the change.
            assert next_opening(
                clinic(s), "walkin", local_to_utc(after, dt.time(6), TORONTO)
            ) == local_to_utc(after, dt.time(7), TORONTO)
            # No slot on the Sunday of the change (closed), and none at a nonexistent or doubled hour.
            assert slots_on(s, before + dt.timedelta(days=2)) == []
            assert s.scalar(select(Slot).where(Slot.starts_at.is_(None))) is None
    finally:
        rt.dispose()


# ---------------------------------------------------------------- patients' numbers


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("514 555 1234", "+15145551234"),
        ("+1 (438) 555-0001", "+14385550001"),
        ("+33612345678", "+33612345678"),
    ],
)
def test_phone_numbers_are_stored_in_e164(raw, e164):
    assert normalize_phone(raw) == e164


@pytest.mark.parametrize(
    "raw", [None, "", "anonymous", "Restricted", "+266696687", "+86282452253", "911", "abc", "😀", "1" * 1600]
)
def test_hidden_caller_ids_and_garbage_are_not_phone_numbers(raw):
    with pytest.raises(InvalidPhoneNumber):
        normalize_phone(raw)


def test_a_patient_is_created_once_per_number(session):
    first = get_or_create_patient(session, "+14385550001", lang="en")
    again = get_or_create_patient(session, "+14385550001", lang="fr")
    assert first.id == again.id
    assert again.lang == "en"
    assert len(session.scalars(select(Patient)).all()) == 1


def test_masked_numbers_keep_only_the_ends():
    assert mask_phone("+15145551234") == "+1514…1234"
    assert mask_phone(None) == "-"
    assert "5551" not in mask_phone("+15145551234")


def test_only_numbers_that_may_be_mobiles_take_sms():
    assert can_take_sms("+15145551234")  # Canadian numbers do not say whether they are mobiles
    assert not can_take_sms("+33123456789")  # a French landline
    assert can_take_sms("+33612345678")
