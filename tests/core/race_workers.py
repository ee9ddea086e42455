"""What each process of a multi-process race runs: its own engine, its own sessions, then the race."""

from __future__ import annotations

import datetime as dt

from core.db import make_engine, make_session_factory, ping
from core.errors import DomainError
from core.models import Clinic, Patient
from core.services import booking, walkin


def _outcome(sessions, work) -> str:
    try:
        with sessions.begin() as s:
            return work(s)
    except DomainError as exc:
        return type(exc).__name__
    except Exception as exc:  # reported to the parent, which fails the test with it
        return f"unexpected: {exc!r}"


def book_in_process(url: str, slot_id: int, patient_id: int, now: dt.datetime, barrier, results) -> None:
    """Book one slot for one patient once every process is ready."""
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    ping(engine)  # connect before the start line
    barrier.wait(120)

    def work(s):
        appointment = booking.book(s, slot_id, s.get(Patient, patient_id), "sms", now)
        return f"booked:{appointment.id}"

    results.put(_outcome(sessions, work))
    engine.dispose()


def join_in_process(url: str, patient_ids: list[int], now: dt.datetime, barrier, results) -> None:
    """Join the parc walk-in queue for several patients, one transaction each, once every process is ready."""
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    ping(engine)
    barrier.wait(120)
    for patient_id in patient_ids:

        def work(s, patient_id=patient_id):
            ticket = walkin.join_walkin_queue(
                s, s.get(Clinic, "parc"), s.get(Patient, patient_id), "sms", now
            )
            return f"ticket:{ticket.number}"

        results.put(_outcome(sessions, work))
    engine.dispose()
