"""What the embedded server holds: `clinicline serve` (SQLite, in-process jobs) under a rush, a race and a load.

Starts `clinicline serve` as a real process on a fresh instance folder, twice: with the configured
defaults, and with waitress's own connection limit (100) as the reference of the same run. Each run:

  rush    1,000 "SANS RDV" texts from distinct patients, evenly over 10 s, on 100 keep-alive connections
  race    200 patients texting "RDV demain matin", "1", a name, "OUI" at the same moment (200 connections)
  steady  100 keep-alive patients texting AIDE back to back (closed loop): p99

A request that waits longer than Twilio's 15 s is a timeout. Traffic goes to 127.0.0.1 only.

    .venv/bin/python bench/serve_rush.py                  # both runs
    .venv/bin/python bench/serve_rush.py --only configured
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.faults import load  # noqa: E402
from tests.faults.processes import BIN, base_env, clinics_file, running  # noqa: E402
from tests.support.servers import free_port  # noqa: E402

RUNS = {"configured": [], "waitress default limit": ["--connection-limit", "100"]}


def measure(name: str, extra_args: list[str], capacity: int) -> dict[str, load.Figures]:
    with tempfile.TemporaryDirectory(prefix="clinicline-rush-") as folder:
        folder = Path(folder)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        env = base_env(
            CLINICLINE_INSTANCE=str(folder), CLINICLINE_CLINICS=str(clinics_file(folder, capacity))
        )
        args = [str(BIN / "clinicline"), "serve", "--port", str(port), *extra_args]
        with running(args, env, folder / "serve.log", base):
            figures = {
                "rush": load.rush(base, texts=1000, seconds=10, clients=100),
                "race": load.race(base, patients=200),
                "steady": load.steady(base, clients=100, requests_each=10),
            }
    for what, f in figures.items():
        print(f"  [{name}] {f.line(what)}", flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=list(RUNS))
    parser.add_argument("--capacity", type=int, default=300, help="walk-in places of the test clinic")
    options = parser.parse_args()
    results = {}
    for name, extra in RUNS.items():
        if options.only and name != options.only:
            continue
        print(f"{name}: clinicline serve {' '.join(extra)}", flush=True)
        results[name] = measure(name, extra, options.capacity)
    if len(results) == 2:
        mine, ref = results["configured"], results["waitress default limit"]
        for what in ("rush", "race", "steady"):
            ratio = ref[what].percentile(99) / mine[what].percentile(99)
            print(
                f"{what}: timeouts {mine[what].timeouts} vs {ref[what].timeouts}; "
                f"p99 {mine[what].percentile(99):.3f} s vs {ref[what].percentile(99):.3f} s (reference / configured = {ratio:.1f}x)"
            )


if __name__ == "__main__":
    main()
