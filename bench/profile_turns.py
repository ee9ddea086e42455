"""Where a turn's time goes: the bench's cases run in-process through the Flask test client, profiled.

Each request is a real turn, as in bench/turns.py: a new phone number and a new MessageSid or CallSid,
signed as Twilio signs them. Prints the milliseconds per turn of each case and, with --profile, a
pyinstrument (or cProfile) report of the timed requests, and the SQL statements of one turn with --sql.

    .venv/bin/python bench/profile_turns.py --db sqlite --cases sms_first -n 200 --profile
    .venv/bin/python bench/profile_turns.py --db postgresql --sql
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import turns  # noqa: E402  (bench/turns.py: the same cases and clinics)


def app_for(database_url: str, tmp: Path):
    from clinicline.app import create_app
    from clinicline.cli import prepare_embedded
    from core.clinics_file import EXAMPLE_FILE
    from core.config import Config

    clinics = tmp / "clinics.toml"
    clinics.write_text(EXAMPLE_FILE.read_text() + turns.BANC_CLINIC)
    (tmp / "instance").mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    env.update(
        DATABASE_URL=database_url,
        CLINICLINE_INSTANCE=str(tmp / "instance"),
        TWILIO_AUTH_TOKEN=turns.TOKEN,
        PUBLIC_BASE_URL="http://localhost",
        SECRET_KEY="bench",
        CLINICLINE_CLINICS=str(clinics),
    )
    config = Config.from_env(env)
    prepare_embedded(config)
    return create_app(config)


class TestClient:
    """bench/turns.py's Client, over the Flask test client."""

    def __init__(self, app):
        from twilio.request_validator import RequestValidator

        self.client = app.test_client()
        self.validator = RequestValidator(turns.TOKEN)

    def post(self, path: str, form: dict[str, str]) -> str:
        signature = self.validator.compute_signature("http://localhost" + path, form)
        response = self.client.post(path, data=form, headers={"X-Twilio-Signature": signature})
        assert response.status_code == 200, (response.status_code, response.get_data(as_text=True))
        return response.get_data(as_text=True)


@contextmanager
def round_trips(engine):
    """[n]: the requests the driver sent to PostgreSQL while the block ran, each awaited for its answer
    (libpq's protocol trace: a simple Query, or a Sync closing an extended-protocol exchange); [] on SQLite."""
    if engine.dialect.name != "postgresql":
        yield []
        return
    import psycopg

    traced = []
    with tempfile.TemporaryFile("w+") as trace:
        for record in list(engine.pool._pool.queue):
            pgconn = record.dbapi_connection.pgconn
            pgconn.trace(trace.fileno())
            pgconn.set_trace_flags(psycopg.pq.Trace.SUPPRESS_TIMESTAMPS)
            traced.append(pgconn)
        counted: list[int] = []
        yield counted
        for pgconn in traced:
            pgconn.untrace()
        trace.seek(0)
        sent = [line.split("\t") for line in trace.read().splitlines()]
        counted.append(sum(1 for f in sent if len(f) > 2 and f[0] == "F" and f[2] in ("Query", "Sync")))


def run(db: str, url: str, args, tmp: Path, numbers) -> None:
    app = app_for(url, tmp)
    client = TestClient(app)
    turns.in_parallel = lambda fn, items, workers=1: [fn(item) for item in items]
    for case in ("sms_first", "sms_aide", "voice_greet"):  # warm caches, as the bench does
        for p in turns.prepare_case(case, 10, numbers, None):
            client.post(p.path, p.form)
    engine = app.extensions["clinicline"].engine
    for case in args.cases:
        prepared = turns.prepare_case(case, args.n + 1, numbers, client)
        if args.sql:
            from tests.support.statements import counting

            with counting(engine) as seen, round_trips(engine) as trips:
                client.post(prepared[0].path, prepared[0].form)
            print(f"--- {db} {case}: {len(seen)} statements" + (f", {trips[0]} round trips" if trips else ""))
            print(seen)
        prepared, last = prepared[1:-1], prepared[-1]
        profiler = None
        if args.cprofile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        elif args.profile:
            from pyinstrument import Profiler

            profiler = Profiler(interval=0.0005)
            profiler.start()
        from tests.support.statements import counting

        started = time.perf_counter()
        cpu = time.process_time()
        with counting(engine) as seen:
            for p in prepared:
                client.post(p.path, p.form)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu
        if args.cprofile:
            import pstats

            profiler.disable()
            pstats.Stats(profiler).sort_stats(args.cprofile).print_stats(45)
        elif profiler is not None:
            profiler.stop()
            print(profiler.output_text(unicode=False, color=False, show_all=bool(os.environ.get("SHOW_ALL"))))
        if args.sql:  # after the timed turns: what a turn sends once a rush has gone on for a while
            with counting(engine) as seen_last:
                client.post(last.path, last.form)
            print(f"--- {db} {case}, after {len(prepared)} turns: {len(seen_last)} statements")
            print(seen_last)
        n = len(prepared)
        print(
            f"{db} {case:<12} {elapsed * 1000 / n:7.2f} ms/turn, {cpu * 1000 / n:7.2f} ms CPU of this process,"
            f" {len(seen) / n:5.1f} statements/turn  ({n} turns)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=("both", "postgresql", "sqlite"), default="both")
    parser.add_argument("--cases", default=",".join(turns.CASES))
    parser.add_argument("-n", type=int, default=200)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--cprofile", metavar="SORT", help="cProfile instead, sorted by this (tottime…)")
    parser.add_argument("--sql", action="store_true")
    args = parser.parse_args()
    args.cases = [c for c in args.cases.split(",") if c]
    from tests.support.servers import PostgresServer

    numbers = turns.Numbers()
    with tempfile.TemporaryDirectory(prefix="clinicline-profile-") as name:
        tmp = Path(name)
        if args.db in ("both", "sqlite"):
            (tmp / "s").mkdir()
            run("sqlite", f"sqlite:///{tmp / 's' / 'db.sqlite'}", args, tmp / "s", numbers)
        if args.db in ("both", "postgresql"):
            server = PostgresServer().start()
            try:
                (tmp / "p").mkdir()
                run("postgresql", server.admin_url, args, tmp / "p", numbers)
            finally:
                server.stop()


if __name__ == "__main__":
    main()
