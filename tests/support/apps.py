"""What the channel tests share: the demo numbers, a signed app's runtime, a job queue that only records."""

from __future__ import annotations

from tests.conftest import make_runtime

TOKEN = "test-token"
PARC = "+15145550100"
PARC_LINE = "+15145550199"  # the clinic's own number, forwarded to us when busy; also its reception
WESTMOUNT = "+15145550200"
MARIE = "+15145551234"
JOHN = "+15145559876"


class RecordingQueue:
    """A job queue that only remembers what was enqueued (the jobs have their own tests)."""

    def __init__(self):
        self.jobs: list[tuple[str, tuple, object]] = []

    def enqueue(self, path: str, *args, at=None) -> None:
        self.jobs.append((path, args, at))

    def paths(self) -> list[str]:
        return [path for path, _args, _at in self.jobs]

    def stop(self) -> None:
        pass


def signed_runtime(url: str, clock, tmp_path):
    """The demo clinics, webhooks signed with TOKEN, jobs recorded instead of run."""
    rt = make_runtime(url, clock, tmp_path, twilio_auth_token=TOKEN)
    rt.jobs = RecordingQueue()
    return rt
