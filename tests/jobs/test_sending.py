"""Sending through the twilio client: retries on transient errors, none on permanent ones, statuses recorded."""

from __future__ import annotations

import datetime as dt
import time

from core.jobs import attach_queue
from core.jobs.context import using
from core.jobs.tasks import send_confirmation
from core.services import notifications
from tests.conftest import make_runtime
from tests.jobs.conftest import WEDNESDAY, messages, twilio_settings
from tests.support.arrange import book, patient

ANNA = "+15145551001"
BOB = "+15145551002"


def confirmations(runtime) -> list:
    """The confirmation rows, oldest first (the booking also planned its reminder, not sent here)."""
    return [m for m in messages(runtime) if m.purpose.startswith("confirmation_")]


def confirm(runtime, phone: str) -> int:
    appointment_id = book(runtime, phone, day=WEDNESDAY, at=dt.time(10, 0)).id
    runtime.jobs.enqueue("core.jobs.tasks.send_confirmation", appointment_id, "booked")
    runtime.jobs.drain()
    return appointment_id


def test_a_transient_error_is_retried_with_backoff_until_it_goes(jobs_runtime, clock, fake_twilio):
    fake_twilio.fail(ANNA, 500)
    fake_twilio.fail(ANNA, 30003)
    confirm(jobs_runtime, ANNA)
    (message,) = confirmations(jobs_runtime)
    assert (message.status, message.attempts, message.error_code) == ("pending", 1, "20500")
    assert message.send_after == clock() + dt.timedelta(seconds=30)

    jobs_runtime.jobs.drain()  # not yet due
    assert len(fake_twilio.creates(to=ANNA)) == 1
    clock.advance(seconds=30)
    jobs_runtime.jobs.drain()
    (message,) = confirmations(jobs_runtime)
    assert (message.status, message.attempts, message.error_code) == ("pending", 2, "30003")

    clock.advance(seconds=120)
    jobs_runtime.jobs.drain()
    (message,) = confirmations(jobs_runtime)
    assert (message.status, message.attempts) == ("sent", 3)
    assert len(fake_twilio.creates(to=ANNA)) == 3
    assert len(fake_twilio.messages_to(ANNA)) == 1


def test_an_invalid_number_is_not_retried_and_switches_the_patient_to_calls(jobs_runtime, clock, fake_twilio):
    fake_twilio.fail(ANNA, 21211)
    confirm(jobs_runtime, ANNA)
    clock.advance(hours=1)
    jobs_runtime.jobs.enqueue("core.jobs.tasks.tick")
    jobs_runtime.jobs.drain()
    (message,) = confirmations(jobs_runtime)
    assert (message.status, message.attempts, message.error_code) == ("failed", 1, "21211")
    assert len(fake_twilio.creates(to=ANNA)) == 1
    assert patient(jobs_runtime, ANNA).notify_by == "call"


def test_an_opted_out_number_is_marked_and_never_texted_again(jobs_runtime, clock, fake_twilio):
    fake_twilio.fail(ANNA, 21610)
    appointment_id = confirm(jobs_runtime, ANNA)
    assert patient(jobs_runtime, ANNA).opted_out
    jobs_runtime.jobs.enqueue("core.jobs.tasks.send_confirmation", appointment_id, "cancelled")
    jobs_runtime.jobs.drain()
    first, second = confirmations(jobs_runtime)
    assert (first.status, first.error_code) == ("failed", "21610")
    assert (second.status, second.error_message) == ("not_sent", "patient opted out")
    assert len(fake_twilio.creates(to=ANNA)) == 1


def test_without_twilio_credentials_messages_are_stored_as_not_sent(sqlite_url, clock, tmp_path, fake_twilio):
    runtime = make_runtime(sqlite_url, clock, tmp_path, twilio_api_base_url=fake_twilio.base_url)
    attach_queue(runtime, background=False)
    try:
        confirm(runtime, ANNA)
        (message,) = confirmations(runtime)
        assert message.status == "not_sent"
        assert message.error_message == "no Twilio credentials"
        assert message.body.startswith("Clinique du Parc: RDV confirmé le mer. 9 déc. à 10 h avec")
        assert fake_twilio.requests == []
    finally:
        runtime.dispose()


def test_delivery_statuses_are_recorded_and_only_move_forward(jobs_runtime, fake_twilio):
    confirm(jobs_runtime, ANNA)
    (message,) = confirmations(jobs_runtime)
    with jobs_runtime.session_factory.begin() as s:
        assert (
            notifications.record_delivery_status(s, message.twilio_sid, "delivered", None).status
            == "delivered"
        )
    with jobs_runtime.session_factory.begin() as s:
        notifications.record_delivery_status(s, message.twilio_sid, "sent", None)  # a late, older callback
        assert notifications.record_delivery_status(s, "SM-not-ours", "delivered", None) is None
    (message,) = confirmations(jobs_runtime)
    assert message.status == "delivered"


def test_an_undelivered_landline_sms_switches_the_patient_to_calls(jobs_runtime, fake_twilio):
    confirm(jobs_runtime, ANNA)
    (message,) = confirmations(jobs_runtime)
    with jobs_runtime.session_factory.begin() as s:
        notifications.record_delivery_status(s, message.twilio_sid, "undelivered", "30006")
    (message,) = confirmations(jobs_runtime)
    assert (message.status, message.error_code) == ("failed", "30006")
    assert patient(jobs_runtime, ANNA).notify_by == "call"


def test_an_undelivered_sms_to_an_unreachable_handset_is_sent_again_later(jobs_runtime, clock, fake_twilio):
    confirm(jobs_runtime, ANNA)
    (message,) = confirmations(jobs_runtime)
    fake_twilio.set_status(message.twilio_sid, "undelivered", 30003)
    with jobs_runtime.session_factory.begin() as s:
        notifications.record_delivery_status(s, message.twilio_sid, "undelivered", "30003")
    clock.advance(minutes=1)
    jobs_runtime.jobs.enqueue("core.jobs.tasks.tick")
    jobs_runtime.jobs.drain()
    (message,) = confirmations(jobs_runtime)
    assert (message.status, message.attempts) == ("sent", 2)
    assert len(fake_twilio.messages_to(ANNA)) == 2


def test_the_embedded_default_sends_from_a_background_thread(sqlite_url, clock, tmp_path, fake_twilio):
    runtime = make_runtime(sqlite_url, clock, tmp_path, **twilio_settings(fake_twilio))
    attach_queue(runtime, background=True)
    try:
        appointment_id = book(runtime, BOB, day=WEDNESDAY, at=dt.time(10, 0)).id
        runtime.jobs.enqueue("core.jobs.tasks.send_confirmation", appointment_id, "booked")
        deadline = time.monotonic() + 10
        while not fake_twilio.messages_to(BOB) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        runtime.dispose()  # joins the threads
    (sms,) = fake_twilio.messages_to(BOB)
    assert "RDV confirmé" in sms["body"]
    assert confirmations(runtime)[0].status == "sent"


def test_a_job_run_twice_sends_once(jobs_runtime, fake_twilio):
    appointment_id = book(jobs_runtime, ANNA, day=WEDNESDAY, at=dt.time(10, 0)).id
    with using(jobs_runtime):
        send_confirmation(appointment_id, "booked")
        send_confirmation(appointment_id, "booked")
    assert len(fake_twilio.creates(to=ANNA)) == 1


def test_sending_and_retrying_on_each_database(database_url, clock, tmp_path, fake_twilio):
    runtime = make_runtime(database_url, clock, tmp_path, **twilio_settings(fake_twilio))
    attach_queue(runtime, background=False)
    try:
        fake_twilio.fail(ANNA, 500)
        confirm(runtime, ANNA)
        clock.advance(minutes=1)
        runtime.jobs.enqueue("core.jobs.tasks.tick")
        runtime.jobs.drain()
        (message,) = confirmations(runtime)
        assert (message.status, message.attempts) == ("sent", 2)
        assert len(fake_twilio.messages_to(ANNA)) == 1
    finally:
        runtime.dispose()
