"""Households: migrating a populated database turns each patient into a phone with its first person and
keeps every appointment and ticket, on both databases (and going back puts the names back)."""

from __future__ import annotations

import datetime as dt

from alembic import command
from sqlalchemy import text

from core.db import alembic_config, make_engine, upgrade

BEFORE = "0007_slow_voice"
AT = dt.datetime(2026, 12, 1, 14, 0)


def _populate(conn) -> None:
    conn.execute(
        text(
            "INSERT INTO clinics (id, name, default_lang, timezone, slot_minutes, walkin_enabled,"
            " walkin_capacity, walkin_minutes_per_patient, settings)"
            " VALUES ('parc', 'Clinique du Parc', 'fr', 'America/Toronto', 15, true, 30, 15, '{}')"
        )
    )
    conn.execute(
        text(
            "INSERT INTO practitioners (id, clinic_id, key, name, active)"
            " VALUES (1, 'parc', 'dre-a', 'Dre A', true)"
        )
    )
    patients = [(1, "+15145550111", "Léa Tremblay"), (2, "+15145550112", None), (3, "+15145550113", "Marc")]
    for pid, phone, name in patients:
        conn.execute(
            text(
                "INSERT INTO patients (id, phone, name, opted_out, notify_by, created_at, slow_voice)"
                " VALUES (:id, :phone, :name, false, 'sms', :at, false)"
            ),
            {"id": pid, "phone": phone, "name": name, "at": AT},
        )
    for i in range(6):
        start = AT + dt.timedelta(days=1, minutes=15 * i)
        conn.execute(
            text(
                "INSERT INTO slots (id, clinic_id, practitioner_id, starts_at, ends_at, status)"
                " VALUES (:id, 'parc', 1, :s, :e, 'booked')"
            ),
            {"id": i + 1, "s": start, "e": start + dt.timedelta(minutes=15)},
        )
        conn.execute(
            text(
                "INSERT INTO appointments (id, clinic_id, slot_id, patient_id, status, channel, code,"
                " starts_at, created_at) VALUES (:id, 'parc', :slot, :patient, :status, 'sms', :code, :s, :at)"
            ),
            {
                "id": i + 1,
                "slot": i + 1,
                "patient": i % 3 + 1,
                "status": "booked" if i < 4 else "cancelled",
                "code": f"C{i:03d}",
                "s": start,
                "at": AT,
            },
        )
    conn.execute(
        text(
            "INSERT INTO walkin_days (id, clinic_id, day, capacity, issued, closed)"
            " VALUES (1, 'parc', '2026-12-01', 30, 3, false)"
        )
    )
    for n in (1, 2, 3):
        conn.execute(
            text(
                "INSERT INTO walkin_tickets (id, walkin_day_id, clinic_id, patient_id, number, status, channel,"
                " notify_by, joined_at) VALUES (:id, 1, 'parc', :patient, :n, :status, 'sms', 'sms', :at)"
            ),
            {"id": n, "patient": n, "n": n, "status": "waiting" if n < 3 else "served", "at": AT},
        )


def _rows(conn, sql: str) -> list[tuple]:
    return [tuple(r) for r in conn.execute(text(sql)).all()]


def test_a_populated_database_migrates_without_losing_a_row(database_url):
    engine = make_engine(database_url)
    upgrade(engine, BEFORE)
    with engine.begin() as conn:
        _populate(conn)
        appointments_before = _rows(
            conn, "SELECT id, patient_id, slot_id, status, code FROM appointments ORDER BY id"
        )
        tickets_before = _rows(conn, "SELECT id, patient_id, number, status FROM walkin_tickets ORDER BY id")
    upgrade(engine)
    with engine.connect() as conn:
        people = _rows(conn, "SELECT patient_id, first_name, last_name FROM people ORDER BY patient_id")
        assert people == [(1, "Léa", "Tremblay"), (2, None, None), (3, "Marc", None)]
        assert _rows(conn, "SELECT id, patient_id, slot_id, status, code FROM appointments ORDER BY id") == (
            appointments_before
        )
        assert (
            _rows(conn, "SELECT id, patient_id, number, status FROM walkin_tickets ORDER BY id")
            == tickets_before
        )
        # Every row now belongs to the first person of its own phone.
        for table in ("appointments", "walkin_tickets"):
            mismatched = _rows(
                conn,
                f"SELECT t.id FROM {table} t JOIN people p ON p.id = t.person_id WHERE p.patient_id <> t.patient_id",
            )
            assert mismatched == []
            assert _rows(conn, f"SELECT COUNT(*) FROM {table} WHERE person_id IS NULL") == [(0,)]

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.downgrade(cfg, BEFORE)
    with engine.connect() as conn:
        assert _rows(conn, "SELECT id, name FROM patients ORDER BY id") == [
            (1, "Léa Tremblay"),
            (2, None),
            (3, "Marc"),
        ]
        assert len(_rows(conn, "SELECT id FROM appointments")) == 6
    engine.dispose()
