"""Every call we place asks Twilio for answering-machine detection, which the fake Twilio checks and records."""

from __future__ import annotations

import datetime as dt

import pytest

from core.jobs import attach_queue
from tests.conftest import make_runtime
from tests.jobs.conftest import PUBLIC, WEDNESDAY, messages, twilio_settings
from tests.jobs.test_reminder_calls import LANDLINE, call_only, plan, tick
from tests.support.arrange import book, fill_queue


def test_a_reminder_call_is_placed_with_detection_that_waits_for_the_greeting_to_end(
    jobs_runtime, clock, fake_twilio
):
    call_only(jobs_runtime, LANDLINE)
    appointment_id = book(jobs_runtime, LANDLINE, day=WEDNESDAY, at=dt.time(10, 0)).id
    plan(jobs_runtime, appointment_id)
    clock.set_local(dt.date(2026, 12, 8), dt.time(10, 0))
    tick(jobs_runtime)
    (call,) = fake_twilio.creates("Calls", to=LANDLINE)
    assert call.value("MachineDetection") == "DetectMessageEnd"
    assert call.value("MachineDetectionTimeout") == "45"
    assert call.value("AsyncAmd") is None  # synchronous: the URL is asked once detection has decided
    assert call.value("Url") == f"{PUBLIC}/voice/reminder/{appointment_id}"
    (placed,) = fake_twilio.calls_to(LANDLINE)
    fake_twilio.answer_call(placed["sid"], "machine_end_beep")
    assert fake_twilio.calls_to(LANDLINE)[0]["answered_by"] == "machine_end_beep"


def test_a_walk_in_notice_call_is_placed_with_detection_too(jobs_runtime, fake_twilio):
    phones = [f"+1514555{2000 + i}" for i in range(8)]
    fill_queue(jobs_runtime, phones, notify_by={phones[1]: "call"})
    jobs_runtime.jobs.enqueue("core.jobs.tasks.check_queue_notices", "parc")
    jobs_runtime.jobs.drain()
    (call,) = fake_twilio.creates("Calls", to=phones[1])
    assert call.value("MachineDetection") == "DetectMessageEnd"


@pytest.mark.parametrize(
    ("setting", "sent", "status"), [("", None, "sent"), ("Sometimes", "Sometimes", "failed")]
)
def test_detection_can_be_turned_off_and_a_value_twilio_refuses_fails_the_call(
    sqlite_url, clock, tmp_path, fake_twilio, setting, sent, status
):
    runtime = make_runtime(sqlite_url, clock, tmp_path, **twilio_settings(fake_twilio))
    runtime.config.extra["machine_detection"] = setting
    attach_queue(runtime, background=False)
    try:
        call_only(runtime, LANDLINE)
        appointment_id = book(runtime, LANDLINE, day=WEDNESDAY, at=dt.time(10, 0)).id
        plan(runtime, appointment_id)
        clock.set_local(dt.date(2026, 12, 8), dt.time(10, 0))
        tick(runtime)
        (call,) = fake_twilio.creates("Calls", to=LANDLINE)
        assert call.value("MachineDetection") == sent
        (reminder,) = messages(runtime, purpose="reminder")
        assert reminder.status == status
        if status == "failed":
            assert reminder.error_code == "21234"  # Twilio: invalid Machine Detection configuration value
    finally:
        runtime.dispose()
