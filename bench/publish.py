"""What serving the SMART Scheduling Links files costs: a rebuild against a cached answer and a 304.

    .venv/bin/python bench/publish.py [--requests 200]

Demo clinics in a fresh SQLite database (two clinics, 30 days of slots), the Flask app in-process. The
reference is one rebuild of the whole data set (what every request would cost without the cache); the
figures are per request, and each ratio says how many times cheaper than a rebuild.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from clinicline.app import create_app  # noqa: E402
from core.clinics_file import EXAMPLE_FILE, load_clinics  # noqa: E402
from core.config import Config  # noqa: E402
from core.db import make_engine, make_session_factory, upgrade  # noqa: E402
from core.federation.publish import availability_version, build  # noqa: E402
from core.models import utcnow  # noqa: E402
from core.runtime import Runtime  # noqa: E402


def per_call(fn, n: int) -> float:
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="clinicline-bench-"))
    url = f"sqlite:///{tmp / 'bench.db'}"
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_session_factory(engine)
    with sessions.begin() as session:
        load_clinics(session, EXAMPLE_FILE, utcnow(), 30)
    config = Config.from_env({}, database_url=url, instance_path=tmp, testing=True)
    runtime = Runtime(config=config, engine=engine, session_factory=sessions)
    client = create_app(runtime=runtime).test_client()

    def rebuild():
        with sessions() as session:
            build(session, utcnow(), "http://localhost")

    def version():
        with sessions() as session:
            availability_version(session, utcnow())

    first = client.get("/fhir/Slot.ndjson")
    etag, size = first.headers["ETag"], len(first.data)
    slots = first.data.count(b"\n")
    reference = per_call(rebuild, 5)
    cached = per_call(lambda: client.get("/fhir/Slot.ndjson"), args.requests)
    not_modified = per_call(
        lambda: client.get("/fhir/Slot.ndjson", headers={"If-None-Match": etag}), args.requests
    )
    check = per_call(version, args.requests)
    print(f"data set: {slots} slots, Slot.ndjson {size / 1024:.0f} KiB")
    print(f"rebuild (reference):          {reference * 1000:8.1f} ms")
    print(f"GET Slot.ndjson from cache:   {cached * 1000:8.2f} ms   {reference / cached:6.0f}x cheaper")
    print(
        f"GET with If-None-Match (304): {not_modified * 1000:8.2f} ms   {reference / not_modified:6.0f}x cheaper"
    )
    print(f"availability version query:   {check * 1000:8.2f} ms   (paid by every request)")
    engine.dispose()


if __name__ == "__main__":
    main()
