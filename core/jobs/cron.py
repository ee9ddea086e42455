"""The periodic jobs on rq: `rq cron --url $REDIS_URL core/jobs/cron.py` (the Procfile's `clock:` process)."""

from rq import cron

from core.jobs.queue import QUEUE_NAME, TICK_SECONDS
from core.jobs.tasks import purge_old_data, tick

cron.register(tick, QUEUE_NAME, interval=TICK_SECONDS, job_timeout=300)
cron.register(
    purge_old_data, QUEUE_NAME, cron="17 3 * * *", job_timeout=600
)  # nightly, when the lines are quiet
