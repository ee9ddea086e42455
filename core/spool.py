"""The degraded line's spool: what patients asked while the database did not answer, kept on local disk.

Storage: one append-only JSON-lines file per process (`spool-<start time>-<pid>-<nonce>.jsonl`) in the
instance folder's `spool/` directory, mode 0600, each entry written with one `write` and fsynced before the
patient is told it is recorded. The owning process holds an exclusive `flock` on its file for as long as it
lives, so a replayer knows which files nobody appends to any more and may remove once replayed.

Replay (core.services.spooled does each entry's work): entries of every file, in arrival order (the entry's
arrival instant, then its id), each in its own transaction that also inserts its processed-entry marker
(`ProcessedEvent` key `spool:<id>`): a crash mid-replay leaves every entry either done with its marker or
not done at all, and the next replay skips the marked ones. One replayer at a time on a host (`flock` on
`spool/replay.lock`). How far each file is known to be replayed is kept beside it (`<file>.replayed`, a byte
offset) so "is anything pending?" costs a `stat` per file, not a database query.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

log = logging.getLogger(__name__)

KINDS = ("walkin", "callback", "status")
PREFIX = "spool-"
SUFFIX = ".jsonl"
DONE_SUFFIX = ".replayed"
LOCK_NAME = "replay.lock"
FILE_MODE = 0o600
DIR_MODE = 0o700


@dataclass(frozen=True)
class Entry:
    """One spooled request: what (`kind`), when it arrived (UTC), and its fields (phone, clinic number…)."""

    id: str
    kind: str
    at: dt.datetime
    data: dict = field(default_factory=dict)
    file: str = ""
    end: int = 0  # byte offset just past this entry's line in its file

    @property
    def order(self) -> tuple[dt.datetime, str]:
        """Arrival order across every file: the instant first, the id (file, sequence) for ties."""
        return self.at, self.id


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Spool:
    """The spool directory of one instance folder; `append` is safe from threads and after a fork."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._pid: int | None = None
        self._name = ""
        self._seq = 0

    # -- writing -----------------------------------------------------------------------------------

    def _open(self) -> None:
        """This process's own file, created on its first entry (a forked child gets a file of its own)."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        os.chmod(self.directory, DIR_MODE)
        started = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%f")
        self._name = f"{PREFIX}{started}-{os.getpid()}-{secrets.token_hex(3)}{SUFFIX}"
        fd = os.open(
            self.directory / self._name, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL, FILE_MODE
        )
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # "this file is still being written to"
        _fsync_dir(self.directory)  # the new file's name survives a crash too
        self._fd, self._pid, self._seq = fd, os.getpid(), 0

    def append(self, kind: str, at: dt.datetime, **data) -> Entry:
        """Record one request durably (written and fsynced) before the patient is told it is recorded."""
        if kind not in KINDS:
            raise ValueError(kind)
        with self._lock:
            if self._fd is None or self._pid != os.getpid():
                self._open()
            self._seq += 1
            entry_id = f"{self._name[len(PREFIX) : -len(SUFFIX)]}-{self._seq:06d}"
            record = {"id": entry_id, "kind": kind, "at": at.astimezone(dt.UTC).isoformat(), **data}
            line = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
            os.write(self._fd, line)  # O_APPEND: one write, appended whole
            os.fsync(self._fd)
        return Entry(entry_id, kind, at, data, self._name)

    def close(self) -> None:
        """Close this process's file (its lock goes with it)."""
        with self._lock:
            if self._fd is not None and self._pid == os.getpid():
                os.close(self._fd)
            self._fd = None

    # -- reading -----------------------------------------------------------------------------------

    def files(self) -> list[Path]:
        """The spool files, oldest first."""
        if not self.directory.is_dir():
            return []
        return sorted(
            p for p in self.directory.iterdir() if p.name.startswith(PREFIX) and p.name.endswith(SUFFIX)
        )

    def replayed_offset(self, path: Path) -> int:
        """How many bytes of a file are known to be replayed."""
        try:
            return int((path.parent / (path.name + DONE_SUFFIX)).read_text() or 0)
        except (FileNotFoundError, ValueError):
            return 0

    def mark_replayed(self, path: Path, offset: int) -> None:
        """Remember that a file is replayed up to `offset` (a hint: the database markers are the truth)."""
        done = path.parent / (path.name + DONE_SUFFIX)
        tmp = done.with_suffix(done.suffix + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        with os.fdopen(fd, "w") as out:
            out.write(str(offset))
        os.replace(tmp, done)

    def has_pending(self) -> bool:
        """Whether any file holds entries past what is known to be replayed (a stat per file)."""
        for path in self.files():
            with contextlib.suppress(FileNotFoundError):
                if path.stat().st_size > self.replayed_offset(path):
                    return True
        return False

    def read(self, path: Path, start: int = 0) -> list[Entry]:
        """The complete entries of one file from byte `start`; a torn last line (a crash mid-write) is left out."""
        try:
            with path.open("rb") as f:
                f.seek(start)
                raw = f.read()
        except FileNotFoundError:
            return []
        entries, offset = [], start
        for line in raw.split(b"\n")[:-1]:  # the last piece has no newline: empty, or torn
            offset += len(line) + 1
            try:
                record = json.loads(line)
                at = dt.datetime.fromisoformat(record.pop("at"))
                entries.append(Entry(record.pop("id"), record.pop("kind"), at, record, path.name, offset))
            except (ValueError, KeyError, TypeError):
                log.error("spool %s: unreadable line at byte %s skipped", path.name, offset)
        return entries

    def pending(self) -> list[Entry]:
        """Entries not known to be replayed, of every file, in arrival order."""
        entries = []
        for path in self.files():
            entries.extend(self.read(path, self.replayed_offset(path)))
        return sorted(entries, key=lambda e: e.order)

    def depth(self) -> int:
        """How many entries wait for replay."""
        return len(self.pending())

    # -- housekeeping --------------------------------------------------------------------------------

    @contextlib.contextmanager
    def replay_lock(self, wait: bool = True) -> Iterator[bool]:
        """One replayer per host; yields False at once when `wait` is off and another replays."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        fd = os.open(self.directory / LOCK_NAME, os.O_RDWR | os.O_CREAT, FILE_MODE)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)

    def retire(self, path: Path) -> bool:
        """Remove a fully replayed file whose process is gone (nobody holds its lock); True if removed."""
        if path.name == self._name and self._pid == os.getpid():
            return False
        try:
            fd = os.open(path, os.O_RDONLY)
        except FileNotFoundError:
            return False
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False  # its process still appends to it
            if os.fstat(fd).st_size > self.replayed_offset(path):
                return False
            path.unlink()
            with contextlib.suppress(FileNotFoundError):
                (path.parent / (path.name + DONE_SUFFIX)).unlink()
            return True
        finally:
            os.close(fd)


def spool_for(runtime) -> Spool:
    """The runtime's spool (one per process, in the instance folder)."""
    spool = getattr(runtime, "_spool", None)
    if spool is None:
        spool = Spool(Path(runtime.config.instance_path) / "spool")
        runtime._spool = spool
    return spool


# -- replay ----------------------------------------------------------------------------------------


@dataclass
class ReplayReport:
    """What one replay did."""

    done: int = 0
    skipped: int = 0  # already replayed (their marker was there)
    failed: int = 0
    messages: list[int] = field(default_factory=list)
    busy: bool = False  # another process of this host was replaying

    def as_dict(self) -> dict:
        return {
            "done": self.done,
            "skipped": self.skipped,
            "failed": self.failed,
            "messages": len(self.messages),
        }


def replay(runtime, wait: bool = True, budget_seconds: float | None = None) -> ReplayReport:
    """Replay every pending entry in arrival order, once; enqueue each outcome message after its commit.

    Stops at the first entry the database does not answer for (it is down again): that entry and the later
    ones stay pending, so arrival order holds. An entry that fails otherwise (a bug, a constraint) is logged
    and left pending for the next replay; the ones after it go on. `budget_seconds` bounds a replay run
    from a webhook.
    """
    from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    from core.services import spooled

    spool = spool_for(runtime)
    report = ReplayReport()
    started = time.monotonic()
    with spool.replay_lock(wait=wait) as locked:
        if not locked:
            report.busy = True
            return report
        entries = spool.pending()
        finished: set[str] = set()
        interrupted = False
        for entry in entries:
            if budget_seconds is not None and time.monotonic() - started > budget_seconds:
                interrupted = True
                break
            try:
                with runtime.session_factory.begin() as session:
                    outcome = spooled.apply(session, entry, runtime.now())
            except (OperationalError, InterfaceError, DisconnectionError, PoolTimeout):
                log.warning("spool replay interrupted at %s: the database does not answer", entry.id)
                interrupted = True
                break
            except Exception:  # one broken entry must not hold back everyone behind it; the log keeps it
                log.exception("spool entry %s could not be replayed; it stays in the spool", entry.id)
                report.failed += 1
                interrupted = True  # its file is not finished: keep it
                continue
            if outcome.already:
                report.skipped += 1
            else:
                report.done += 1
                if outcome.message_id is not None:
                    report.messages.append(outcome.message_id)
                    _send(runtime, outcome.message_id)
            finished.add(entry.id)
        _advance_offsets(spool, entries, finished)
        if not interrupted:
            for path in spool.files():
                spool.retire(path)
    if report.done or report.failed:
        log.info("spool replay: %s", report.as_dict())
    return report


def _advance_offsets(spool: Spool, entries: list[Entry], finished: set[str]) -> None:
    """Move each file's replayed offset over the longest run of its entries, in file order, that is finished."""
    by_file: dict[str, list[Entry]] = {}
    for entry in entries:
        by_file.setdefault(entry.file, []).append(entry)
    for name, own in by_file.items():
        offset = None
        for entry in sorted(own, key=lambda e: e.end):
            if entry.id not in finished:
                break
            offset = entry.end
        if offset is not None:
            spool.mark_replayed(spool.directory / name, offset)


def _send(runtime, message_id: int) -> None:
    """Hand an outcome message to the job queue (its row is committed: a lost job is picked up by the tick)."""
    jobs = getattr(runtime, "jobs", None)
    if jobs is None:
        return
    from core.jobs.names import SEND_MESSAGE  # the spool itself imports no more than the standard library

    try:
        jobs.enqueue(SEND_MESSAGE, message_id)
    except Exception:  # Redis down: the periodic tick sends due pending rows
        log.warning("outcome message %s not enqueued; the tick will send it", message_id)


def replay_if_pending(runtime, budget_seconds: float = 3.0) -> ReplayReport | None:
    """Before a webhook serves a patient: replay what waits first, so earlier arrivals stay ahead."""
    spool = spool_for(runtime)
    try:
        if not spool.has_pending():
            return None
        return replay(runtime, wait=True, budget_seconds=budget_seconds)
    except Exception:  # the patient in front of us must still be served; the tick replays later
        log.exception("spool replay before a webhook failed")
        return None


class Replayer:
    """A thread of a web process that replays its host's spool once the database answers again."""

    def __init__(self, runtime, interval: float = 5.0):
        self.runtime, self.interval = runtime, interval
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def wake(self) -> None:
        """Start the thread if it is not running (after a fork too); it ends when nothing is pending."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(target=self._run, name="clinicline-spool", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def _run(self) -> None:
        from core.db import ping

        spool = spool_for(self.runtime)
        while not self._stop.wait(self.interval):
            try:
                if not spool.has_pending():
                    return
                if ping(self.runtime.engine):
                    replay(self.runtime, wait=False)
            except Exception:  # keep trying: the spool is still on disk
                log.exception("spool replayer")


def wake_replayer(runtime) -> None:
    """Make sure something replays this spool when the database is back (no thread in tests)."""
    if runtime.config.testing:
        return
    replayer = getattr(runtime, "_replayer", None)
    if replayer is None:
        replayer = Replayer(runtime)
        runtime._replayer = replayer
    replayer.wake()
