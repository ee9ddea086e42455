"""Requests per second of the SMS webhook under concurrent patients, on a real server process.

Starts `clinicline serve` (waitress, SQLite file, in-process jobs, demo clinics) on a free port — or uses
--url — then runs N patient threads that each text a walk-in registration and a booking conversation,
and prints requests per second and latency percentiles. Traffic goes to 127.0.0.1 only; the run stops by
itself after --conversations per patient.

    .venv/bin/python bench/load.py --patients 20 --conversations 3
    DATABASE_URL=postgresql://… .venv/bin/python bench/load.py   # the server uses that database
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from clinicline.sms_cmd import message_form, reply_messages  # noqa: E402
from tests.support.servers import free_port  # noqa: E402

CONVERSATIONS = (
    ["SANS RDV", "POSITION", "QUITTER"],
    ["RDV demain matin", "1", "Marie Tremblay", "OUI", "MES RDV"],
)


def start_server(port: int, instance: Path) -> subprocess.Popen:
    env = dict(os.environ, CLINICLINE_INSTANCE=str(instance))
    env.pop("TWILIO_AUTH_TOKEN", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "clinicline.cli", "serve", "--port", str(port), "--threads", "8"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                return proc
        except requests.ConnectionError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("the server did not start")


def resident_memory_mb(pid: int) -> float | None:
    """The server's resident memory (Linux /proc), in MiB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def patient(url: str, index: int, conversations: int, latencies: list, failures: list) -> None:
    session = requests.Session()
    phone = f"+1514555{2000 + index:04d}"
    for n in range(conversations):
        for body in CONVERSATIONS[n % len(CONVERSATIONS)]:
            form = message_form(phone, "+15145550100", body, None)
            started = time.perf_counter()
            try:
                response = session.post(f"{url}/sms", data=form, timeout=30)
                ok = response.status_code == 200 and reply_messages(response.text)
            except requests.RequestException:
                ok = False
            latencies.append(time.perf_counter() - started)
            if not ok:
                failures.append(body)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--url", help="a running server (default: start one)")
    parser.add_argument("--patients", type=int, default=20)
    parser.add_argument("--conversations", type=int, default=2)
    args = parser.parse_args()
    proc = None
    with tempfile.TemporaryDirectory(prefix="clinicline-load-") as tmp:
        url = args.url
        if not url:
            port = free_port()
            proc = start_server(port, Path(tmp))
            url = f"http://127.0.0.1:{port}"
        latencies: list[float] = []
        failures: list[str] = []
        threads = [
            threading.Thread(target=patient, args=(url, i, args.conversations, latencies, failures))
            for i in range(args.patients)
        ]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        rss = resident_memory_mb(proc.pid) if proc else None
        if proc:
            proc.terminate()
            proc.wait(10)
    latencies.sort()
    pct = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000  # noqa: E731
    database = "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    print(f"server: {url} ({f'started by the bench, {database}' if proc else 'given'})")
    print(
        f"{args.patients} patients x {args.conversations} conversations: {len(latencies)} requests "
        f"in {elapsed:.1f} s, {len(failures)} failed"
    )
    print(f"requests/second: {len(latencies) / elapsed:.1f}")
    print(
        f"latency ms: p50 {pct(0.5):.0f}  p95 {pct(0.95):.0f}  max {latencies[-1] * 1000:.0f}  "
        f"mean {statistics.mean(latencies) * 1000:.0f}"
    )
    if rss is not None:
        print(f"server resident memory after the run: {rss:.0f} MiB")


if __name__ == "__main__":
    main()
