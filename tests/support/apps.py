"""What the channel tests share: the demo numbers, a signed app's runtime, a job queue that only records."""

from __future__ import annotations

from sqlalchemy import select

from core.models import OutboxJob
from tests.conftest import make_runtime

TOKEN = "test-token"
PARC = "+15145550100"
PARC_LINE = "+15145550199"  # the clinic's own number, forwarded to us when busy; also its reception
WESTMOUNT = "+15145550200"
MARIE = "+15145551234"
JOHN = "+15145559876"


class RecordingQueue:
    """A job queue that runs nothing: it lists what was enqueued and what the outbox holds (jobs have their own tests)."""

    def __init__(self, runtime=None):
        self.runtime = runtime
        self.enqueued: list[tuple[str, tuple, object]] = []

    def enqueue(self, path: str, *args, at=None) -> None:
        self.enqueued.append((path, args, at))

    @property
    def jobs(self) -> list[tuple[str, tuple, object]]:
        """(path, args, at) of the jobs asked for: enqueued directly, or written in the outbox by a commit."""
        written = []
        if self.runtime is not None:
            with self.runtime.session_factory() as session:
                rows = session.scalars(select(OutboxJob).order_by(OutboxJob.id))
                written = [
                    (row.job, tuple(row.args), row.due_at if row.due_at > row.created_at else None)
                    for row in rows
                ]
        return self.enqueued + written

    def paths(self) -> list[str]:
        return [path for path, _args, _at in self.jobs]

    def stop(self) -> None:
        pass


def signed_runtime(url: str, clock, tmp_path):
    """The demo clinics, webhooks signed with TOKEN, jobs recorded instead of run."""
    rt = make_runtime(url, clock, tmp_path, twilio_auth_token=TOKEN)
    rt.jobs = RecordingQueue(rt)
    return rt
