"""What clinicline counts for Prometheus: turns, their latency, degraded answers (see clinicline/metrics.py).

The counters live in prometheus-client's default registry; with PROMETHEUS_MULTIPROC_DIR set (before the
process starts) they are kept in files of that folder and summed over gunicorn's worker processes at scrape
time. Values that are state, not events (spool depth, messages by status, queue lengths), are read when
scraped (StateCollector) and never double-counted across processes.
"""

from __future__ import annotations

import logging

from prometheus_client import Counter, Histogram
from prometheus_client.core import GaugeMetricFamily

log = logging.getLogger(__name__)

TURNS = Counter(
    "clinicline_turns",
    "Webhook requests answered, by channel and outcome (ok, degraded, refused, error)",
    ["channel", "outcome"],
)
TURN_SECONDS = Histogram(
    "clinicline_turn_seconds",
    "Time to answer a webhook, by channel",
    ["channel"],
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 15.0),
)
DEGRADED_ANSWERS = Counter(
    "clinicline_degraded_answers",
    "Answers given without the database, by channel and what was answered",
    ["channel", "answer"],
)


class StateCollector:
    """Gauges read at scrape time: spool depth, outbound messages by status, walk-in queues, the job queue."""

    def __init__(self, runtime):
        self.runtime = runtime

    def collect(self):
        from core.spool import spool_for

        spool = GaugeMetricFamily(
            "clinicline_spool_depth", "Spooled requests waiting for replay on this host"
        )
        try:
            spool.add_metric([], spool_for(self.runtime).depth())
        except OSError:
            log.exception("spool depth unreadable")
        yield spool
        database = GaugeMetricFamily("clinicline_database_up", "Whether the database answered this scrape")
        try:
            messages, queues = self._from_database()
            database.add_metric([], 1)
        except Exception:  # the database is down: say so, and leave out what only it knows
            database.add_metric([], 0)
            messages = queues = None
        yield database
        if messages is not None:
            family = GaugeMetricFamily(
                "clinicline_outbound_messages",
                "Outbound messages by kind and status",
                labels=["kind", "status"],
            )
            for (kind, status), count in sorted(messages.items()):
                family.add_metric([kind, status], count)
            yield family
            family = GaugeMetricFamily(
                "clinicline_walkin_waiting", "Patients waiting in today's walk-in queue", labels=["clinic"]
            )
            for clinic, count in sorted(queues.items()):
                family.add_metric([clinic], count)
            yield family
        jobs = self._job_queue_length()
        if jobs is not None:
            family = GaugeMetricFamily("clinicline_job_queue_length", "Jobs waiting on the job queue")
            family.add_metric([], jobs)
            yield family

    def _from_database(self):
        from sqlalchemy import func, select

        from core.models import WAITING_TICKET_STATUSES, Clinic, OutboundMessage, WalkinDay, WalkinTicket
        from core.services.clinics import local_now

        with self.runtime.session_factory() as session:
            messages = {
                (kind, status): count
                for kind, status, count in session.execute(
                    select(OutboundMessage.kind, OutboundMessage.status, func.count()).group_by(
                        OutboundMessage.kind, OutboundMessage.status
                    )
                )
            }
            queues = {}
            now = self.runtime.now()
            for clinic in session.scalars(select(Clinic).where(Clinic.walkin_enabled.is_(True))):
                queues[clinic.id] = session.scalar(
                    select(func.count())
                    .select_from(WalkinTicket)
                    .join(WalkinDay)
                    .where(
                        WalkinDay.clinic_id == clinic.id,
                        WalkinDay.day == local_now(clinic, now).date(),
                        WalkinTicket.status.in_(WAITING_TICKET_STATUSES),
                    )
                )
        return messages, queues

    def _job_queue_length(self) -> int | None:
        jobs = self.runtime.jobs
        if hasattr(jobs, "pending"):
            return jobs.pending()
        queue = getattr(jobs, "queue", None)
        if queue is None:
            return None
        try:
            return queue.count
        except Exception:  # Redis down: no figure rather than a wrong one
            return None
