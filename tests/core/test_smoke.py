import datetime as dt

from core.models import Clinic
from core.services import booking, walkin
from core.services.patients import get_or_create_patient


def test_book_and_join_on_each_database(any_runtime, clock):
    now = clock()
    with any_runtime.session_factory.begin() as s:
        parc = s.get(Clinic, "parc")
        free = booking.find_free_slots(
            s, parc, now, booking.SlotQuery(date=dt.date(2026, 12, 8), part_of_day="afternoon")
        )
        assert free.exact
        assert len(free.slots) == 3
        patient = get_or_create_patient(s, "+15145551234")
        appt = booking.book(s, free.slots[0].id, patient, "sms", now)
        ticket = walkin.join_walkin_queue(s, parc, patient, "sms", now)
        assert ticket.number == 1
        assert len(appt.code) == 6
