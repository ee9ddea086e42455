"""Measure core.language on the shared utterance set: date, time and yes/no accuracy, and speed.

Usage: python bench/language_bench.py [--data PATH] [--errors N] [--split A|B] [--salt S]

Scoring rules (printed with the table):
- "now" is the record's reference_datetime (its local wall-clock part), else reference_date at 09:00
  (a clinic morning), else today at 09:00 for records with only a weekday.
- SGD: date scored on records with date_canonical, time on records with time_canonical.
- Duckling: date scored on records whose date_canonical is one day (YYYY-MM-DD) within a year after now
  (0 <= days < 365). When the parser gives a time or part of day but no date, the date is the time's next
  occurrence (today, or tomorrow when that time has passed), as Duckling resolves it; after/before count as times. Time is scored on
  those records when time_canonical is set and the text states a clock time (the CLOCK_STATED regex below).
- Polarity: records labelled yes or no (SGD, STAR); the prediction is Understanding.polarity.
- Speed: every record, one process, one core, after a warm-up pass; also per CPU-second, best of 3 passes.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import hashlib
import json
import re
import sys
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from core.language import understand  # noqa: E402

DEFAULT_DATA = ROOT / ".." / "shared" / "data" / "utterances" / "dev.jsonl"
CLOCK_STATED = re.compile(
    r"\d\s*(?:h\b|h\d|:\d|heures?|hrs?\b|o'?clock|oclock|[ap]\.?\s?m\b|[ap]\b)|(?<![-\w] )(?<!-)\b(?:midi|minuit|noon|midnight"
    r"|midday|mid day)\b|\b(?:at|@|à|a|vers|around|about|approximately)\s+\d|\b(?:quinze|seize|three|half"
    r"|quarter)\b.*\b(?:heures?|past|pm|am|\d)",
    re.IGNORECASE,
)
DURATION = re.compile(
    r"\b(?:in|dans|within|d'ici|for|next|last|prochaines?|dernieres?)\s+(?:a |an |\d|\w+\s+)?"
    r"(?:\d+\s*)?(?:minutes?|mins?|hours?|heures?|secondes?|seconds?|'|\")",
    re.IGNORECASE,
)


def split_of(record: dict, salt: int = 0) -> str:
    """Stable half ("A" or "B") of a record, by its dialogue so one dialogue never spans both halves.

    Salt 0 keeps the original crc32 halves; any other salt draws an independent, equally stable pair
    (a keyed hash: a crc32 of a salted key would only flip the old halves, crc32 being linear)."""
    key = f"{record['source']}:{record.get('dialogue_id') or record['text']}".encode()
    if not salt:
        return "AB"[zlib.crc32(key) % 2]
    return "AB"[hashlib.blake2b(key, digest_size=4, salt=str(salt).encode()[:16]).digest()[0] % 2]


def reference_now(record: dict) -> dt.datetime:
    """The record's "now" as a naive local datetime."""
    if record.get("reference_datetime"):
        return dt.datetime.fromisoformat(record["reference_datetime"]).replace(tzinfo=None)
    if record.get("reference_date"):
        return dt.datetime.combine(dt.date.fromisoformat(record["reference_date"]), dt.time(9, 0))
    return dt.datetime.combine(dt.date.today(), dt.time(9, 0))


def is_duckling(record: dict) -> bool:
    """True for Duckling's time-expression corpus."""
    return record["source"].startswith("duckling")


def duckling_in_scope(record: dict, now: dt.datetime) -> bool:
    """Duckling records resolving to one day within a year after now."""
    canonical = record.get("date_canonical") or ""
    if len(canonical) != 10:
        return False
    days = (dt.date.fromisoformat(canonical) - now.date()).days
    return 0 <= days < 365


def text_states_time(text: str) -> bool:
    """True when the text names a clock time (not a duration like "in 2 hours")."""
    return CLOCK_STATED.search(text) is not None and DURATION.search(text) is None


def implied_date(result, now: dt.datetime) -> dt.date | None:
    """Predicted date, or the next occurrence of a time given without a date (Duckling's convention)."""
    if result.date is not None:
        return result.date
    clock = result.time or result.after or result.before
    if clock is not None:
        return (
            now.date()
            if clock >= now.time().replace(second=0, microsecond=0)
            else now.date() + dt.timedelta(days=1)
        )
    if result.part_of_day is not None or result.asap:
        return now.date()
    return None


class Tally:
    """Counts of right answers per metric for one (source, language) group."""

    def __init__(self) -> None:
        self.n = 0
        self.right = collections.Counter()
        self.total = collections.Counter()

    def add(self, metric: str, ok: bool) -> None:
        """Record one scored answer."""
        self.total[metric] += 1
        self.right[metric] += ok

    def cell(self, metric: str) -> str:
        """Accuracy as "93.1% (n)"."""
        total = self.total[metric]
        return f"{100 * self.right[metric] / total:5.1f}% ({total})" if total else "-"


def score(records: list[dict], errors: dict) -> dict:
    """Run understand on every record and tally accuracy per source and language."""
    tallies: dict = collections.defaultdict(Tally)
    for record in records:
        now = reference_now(record)
        result = understand(record["text"], record["lang"], now)
        key = (record["source"], record["lang"])
        tally = tallies[key]
        tally.n += 1
        if is_duckling(record):
            _score_duckling(record, result, now, tally, errors)
        else:
            _score_dialogue(record, result, tally, errors)
    return tallies


def _miss(errors: dict, record: dict, metric: str, expected, got) -> None:
    """Keep a sample of misses per source and metric."""
    errors[(record["source"], metric)].append((record["text"], expected, got))


def _score_duckling(record, result, now, tally, errors) -> None:
    if not duckling_in_scope(record, now):
        return
    got = implied_date(result, now)
    ok = got is not None and got.isoformat() == record["date_canonical"]
    tally.add("date", ok)
    if not ok:
        _miss(errors, record, "date", record["date_canonical"], got and got.isoformat())
    if record.get("time_canonical") and text_states_time(record["text"]):
        got_time = result.time.strftime("%H:%M") if result.time else None
        ok = got_time == record["time_canonical"]
        tally.add("time", ok)
        if not ok:
            _miss(errors, record, "time", record["time_canonical"], got_time)


def _score_dialogue(record, result, tally, errors) -> None:
    if record.get("date_canonical"):
        got = result.date.isoformat() if result.date else None
        ok = got == record["date_canonical"]
        tally.add("date", ok)
        if not ok:
            _miss(errors, record, "date", record["date_canonical"], got)
    if record.get("time_canonical"):
        got = result.time.strftime("%H:%M") if result.time else None
        ok = got == record["time_canonical"]
        tally.add("time", ok)
        if not ok:
            _miss(errors, record, "time", record["time_canonical"], got)
    if record.get("intent") in ("yes", "no"):
        ok = result.polarity == record["intent"]
        tally.add("polarity", ok)
        if not ok:
            _miss(errors, record, "polarity", record["intent"], result.polarity)


def speed(records: list[dict]) -> tuple[float, float]:
    """Utterances per second over the whole set, after one warm-up pass: by the wall clock, and per
    CPU-second (best of three passes; steadier on a shared machine)."""
    inputs = [(r["text"], r["lang"], reference_now(r)) for r in records]
    for text, lang, now in inputs[:200]:
        understand(text, lang, now)
    start = time.perf_counter()
    for text, lang, now in inputs:
        understand(text, lang, now)
    wall = len(inputs) / (time.perf_counter() - start)
    cpu = 0.0
    for _ in range(3):
        start = time.process_time()
        for text, lang, now in inputs:
            understand(text, lang, now)
        cpu = max(cpu, len(inputs) / max(time.process_time() - start, 1e-9))
    return wall, cpu


def main(argv: list[str] | None = None) -> int:
    """Print the accuracy table, speed, and sample misses."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--errors", type=int, default=0, help="sample misses to print per source and metric")
    parser.add_argument(
        "--split", choices=("A", "B"), help="score only one half of the records (by dialogue)"
    )
    parser.add_argument("--salt", type=int, default=0, help="seed of the A/B split (0 = the original halves)")
    args = parser.parse_args(argv)
    records = [
        json.loads(line) for line in args.data.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    if args.split:
        records = [r for r in records if split_of(r, args.salt) == args.split]
    errors: dict = collections.defaultdict(list)
    tallies = score(records, errors)
    rate, cpu_rate = speed(records)
    print(__doc__.split("Scoring rules", 1)[1].split("\n", 1)[1].rstrip())
    print()
    print(f"{'source':<18}{'lang':<6}{'n':>6}  {'date':<16}{'time':<16}{'polarity':<16}")
    for (source, lang), tally in sorted(tallies.items()):
        print(
            f"{source:<18}{lang:<6}{tally.n:>6}  {tally.cell('date'):<16}{tally.cell('time'):<16}"
            f"{tally.cell('polarity'):<16}"
        )
    print(
        f"\n{rate:,.0f} utterances/second on one core ({len(records)} records); {cpu_rate:,.0f} per CPU-second"
    )
    if args.errors:
        for (source, metric), misses in sorted(errors.items(), key=lambda kv: -len(kv[1])):
            print(f"\n-- {source} {metric}: {len(misses)} misses")
            for text, expected, got in misses[: args.errors]:
                print(f"   expected {expected!s:<12} got {got!s:<12} {text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
