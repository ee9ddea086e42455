"""The rq worker class of the Procfile: loads the jobs' code once, so each forked work horse starts warm."""

from rq.worker import Worker as _RQWorker

import core.jobs.sender  # noqa: F401  (the REST client's Messages and Calls modules)
import core.jobs.tasks  # noqa: F401  (the jobs, the models, the services, the prompts)


class Worker(_RQWorker):
    """rq's forking worker; a horse builds its runtime from the environment (core.jobs.context)."""
