"""The delay from commit to the job's start through the outbox, with Redis up, against enqueueing directly.

A transaction writes one outbox row and commits; the process's dispatcher thread (woken by the commit)
hands it to rq; an rq worker (SimpleWorker, in a thread of this process) runs it and stamps the time. The
reference of the same run enqueues the job on rq right after the commit (what the code did before the
outbox). Also the embedded default: the in-process queue, no Redis. Starts its own redis-server.

    .venv/bin/python bench/outbox_delay.py --jobs 200
    DATABASE_URL=postgresql+psycopg://… .venv/bin/python bench/outbox_delay.py
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.clinics_file import EXAMPLE_FILE, load_clinics  # noqa: E402
from core.config import Config  # noqa: E402
from core.db import upgrade  # noqa: E402
from core.jobs import outbox  # noqa: E402
from core.jobs.context import using  # noqa: E402
from core.jobs.queue import QUEUE_NAME, InProcessQueue, RQQueue  # noqa: E402
from core.runtime import build_runtime  # noqa: E402
from tests.support.servers import RedisServer  # noqa: E402

STARTED: dict[int, float] = {}
DONE = threading.Condition()


def stamp(n: int) -> None:
    """The benchmark's job: note when it started."""
    with DONE:
        STARTED[n] = time.perf_counter()
        DONE.notify_all()


JOB = "bench.outbox_delay.stamp" if __name__ != "__main__" else "__main__.stamp"


def wait_for(n: int, seconds: float = 30) -> float:
    with DONE:
        DONE.wait_for(lambda: n in STARTED, timeout=seconds)
    return STARTED[n]


def measure(runtime, jobs: int, through_outbox: bool, first: int) -> list[float]:
    delays = []
    for n in range(first, first + jobs):
        with runtime.session_factory.begin() as session:
            if through_outbox:
                outbox.add(session, JOB, n, now=runtime.now())
        committed = time.perf_counter()
        if through_outbox:
            outbox.kick(runtime)
        else:
            runtime.jobs.enqueue(JOB, n)
        delays.append(wait_for(n) - committed)
        time.sleep(0.01)  # one patient at a time: the delay, not the throughput
    return delays


def summary(name: str, delays: list[float]) -> str:
    ordered = sorted(delays)
    p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
    return f"{name}: median {statistics.median(delays) * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms ({len(delays)} jobs)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200)
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="clinicline-outbox-"))
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder / 'bench.db'}"
    redis = RedisServer().start()
    try:
        config = Config.from_env({}, database_url=url, instance_path=folder, redis_url=redis.url)
        runtime = build_runtime(config)
        upgrade(runtime.engine)
        with runtime.session_factory.begin() as session:
            load_clinics(session, EXAMPLE_FILE, runtime.now(), 3)
        runtime.jobs = RQQueue(redis.url, runtime=runtime)  # with the web process's dispatcher thread
        from rq import Queue, SimpleWorker
        from rq.timeouts import TimerDeathPenalty

        class ThreadWorker(SimpleWorker):
            death_penalty_class = TimerDeathPenalty  # SIGALRM belongs to the main thread too

            def _install_signal_handlers(self):  # signals belong to the main thread
                pass

        connection = runtime.jobs.connection
        worker = ThreadWorker([Queue(QUEUE_NAME, connection=connection)], connection=connection)

        def work() -> None:
            with using(runtime):
                worker.work(burst=False, logging_level="WARNING")

        threading.Thread(target=work, daemon=True).start()
        print(f"database: {runtime.engine.url.render_as_string(hide_password=True)}")
        direct = measure(runtime, options.jobs, through_outbox=False, first=0)
        through = measure(runtime, options.jobs, through_outbox=True, first=100_000)
        print(summary("rq, enqueued after commit (reference)", direct))
        print(summary("rq, through the outbox", through))
        print(f"outbox / reference (median): {statistics.median(through) / statistics.median(direct):.1f}x")
        worker._stop_requested = True
        runtime.jobs.dispatcher.stop()  # the worker thread keeps its connection until the process ends

        runtime.jobs = InProcessQueue(runtime, background=True)
        embedded = measure(runtime, options.jobs, through_outbox=True, first=200_000)
        print(summary("embedded default (in-process queue), through the outbox", embedded))
        runtime.jobs.stop()
        runtime.engine.dispose()
    finally:
        redis.stop()


if __name__ == "__main__":
    main()
