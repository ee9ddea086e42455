"""Concurrent walk-in turns on SQLite: the process's writer lock against SQLite's own busy handler.

Eight threads each send 40 "SANS RDV" texts from distinct patients through the app (Flask test client,
in-process jobs on their threads), first with core.db.SQLITE_WRITER_LOCK on, then off (the reference),
twice each, alternating; prints turns per second and latency percentiles of each run.

    .venv/bin/python bench/sqlite_writers.py
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import core.db  # noqa: E402
from clinicline.app import create_app  # noqa: E402
from clinicline.cli import prepare_embedded  # noqa: E402
from core.config import Config  # noqa: E402
from core.jobs import attach_queue  # noqa: E402
from core.runtime import build_runtime  # noqa: E402
from tests.faults.load import phone  # noqa: E402
from tests.faults.processes import clinics_file  # noqa: E402


def run(lock: bool, threads: int = 8, each: int = 40) -> str:
    core.db.SQLITE_WRITER_LOCK = lock
    folder = Path(tempfile.mkdtemp(prefix="clinicline-writers-"))
    config = Config.from_env(
        {"CLINICLINE_INSTANCE": str(folder), "CLINICLINE_CLINICS": str(clinics_file(folder, 3000))}
    )
    prepare_embedded(config)
    runtime = build_runtime(config)
    attach_queue(runtime, background=True)
    app = create_app(runtime=runtime)
    latencies: list[float] = []

    def patient_thread(t: int) -> None:
        client = app.test_client()
        for i in range(each):
            n = t * 1000 + i
            form = {"MessageSid": f"SM{n:032x}", "From": phone(n), "To": "+15145550100", "Body": "SANS RDV"}
            start = time.perf_counter()
            client.post("/sms", data=form)
            latencies.append(time.perf_counter() - start)

    start = time.perf_counter()
    workers = [threading.Thread(target=patient_thread, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    wall = time.perf_counter() - start
    runtime.dispose()
    latencies.sort()
    pick = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000  # noqa: E731
    return (
        f"writer lock {'on ' if lock else 'off'}: {len(latencies) / wall:.1f} turns/s, p50 {pick(0.5):.0f} ms, "
        f"p99 {pick(0.99):.0f} ms, max {latencies[-1] * 1000:.0f} ms"
    )


if __name__ == "__main__":
    for lock in (True, False, True, False):
        print(run(lock), flush=True)
