"""A turn reads its conversation (locked) and the patient behind the number in one statement."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import OperationalError

from core.dialog import store
from core.models import InboxThread
from tests.support.apps import MARIE
from tests.support.turns import text_turn

OTHER = "+15145559876"


def _text(runtime, body: str) -> str:
    answer, _ = text_turn(runtime, MARIE, body, render=lambda reply: " ".join(say.key for say in reply.says))
    return answer


def test_a_first_turn_finds_neither_and_says_it_looked(any_runtime):
    with any_runtime.session_factory.begin() as s:
        loaded = store.load(s, "sms", MARIE, "parc", any_runtime.now(), MARIE)
    assert loaded.row is None
    assert loaded.known is not None
    assert loaded.known.patient is None
    assert loaded.known.threads_read
    assert loaded.known.open_thread_id is None
    assert loaded.state.question is None


def test_a_known_number_comes_with_its_conversation_and_patient(any_runtime):
    _text(any_runtime, "RDV")
    with any_runtime.session_factory.begin() as s:
        loaded = store.load(s, "sms", MARIE, "parc", any_runtime.now(), MARIE)
        assert loaded.row is not None
        assert loaded.row.phone == MARIE
        assert loaded.known.patient is not None
        assert loaded.known.patient.phone == MARIE
        assert loaded.state.question is not None


def test_another_number_reads_its_own_patient_beside_the_conversation(any_runtime):
    _text(any_runtime, "RDV")
    with any_runtime.session_factory.begin() as s:
        loaded = store.load(s, "sms", MARIE, "parc", any_runtime.now(), OTHER)
    assert loaded.row is not None
    assert loaded.known.patient is None


def test_without_a_number_no_patient_is_read(any_runtime):
    _text(any_runtime, "RDV")
    with any_runtime.session_factory.begin() as s:
        loaded = store.load(s, "sms", MARIE, "parc", any_runtime.now())
    assert loaded.row is not None
    assert loaded.known is None


def test_the_conversation_stays_locked_while_its_turn_runs(any_runtime):
    if any_runtime.engine.dialect.name != "postgresql":
        pytest.skip("SQLite serialises whole write transactions instead")
    _text(any_runtime, "RDV")
    with any_runtime.session_factory.begin() as first:
        store.load(first, "sms", MARIE, "parc", any_runtime.now(), MARIE)
        with any_runtime.session_factory.begin() as second:
            second.execute(text("SET LOCAL lock_timeout = '200ms'"))
            with pytest.raises(OperationalError, match="lock"):
                store.load(second, "sms", MARIE, "parc", any_runtime.now(), MARIE)


def test_an_open_inbox_thread_is_seen_by_sms_and_not_asked_for_by_voice(any_runtime):
    _text(any_runtime, "je veux parler a quelqu'un")
    with any_runtime.session_factory.begin() as s:
        by_text = store.load(s, "sms", MARIE, "parc", any_runtime.now(), MARIE)
        by_voice = store.load(s, "voice", "call:CA1", "parc", any_runtime.now(), MARIE)
    assert by_text.known.open_thread_id is not None
    assert not by_voice.known.threads_read
    assert by_voice.known.patient is not None


def test_a_text_while_a_thread_is_open_goes_to_staff_and_is_not_answered(any_runtime):
    _text(any_runtime, "je veux parler a quelqu'un")
    assert _text(any_runtime, "RDV demain") == ""
    with any_runtime.session_factory() as s:
        thread = s.scalar(select(InboxThread).where(InboxThread.phone == MARIE))
        assert [m.body for m in thread.messages][-1] == "RDV demain"
