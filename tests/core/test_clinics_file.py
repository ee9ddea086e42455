"""The clinics file: idempotent loading, slot regeneration that never touches a patient's slot, clear errors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import MetaData, select

from clinicline.cli import main
from core.clinics_file import EXAMPLE_FILE, ClinicsFileError, load_clinics
from core.models import Appointment, Clinic, ClinicNumber, OpeningHours, Practitioner, Slot, SlotStatus
from core.services import booking
from tests.core.helpers import TUESDAY, clinic, local, local_times, patient, slot_at, slots_at, slots_on

EXAMPLE = EXAMPLE_FILE.read_text(encoding="utf-8")


def dump(engine) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order."""
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        return {
            table.name: [
                tuple(row)
                for row in conn.execute(
                    table.select().order_by(*(table.primary_key.columns or table.columns))
                )
            ]
            for table in meta.sorted_tables
        }


def write(tmp_path: Path, text: str, name: str = "clinics.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load(rt, path: Path, now: dt.datetime):
    with rt.session_factory.begin() as s:
        return load_clinics(s, path, now, rt.config.slot_horizon_days)


def test_the_example_file_is_the_demo_clinics_file():
    assert (Path(__file__).parents[2] / "examples" / "clinics.toml").read_text(encoding="utf-8") == EXAMPLE


def test_loading_the_example_file_twice_leaves_the_same_database(any_runtime, clock):
    before = dump(any_runtime.engine)
    assert len(before["slots"]) > 1000
    assert len(before["clinics"]) == 2
    report = load(any_runtime, EXAMPLE_FILE, clock())
    assert (report.clinics, report.slots_added, report.slots_withdrawn) == (["parc", "westmount"], 0, 0)
    assert dump(any_runtime.engine) == before


def test_loading_again_the_next_day_only_adds_the_new_last_day(runtime, clock):
    with runtime.session_factory.begin() as s:
        booked = booking.book(s, slot_at(s, local(TUESDAY, 10)).id, patient(s, 1), "sms", clock())
    before = dump(runtime.engine)
    report = load(runtime, EXAMPLE_FILE, clock.advance(days=1))
    assert report.slots_withdrawn == 0
    assert report.slots_added > 0
    after = dump(runtime.engine)
    assert set(before["slots"]) <= set(after["slots"])
    assert before["appointments"] == after["appointments"]
    with runtime.session_factory.begin() as s:
        assert s.get(Slot, booked.slot_id).status == SlotStatus.BOOKED


def test_the_demo_clinics_are_as_designed(session):
    parc, westmount = clinic(session), clinic(session, "westmount")
    assert (parc.name, parc.default_lang, parc.timezone) == ("Clinique du Parc", "fr", "America/Toronto")
    assert {(n.number, n.kind) for n in parc.numbers} == {
        ("+15145550100", "twilio"),
        ("+15145550199", "forwarded"),
    }
    assert (parc.walkin_enabled, parc.walkin_capacity, parc.walkin_opens) == (True, 30, dt.time(7))
    assert [p.name for p in parc.practitioners] == ["Dre Tremblay", "Dr Nguyen"]
    assert (westmount.default_lang, westmount.slot_minutes, westmount.walkin_enabled) == ("en", 20, False)
    assert local_times(slots_on(session, TUESDAY, "westmount"))[:3] == ["09:00", "09:20", "09:40"]
    assert slots_on(session, dt.date(2026, 12, 12)) == []  # no appointments on Saturday


def test_changed_hours_withdraw_free_slots_only(runtime, clock, tmp_path):
    with runtime.session_factory.begin() as s:
        booked_slot = slot_at(s, local(TUESDAY, 8)).id
        booked = booking.book(s, booked_slot, patient(s, 1), "sms", clock())
        held_slot = slot_at(s, local(TUESDAY, 9)).id
        booking.hold_slot(s, held_slot, "call:A", clock(), minutes=5)
        cancelled_slot = slot_at(s, local(TUESDAY, 10)).id
        booking.cancel(s, booking.book(s, cancelled_slot, patient(s, 2), "sms", clock()).id, clock(), "sms")
        untouched = {
            (sl.id, sl.starts_at, sl.status)
            for sl in slots_on(s, TUESDAY)
            if sl.starts_at >= local(TUESDAY, 13)
        }
    afternoons_only = EXAMPLE.replace(
        '"mon-fri" = ["08:00-12:00", "13:00-17:00"]', '"mon-fri" = ["13:00-17:00"]'
    )
    report = load(runtime, write(tmp_path, afternoons_only), clock())
    assert report.slots_added == 0
    assert report.slots_withdrawn > 0
    with runtime.session_factory.begin() as s:
        assert s.get(Slot, booked_slot).status == SlotStatus.BOOKED
        assert s.get(Appointment, booked.id).status == "booked"
        assert s.get(Slot, held_slot).status == SlotStatus.HELD
        assert s.get(Slot, cancelled_slot).status == SlotStatus.BLOCKED  # kept: an appointment refers to it
        mornings = [sl for sl in slots_on(s, TUESDAY) if sl.starts_at < local(TUESDAY, 12)]
        assert {sl.id for sl in mornings} == {booked_slot, held_slot, cancelled_slot}
        assert {
            (sl.id, sl.starts_at, sl.status)
            for sl in slots_on(s, TUESDAY)
            if sl.starts_at >= local(TUESDAY, 13)
        } == untouched
        free = booking.find_free_slots(s, clinic(s), clock(), booking.SlotQuery(date=TUESDAY))
        assert local_times(free.slots) == ["13:00", "13:15", "13:30"]
        hours = s.scalars(
            select(OpeningHours).where(OpeningHours.clinic_id == "parc", OpeningHours.kind == "appointments")
        )
        assert {(h.opens, h.closes) for h in hours} == {(dt.time(13), dt.time(17))}


def test_a_longer_slot_never_overlaps_a_booked_one(runtime, clock, tmp_path):
    with runtime.session_factory.begin() as s:
        at_815 = slots_at(s, local(TUESDAY, 8, 15))
        booking.book(s, at_815[0].id, patient(s, 1), "sms", clock())
        practitioner = at_815[0].practitioner_id
    load(runtime, write(tmp_path, EXAMPLE.replace("slot_minutes = 15", "slot_minutes = 20", 1)), clock())
    with runtime.session_factory.begin() as s:
        hers = [sl for sl in slots_on(s, TUESDAY) if sl.practitioner_id == practitioner]
        for a, b in zip(hers, hers[1:], strict=False):
            assert a.ends_at <= b.starts_at, (local_times([a, b]), a.status, b.status)
        assert local_times(hers)[:3] == [
            "08:15",
            "08:40",
            "09:00",
        ]  # 08:00-08:20 and 08:20-08:40 would overlap
        assert all(
            sl.ends_at - sl.starts_at == dt.timedelta(minutes=20)
            for sl in hers
            if sl.status == SlotStatus.FREE
        )


def test_a_practitioner_who_leaves_keeps_their_booked_slots_only(runtime, clock, tmp_path):
    with runtime.session_factory.begin() as s:
        nguyen = s.scalar(select(Practitioner).where(Practitioner.key == "dr-nguyen"))
        slot = next(sl for sl in slots_at(s, local(TUESDAY, 11)) if sl.practitioner_id == nguyen.id)
        booking.book(s, slot.id, patient(s, 1), "sms", clock())
    without = EXAMPLE.replace('[[clinic.practitioner]]\nkey = "dr-nguyen"\nname = "Dr Nguyen"\n', "")
    assert without != EXAMPLE
    load(runtime, write(tmp_path, without), clock())
    with runtime.session_factory.begin() as s:
        nguyen = s.scalar(select(Practitioner).where(Practitioner.key == "dr-nguyen"))
        assert not nguyen.active
        assert [sl.id for sl in s.scalars(select(Slot).where(Slot.practitioner_id == nguyen.id))] == [slot.id]


def test_numbers_and_names_are_updated_in_place(runtime, clock, tmp_path):
    changed = EXAMPLE.replace(
        'forwarded_lines = ["+15145550199"]', 'forwarded_lines = ["+15145550198"]'
    ).replace('name = "Dre Tremblay"', 'name = "Dre Tremblay-Roy"')
    load(runtime, write(tmp_path, changed), clock())
    with runtime.session_factory.begin() as s:
        assert {
            n.number for n in s.scalars(select(ClinicNumber).where(ClinicNumber.kind == "forwarded"))
        } == {"+15145550198"}
        assert (
            s.scalar(select(Practitioner.name).where(Practitioner.key == "dre-tremblay"))
            == "Dre Tremblay-Roy"
        )
        assert len(s.scalars(select(Practitioner)).all()) == 3


BAD_FILES = {
    "not toml": ("[[clinic]\nid = ", "clinics.toml"),
    "no clinic": ("title = 'x'\n", "no [[clinic]] table"),
    "a single [clinic]": ('[clinic]\nid = "x"\n', "no [[clinic]] table"),
    "no id": ('[[clinic]]\nname = "X"\ntwilio_numbers = ["+15145550100"]\n', "has no id"),
    "no name": ('[[clinic]]\nid = "x"\ntwilio_numbers = ["+15145550100"]\n', "x: name is missing"),
    "no number": ('[[clinic]]\nid = "x"\nname = "X"\n', "x: at least one twilio_numbers"),
    "bad number": (
        '[[clinic]]\nid = "x"\nname = "X"\ntwilio_numbers = ["12"]\n',
        "x: invalid phone number '12'",
    ),
    "bad time": (
        '[[clinic]]\nid = "x"\nname = "X"\ntwilio_numbers = ["+15145550100"]\n'
        '[clinic.appointments.hours]\n"mon-fri" = ["8h-12h"]\n',
        "x: invalid time '8h'",
    ),
    "bad day": (
        '[[clinic]]\nid = "x"\nname = "X"\ntwilio_numbers = ["+15145550100"]\n'
        '[clinic.appointments.hours]\n"lun-ven" = ["08:00-12:00"]\n',
        "x: unknown day 'lun-ven'",
    ),
    "backwards hours": (
        '[[clinic]]\nid = "x"\nname = "X"\ntwilio_numbers = ["+15145550100"]\n'
        '[clinic.appointments.hours]\n"mon" = ["12:00-08:00"]\n',
        "closes before it opens",
    ),
    "zero-minute slots": (
        '[[clinic]]\nid = "x"\nname = "X"\ntwilio_numbers = ["+15145550100"]\nslot_minutes = 0\n',
        "x: slot_minutes must be a whole number from 5 to 240",
    ),
    "unknown zone": (
        '[[clinic]]\nid = "x"\nname = "X"\ntwilio_numbers = ["+15145550100"]\ntimezone = "Montreal"\n',
        "x: unknown timezone 'Montreal'",
    ),
    "bad language": (
        '[[clinic]]\nid = "x"\nname = "X"\ntwilio_numbers = ["+15145550100"]\ndefault_lang = "de"\n',
        "x: default_lang must be one of fr, en",
    ),
    "bad walk-in": (
        '[[clinic]]\nid = "x"\nname = "X"\ntwilio_numbers = ["+15145550100"]\n'
        '[clinic.walkin]\ndays = "mon-sat"\ncapacity = "thirty"\n',
        "x: capacity must be a whole number",
    ),
    "practitioner without key": (
        '[[clinic]]\nid = "x"\nname = "X"\ntwilio_numbers = ["+15145550100"]\n[[clinic.practitioner]]\nname = "Dr X"\n',
        "x: every [[clinic.practitioner]] needs a key",
    ),
    "twice the same id": (
        '[[clinic]]\nid = "x"\nname = "X"\n[[clinic]]\nid = "x"\nname = "Y"\n',
        "clinic id given twice: x",
    ),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_a_bad_file_gives_a_clear_error_and_changes_nothing(runtime, clock, tmp_path, case):
    text, message = BAD_FILES[case]
    before = dump(runtime.engine)
    with pytest.raises(ClinicsFileError) as error:
        load(runtime, write(tmp_path, text), clock())
    assert message in str(error.value)
    assert dump(runtime.engine) == before


def test_a_missing_file_gives_a_clear_error(session, clock, tmp_path):
    with pytest.raises(ClinicsFileError, match="missing.toml"):
        load_clinics(session, tmp_path / "missing.toml", clock())


# ---------------------------------------------------------------- command line


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """The command line on a temporary SQLite database."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("CLINICLINE_INSTANCE", str(tmp_path / "instance"))
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)


def test_clinics_load_and_list_from_the_command_line(cli):
    assert "no clinics loaded" in cli("clinics", "list").output
    first = cli("clinics", "load", str(EXAMPLE_FILE))
    assert first.exit_code == 0
    assert first.output.startswith("loaded parc, westmount:")
    again = cli("clinics", "load", str(EXAMPLE_FILE))
    assert again.exit_code == 0
    assert "0 slots added, 0 withdrawn" in again.output
    listing = cli("clinics", "list")
    assert listing.exit_code == 0
    parc, westmount = listing.output.splitlines()
    assert parc.startswith("parc")
    assert "+15145550100 (twilio)" in parc
    assert "+15145550199 (forwarded)" in parc
    assert "walk-in 30 places" in parc
    assert "2 practitioner(s)" in parc
    assert westmount.startswith("westmount")
    assert "no walk-in" in westmount


def test_a_bad_clinics_file_on_the_command_line_is_an_error_message_not_a_traceback(cli, tmp_path):
    result = CliRunner().invoke(main, ["clinics", "load", str(write(tmp_path, BAD_FILES["bad time"][0]))])
    assert result.exit_code == 1
    assert "Error: x: invalid time '8h'" in result.output
    assert "Traceback" not in result.output


def test_clinics_in_the_database_after_the_command(cli, tmp_path):
    cli("clinics", "load", str(EXAMPLE_FILE))
    from core.db import make_engine, make_session_factory

    engine = make_engine(f"sqlite:///{tmp_path / 'cli.db'}")
    with make_session_factory(engine)() as s:
        assert sorted(s.scalars(select(Clinic.id))) == ["parc", "westmount"]
    engine.dispose()
