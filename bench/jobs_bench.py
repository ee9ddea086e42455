"""How many messages a minute one rq worker sends against the local fake Twilio API.

    .venv/bin/python bench/jobs_bench.py [--messages 300] [--worker fork|simple]

Starts a redis-server and the fake Messages API, stores N pending SMS rows in a fresh SQLite database
(demo clinics), enqueues one send_message job per row, then times one `rq worker --burst` over them:
`fork` is the Procfile's worker (core.jobs.worker.Worker: a work horse forked per job), `simple` runs the
jobs in the worker process itself.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from core.clinics_file import EXAMPLE_FILE, load_clinics  # noqa: E402
from core.db import make_engine, make_session_factory, upgrade  # noqa: E402
from core.jobs.names import SEND_MESSAGE  # noqa: E402
from core.jobs.queue import QUEUE_NAME, RQQueue  # noqa: E402
from core.models import OutboundMessage, Patient, utcnow  # noqa: E402
from tests.support.fake_twilio import FakeTwilio  # noqa: E402
from tests.support.servers import RedisServer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300)
    parser.add_argument("--worker", choices=["fork", "simple"], default="fork")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="clinicline-bench-"))
    url = f"sqlite:///{tmp / 'bench.db'}"
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    now = utcnow()
    with sessions.begin() as session:
        load_clinics(session, EXAMPLE_FILE, now, 7)
        for i in range(args.messages):
            patient = Patient(phone=f"+1514555{i:04d}", lang="fr")
            session.add(patient)
            session.flush()
            session.add(
                OutboundMessage(
                    clinic_id="parc",
                    patient_id=patient.id,
                    to=patient.phone,
                    kind="sms",
                    purpose="bench",
                    body="Clinique du Parc: votre tour approche (no 12, 3 avant vous). Présentez-vous d'ici 45 min.",
                    dedupe_key=f"bench:{i}",
                    from_number="+15145550100",
                    send_after=now,
                    status="pending",
                )
            )
        ids = [m.id for m in session.query(OutboundMessage.id).order_by(OutboundMessage.id)]
    engine.dispose()

    redis = RedisServer().start()
    fake = FakeTwilio().start()
    try:
        queue = RQQueue(redis.url)
        for message_id in ids:
            queue.enqueue(SEND_MESSAGE, message_id)
        env = os.environ | {
            "DATABASE_URL": url,
            "CLINICLINE_INSTANCE": str(tmp),
            "TWILIO_ACCOUNT_SID": fake.account_sid,
            "TWILIO_AUTH_TOKEN": fake.auth_token,
            "TWILIO_API_BASE_URL": fake.base_url,
            "PUBLIC_BASE_URL": "https://clinic.example",
        }
        command = [
            str(Path(sys.executable).with_name("rq")),
            "worker",
            "--burst",
            "--url",
            redis.url,
            QUEUE_NAME,
        ]
        worker_class = {"fork": "core.jobs.worker.Worker", "simple": "rq.worker.SimpleWorker"}[args.worker]
        command[2:2] = ["-w", worker_class]
        started = time.perf_counter()
        subprocess.run(
            command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        elapsed = time.perf_counter() - started
        sent = len(fake.messages)
        print(
            f"{args.worker} worker: {sent}/{len(ids)} messages in {elapsed:.1f} s "
            f"= {sent / elapsed * 60:,.0f} messages/minute"
        )
    finally:
        fake.stop()
        redis.stop()


if __name__ == "__main__":
    main()
