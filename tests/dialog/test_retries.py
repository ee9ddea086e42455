"""Twilio may deliver the same event again while the first delivery is still being answered."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from core.models import ProcessedEvent, WalkinTicket
from tests.support.apps import MARIE, RecordingQueue
from tests.support.arrange import booked
from tests.support.turns import text_turn


def render(reply) -> str:
    return " | ".join(f"{s.key}{sorted(s.values.items())}" for s in reply.says)


def test_the_same_message_delivered_twice_at_once_acts_once_and_answers_the_same(any_runtime):
    any_runtime.jobs = RecordingQueue(any_runtime)
    answers, errors = _deliver_at_once(any_runtime, [("SANS RDV", "sms:SM-same")], copies=4)
    assert not errors
    assert len(set(answers)) == 1
    assert "walkin_joined" in answers[0]
    with any_runtime.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(WalkinTicket)) == 1
        assert s.scalar(select(func.count()).select_from(ProcessedEvent)) == 1
    assert any_runtime.jobs.paths().count("core.jobs.tasks.check_queue_notices") == 1


def _deliver_at_once(runtime, texts: list[tuple[str, str | None]], copies: int) -> tuple[list[str], list]:
    """The last text delivered `copies` times at the same instant (after the others, one by one)."""
    *before, (last, key) = texts
    for body, event_key in before:
        text_turn(runtime, MARIE, body, render=render, event_key=event_key)
    barrier = threading.Barrier(copies)
    answers: list[str] = []
    errors: list[BaseException] = []

    def deliver():
        try:
            barrier.wait()
            text, _ = text_turn(runtime, MARIE, last, render=render, event_key=key)
            answers.append(text)
        except BaseException as exc:  # the test reports it below
            errors.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(copies)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return answers, errors


def test_a_confirming_yes_delivered_three_times_at_once_books_once_and_answers_the_same(any_runtime):
    any_runtime.jobs = RecordingQueue(any_runtime)
    answers, errors = _deliver_at_once(
        any_runtime,
        [("RDV", "sms:SM-1"), ("1", "sms:SM-2"), ("Marie Tremblay", "sms:SM-3"), ("OUI", "sms:SM-yes")],
        copies=3,
    )
    assert not errors
    assert len(answers) == 3
    assert len(set(answers)) == 1
    assert "booked" in answers[0]
    assert len(booked(any_runtime, MARIE)) == 1
    with any_runtime.session_factory() as s:
        assert (
            s.scalar(select(ProcessedEvent.response).where(ProcessedEvent.key == "sms:SM-yes")) == answers[0]
        )


def test_a_retry_after_the_answer_gets_the_same_words_and_changes_nothing(any_runtime):
    any_runtime.jobs = RecordingQueue(any_runtime)
    turns = [("RDV", "sms:SM-1"), ("1", "sms:SM-2"), ("Marie Tremblay", "sms:SM-3"), ("OUI", "sms:SM-yes")]
    answers, errors = _deliver_at_once(any_runtime, turns, copies=1)
    assert not errors
    jobs_before = len(any_runtime.jobs.paths())
    again, _ = text_turn(any_runtime, MARIE, "OUI", render=render, event_key="sms:SM-yes")
    assert again == answers[0]
    assert len(booked(any_runtime, MARIE)) == 1
    assert len(any_runtime.jobs.paths()) == jobs_before
