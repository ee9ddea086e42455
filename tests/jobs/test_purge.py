"""Retention: old conversations and answered webhook events are forgotten; recent ones stay."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from core.models import Conversation, ProcessedEvent


def test_the_purge_forgets_what_is_older_than_the_retention_period(jobs_runtime, clock):
    long_ago = clock() - dt.timedelta(days=31)
    with jobs_runtime.session_factory.begin() as s:
        for phone, expires in (("+15145553001", long_ago), ("+15145553002", clock())):
            s.add(
                Conversation(
                    channel="sms",
                    phone=phone,
                    clinic_id="parc",
                    state={},
                    updated_at=expires,
                    expires_at=expires,
                )
            )
        s.add(ProcessedEvent(key="sms:SMold", response="", at=long_ago))
        s.add(ProcessedEvent(key="sms:SMnew", response="", at=clock()))
    jobs_runtime.jobs.enqueue("core.jobs.tasks.purge_old_data")
    jobs_runtime.jobs.drain()
    with jobs_runtime.session_factory() as s:
        assert s.scalars(select(Conversation.phone)).all() == ["+15145553002"]
        assert s.scalars(select(ProcessedEvent.key)).all() == ["sms:SMnew"]
        assert s.scalar(select(func.count()).select_from(Conversation)) == 1
