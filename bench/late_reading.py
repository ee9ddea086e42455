"""How often core.language reads "running late" where nobody is late: the shared utterance set has booking
and scheduling turns and no lateness, so every turn read as `late` is a false positive.

    .venv/bin/python bench/late_reading.py [--data PATH] [--show N]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.language import understand  # noqa: E402

DEFAULT_DATA = ROOT / ".." / "shared" / "data" / "utterances" / "dev.jsonl"
FALLBACK_NOW = dt.datetime(2026, 12, 7, 9, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--show", type=int, default=20, help="false positives to print")
    args = parser.parse_args()
    total, flagged, mention = 0, [], 0
    for line in args.data.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        text = record.get("text") or ""
        reference = record.get("reference_date")
        now = dt.datetime.fromisoformat(reference[:19]) if reference else FALLBACK_NOW
        total += 1
        mention += "late" in text.lower() or "retard" in text.lower()
        if understand(text, record.get("lang"), now).late:
            flagged.append(text)
    print(f"{total} utterances, {mention} with 'late' or 'retard', {len(flagged)} read as running late")
    for text in flagged[: args.show]:
        print("  ", text)


if __name__ == "__main__":
    main()
