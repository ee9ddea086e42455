"""Twilio may deliver the same event again while the first delivery is still being answered."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from core.dialog.types import Inbound
from core.models import ProcessedEvent, WalkinTicket
from tests.support.apps import MARIE, RecordingQueue
from tests.support.turns import take_turn


def render(reply) -> str:
    return " | ".join(f"{s.key}{sorted(s.values.items())}" for s in reply.says)


def test_the_same_message_delivered_twice_at_once_acts_once_and_answers_the_same(any_runtime):
    any_runtime.jobs = RecordingQueue(any_runtime)
    barrier = threading.Barrier(4)
    answers: list[str] = []
    errors: list[BaseException] = []

    def deliver():
        try:
            barrier.wait()
            text, _ = take_turn(
                any_runtime,
                channel="sms",
                clinic="parc",
                conversation_key=MARIE,
                phone=MARIE,
                inbound=Inbound(kind="text", text="SANS RDV"),
                render=render,
                event_key="sms:SM-same",
            )
            answers.append(text)
        except BaseException as exc:  # the test reports it below
            errors.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(set(answers)) == 1
    assert "walkin_joined" in answers[0]
    with any_runtime.session_factory() as s:
        assert s.scalar(select(func.count()).select_from(WalkinTicket)) == 1
        assert s.scalar(select(func.count()).select_from(ProcessedEvent)) == 1
    assert any_runtime.jobs.paths().count("core.jobs.tasks.check_queue_notices") == 1
