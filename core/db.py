"""Engine and session factory, deadlines on every database call, migrations applied through Alembic.

Deadlines. Code that must answer in time (a webhook) runs its transactions inside `with deadline(s):`.
Then, on PostgreSQL: the pool waits at most the time left for a connection, each transaction's statements
and lock waits are capped (SET LOCAL statement_timeout / lock_timeout), a watchdog thread shuts the
socket of a connection still busy when the deadline passes (a frozen server cannot enforce its own
timeouts), and a deferred check makes COMMIT itself fail once the deadline has passed on the server's
clock: a commit that hangs until after the patient was given the degraded answer rolls back instead of
committing later. On SQLite the busy timeout is the time left. Outside a deadline (jobs, commands) the
connection defaults below apply: connect_timeout, statement_timeout, lock_timeout, pool_timeout.
"""

from __future__ import annotations

import contextvars
import logging
import os
import socket
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"

CONNECT_TIMEOUT_SECONDS = 2  # PostgreSQL connect_timeout (a whole number of seconds, at least 2)
POOL_TIMEOUT_SECONDS = 2  # waiting for a pooled connection
STATEMENT_TIMEOUT_MS = 30_000  # outside a deadline: jobs and commands
LOCK_TIMEOUT_MS = 10_000
IDLE_IN_TRANSACTION_MS = 60_000  # a client that vanished mid-transaction releases its locks
SQLITE_BUSY_MS = 30_000  # outside a deadline
SQLITE_WRITER_LOCK = True  # the threads of a process take turns for SQLite's write lock (see _tune_sqlite)
# The server-side check of COMMIT runs this much before the client gives up on it: a commit that passed
# the check has that long to be acknowledged (see deadline()).
COMMIT_MARGIN_SECONDS = 1.0
SERVER_TIMEOUT_MARGIN_MS = 300
HANG_SECONDS = 1.0  # a request's statement unanswered this long: the server hangs (see _Watchdog)
PROBE_SECONDS = 1.0  # while the server hangs, how often one thread checks whether it answers again
CONFIRM_SECONDS = 0.5  # a slow statement: a fresh connection's ping must answer within this, or it hangs


@dataclass(frozen=True)
class Deadline:
    """When the current piece of work must be done: monotonic for our waits, wall clock for the server's."""

    monotonic: float
    wall: float
    gated: bool = True  # refused at once while the database is known to hang (see _Breaker)

    def left(self) -> float:
        return self.monotonic - time.monotonic()


_deadline: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar(
    "clinicline_deadline", default=None
)


class DeadlinePassed(OperationalError):
    """The work's deadline passed before the database answered (a DBAPIError, so every route's
    "database unavailable" answer covers it)."""

    def __init__(self, message: str):
        super().__init__(message, None, TimeoutError(message))


@contextmanager
def deadline(seconds: float, gated: bool = True) -> Iterator[Deadline]:
    """Every database call inside this block ends within `seconds` (or raises); see the module docstring."""
    current = _deadline.get()
    mine = Deadline(time.monotonic() + seconds, time.time() + seconds, gated)
    if current is not None and current.monotonic < mine.monotonic:
        mine = current  # a nested deadline never extends the outer one
    token = _deadline.set(mine)
    try:
        yield mine
    finally:
        _deadline.reset(token)


def make_engine(url: str, **kwargs) -> Engine:
    """An engine; SQLite gets WAL, a busy timeout and writer-serialising transactions; PostgreSQL timeouts."""
    if url.startswith("sqlite"):
        if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
            Path(url[len("sqlite:///") :]).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url, connect_args={"timeout": SQLITE_BUSY_MS / 1000, "check_same_thread": False}, **kwargs
        )
        _tune_sqlite(engine, _database_file(url))
        return engine
    # Pre-ping is done by our checkout hook, after the watchdog is armed (SQLAlchemy's own would ping a
    # frozen server before any hook runs, and wait forever). Connections are recycled before idle
    # timeouts close them; a webhook whose connection still turns out dead is taken again once on a new
    # one (core.sql.again_on_disconnect).
    kwargs.setdefault("pool_recycle", 1800)
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    kwargs.setdefault("pool_timeout", POOL_TIMEOUT_SECONDS)
    connect_args = kwargs.pop("connect_args", {})
    connect_args.setdefault("connect_timeout", CONNECT_TIMEOUT_SECONDS)
    connect_args.setdefault(
        "options",
        f"-c statement_timeout={STATEMENT_TIMEOUT_MS} -c lock_timeout={LOCK_TIMEOUT_MS} "
        f"-c idle_in_transaction_session_timeout={IDLE_IN_TRANSACTION_MS}",
    )
    # Keepalives find a peer that vanished (a partition) on idle pooled connections.
    connect_args.setdefault("keepalives", 1)
    connect_args.setdefault("keepalives_idle", 10)
    connect_args.setdefault("keepalives_interval", 2)
    connect_args.setdefault("keepalives_count", 3)
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    if engine.dialect.name == "postgresql":
        _deadlines_on_postgresql(engine)
    return engine


_DEADLINE_SETUP = """
CREATE TEMP TABLE IF NOT EXISTS clinicline_deadline (until timestamptz NOT NULL) ON COMMIT DELETE ROWS;
CREATE OR REPLACE FUNCTION pg_temp.clinicline_deadline_check() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF clock_timestamp() > NEW.until THEN
    RAISE EXCEPTION 'clinicline: the deadline passed before COMMIT' USING ERRCODE = '57014';
  END IF;
  RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS clinicline_deadline_check ON pg_temp.clinicline_deadline;
CREATE CONSTRAINT TRIGGER clinicline_deadline_check AFTER INSERT ON pg_temp.clinicline_deadline
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION pg_temp.clinicline_deadline_check();
"""


def _deadlines_on_postgresql(engine: Engine) -> None:
    breaker = _Breaker(engine)
    engine.clinicline_breaker = breaker  # read by tests and /healthz-like checks

    @event.listens_for(engine, "handle_error")
    def _on_error(context):
        if type(context.original_exception).__name__ == "ConnectionTimeout":
            breaker.trip()  # the server accepts connections and never answers: it hangs

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # A per-connection temporary table whose deferred trigger fails COMMIT after the deadline.
        limit = _deadline.get()
        if limit is not None:  # a server that froze since it accepted us must not hold this thread
            WATCHDOG.watch(dbapi_connection, limit, breaker)
        # Autocommit at the driver: the driver's own BEGIN would be a round trip of its own, so ours goes
        # with the deadline's settings in one (_begin_text); COMMIT and ROLLBACK follow the server's
        # transaction status, not this flag.
        dbapi_connection.autocommit = True
        try:
            dbapi_connection.execute(_DEADLINE_SETUP)
        finally:
            WATCHDOG.forget(dbapi_connection)

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection, record, _proxy):
        limit = _deadline.get()
        if limit is not None:
            if limit.left() <= 0:
                raise DeadlinePassed("deadline passed before a database connection was free")
            breaker.check(limit)
            WATCHDOG.watch(dbapi_connection, limit, breaker)
        if record.info.pop("fresh", False) or not dbapi_connection.autocommit:
            return
        # A pooled connection may have died meanwhile: the statement that opens its transaction (and arms
        # the deadline) is also the ping, and when it fails the pool replaces the connection.
        try:
            WATCHDOG.busy(dbapi_connection, True)
            dbapi_connection.execute(_begin_text(limit))
            WATCHDOG.busy(dbapi_connection, False)
        except Exception as exc:
            WATCHDOG.forget(dbapi_connection)
            raise DisconnectionError("pooled connection is dead") from exc
        record.info["begun"] = True

    @event.listens_for(engine, "connect")
    def _fresh(_dbapi_connection, record):
        record.info["fresh"] = True

    @event.listens_for(engine, "do_connect")
    def _connect_in_time(_dialect, _record, _cargs, _cparams):
        # A connection attempt may take connect_timeout: start one only if that fits in the time left.
        limit = _deadline.get()
        if limit is not None:
            breaker.check(limit)
            if limit.left() < CONNECT_TIMEOUT_SECONDS:
                raise DeadlinePassed("too little time left to open a database connection")

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_connection, _record):
        WATCHDOG.forget(dbapi_connection)

    @event.listens_for(engine, "before_cursor_execute")
    def _busy(conn, _cursor, _statement, _parameters, _context, _executemany):
        WATCHDOG.busy(conn.connection.dbapi_connection, True)

    @event.listens_for(engine, "after_cursor_execute")
    def _idle(conn, _cursor, _statement, _parameters, _context, _executemany):
        WATCHDOG.busy(conn.connection.dbapi_connection, False)

    @event.listens_for(engine, "commit")
    def _committing(conn):
        WATCHDOG.busy(conn.connection.dbapi_connection, True, committing=True)  # until checkin

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        record = conn.connection._connection_record
        if record is not None and record.info.pop("begun", False):
            return  # the checkout began this transaction already
        if conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
            return  # asked for explicitly: each statement commits by itself
        dbapi_connection = conn.connection.dbapi_connection
        if dbapi_connection.autocommit:
            conn.exec_driver_sql(_begin_text(_deadline.get()))
        elif _deadline.get() is not None:  # the driver began it (autocommit turned off by someone)
            conn.exec_driver_sql(_begin_text(_deadline.get(), begin=False))

    @event.listens_for(engine, "checkin")
    def _not_begun(_dbapi_connection, record):
        record.info.pop("begun", None)


def _begin_text(limit: Deadline | None, begin: bool = True) -> str:
    """BEGIN, and within a deadline: cap the transaction's statements and lock waits, and arm the COMMIT check.

    One round trip. The server's own timeouts fire a little before the watchdog, so a slow (not frozen)
    server cancels the statement cleanly and the connection stays usable.
    """
    parts = ["BEGIN"] if begin else []
    if limit is not None:
        left_ms = int(limit.left() * 1000)
        if left_ms <= 0:
            raise DeadlinePassed("deadline passed before the transaction began")
        commit_by = limit.wall - COMMIT_MARGIN_SECONDS
        server_ms = max(left_ms - SERVER_TIMEOUT_MARGIN_MS, 50)
        parts += [
            f"SET LOCAL statement_timeout = {server_ms}",
            f"SET LOCAL lock_timeout = {server_ms}",
            f"INSERT INTO pg_temp.clinicline_deadline VALUES (to_timestamp({commit_by:.3f}))",
        ]
    return "; ".join(parts)


class _Breaker:
    """Once a call found the server hanging, this process's requests stop waiting on it until it answers.

    Without it every request would hold a thread for its whole deadline while the server is frozen, and
    the requests queued behind them would wait past Twilio's patience. A single probe thread pings the
    server (PROBE_SECONDS apart); its first answer closes the breaker.
    """

    def __init__(self, engine: Engine):
        self.engine = engine
        self._lock = threading.Lock()
        self.open = False
        self._confirming = False

    def suspect(self) -> None:
        """A statement is slow: a lock wait in a rush, or a server that hangs. A ping on a connection of its
        own tells them apart (a waiting lock does not stop the server answering); only a hang opens."""
        with self._lock:
            if self.open or self._confirming:
                return
            self._confirming = True
        threading.Thread(target=self._confirm, name="clinicline-db-confirm", daemon=True).start()

    def _confirm(self) -> None:
        answered = threading.Event()

        def ping() -> None:
            try:
                raw = self.engine.pool._creator()  # outside the pool: a full pool is not a hang
                try:
                    raw.execute("SELECT 1")
                finally:
                    raw.close()
                answered.set()
            except Exception:  # no answer: the wait below decides
                pass

        threading.Thread(target=ping, name="clinicline-db-ping", daemon=True).start()
        hangs = not answered.wait(CONFIRM_SECONDS)
        with self._lock:
            self._confirming = False
        if hangs:
            self.trip()

    def trip(self) -> None:
        with self._lock:
            if self.open:
                return
            self.open = True
        log.warning("database hangs: requests answer without it until it responds")
        threading.Thread(target=self._probe, name="clinicline-db-probe", daemon=True).start()

    def check(self, limit: Deadline) -> None:
        if self.open and limit.gated:
            raise DeadlinePassed("the database hangs: answering without it")

    def _probe(self) -> None:
        while True:
            time.sleep(PROBE_SECONDS)
            try:
                with deadline(CONNECT_TIMEOUT_SECONDS + 1, gated=False), self.engine.connect() as conn:
                    conn.execute(text("SELECT 1"))
            except Exception:  # still hanging or down: keep probing
                continue
            with self._lock:
                self.open = False
            log.warning("database answers again")
            return


class _Watchdog:
    """Shuts the socket of a PostgreSQL connection still in use after its holder's deadline.

    A server that hangs (SIGSTOP, a partition, a full disk) enforces none of its own timeouts; closing
    our end makes the blocked call fail at once, and the server rolls back what it had not committed.
    """

    def __init__(self, period: float = 0.05):
        self.period = period
        self._watched: dict[int, tuple[object, Deadline, _Breaker | None]] = {}
        self._busy: dict[int, float] = {}  # connection -> when its statement (or commit) was sent
        self._committing: set[int] = set()  # connections whose COMMIT was sent
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def busy(self, dbapi_connection, busy: bool, committing: bool = False) -> None:
        key = id(dbapi_connection)
        with self._lock:
            if key not in self._watched:
                return
            if busy:
                self._busy[key] = time.monotonic()
                if committing:
                    self._committing.add(key)
            else:
                self._busy.pop(key, None)

    def watch(self, dbapi_connection, limit: Deadline, breaker: _Breaker | None = None) -> None:
        with self._lock:
            self._watched[id(dbapi_connection)] = (dbapi_connection, limit, breaker)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._loop, name="clinicline-db-watchdog", daemon=True)
                self._thread.start()

    def forget(self, dbapi_connection) -> None:
        with self._lock:
            self._watched.pop(id(dbapi_connection), None)
            self._busy.pop(id(dbapi_connection), None)
            self._committing.discard(id(dbapi_connection))

    def _loop(self) -> None:
        while True:
            time.sleep(self.period)
            now = time.monotonic()
            with self._lock:
                late = [
                    (conn, breaker)
                    for conn, limit, breaker in self._watched.values()
                    if limit.monotonic <= now
                ]
                for conn, _ in late:
                    self._watched.pop(id(conn), None)
                    self._busy.pop(id(conn), None)
                    self._committing.discard(id(conn))
                # A request's statement takes milliseconds: one unanswered this long means the server
                # hangs, and the requests behind it should not each wait for their deadline to find out.
                hanging = [
                    self._watched[key][2]
                    for key, since in self._busy.items()
                    if now - since >= HANG_SECONDS and self._watched[key][2] is not None
                ]
                # Then the other requests stuck on that server are let go at once rather than at their
                # deadlines, freeing their threads: those in a statement only (not in COMMIT), whose
                # transaction the server rolls back when it sees the connection closed.
                # Only once a ping confirmed the hang (the breaker is open): a statement waiting on a row
                # lock in a rush is slow too, and must be left to finish.
                stuck = []
                confirmed = [breaker for breaker in hanging if breaker.open]
                if confirmed:
                    for key in list(self._busy):
                        conn, _, breaker = self._watched[key]
                        if breaker in confirmed and key not in self._committing:
                            stuck.append(conn)
                            self._watched.pop(key, None)
                            self._busy.pop(key, None)
            for breaker in hanging:
                breaker.suspect()
            for conn in stuck:
                _shut(conn)
            for conn, breaker in late:
                _shut(conn)
                if breaker is not None:
                    breaker.suspect()


def _shut(dbapi_connection) -> None:
    """Close our end of a connection's socket (the pool then throws the connection away)."""
    try:
        fd = dbapi_connection.pgconn.socket
    except Exception:  # already closed
        return
    try:
        dup = socket.socket(fileno=os.dup(fd))
        try:
            dup.shutdown(socket.SHUT_RDWR)
        finally:
            dup.close()
        log.warning("database call abandoned (deadline passed, or the server hangs): connection shut")
    except OSError:
        pass


WATCHDOG = _Watchdog()


def _database_file(url: str) -> Path | None:
    """The file of a SQLite URL (None in memory)."""
    name = url[len("sqlite:///") :].split("?", 1)[0] if url.startswith("sqlite:///") else ""
    return Path(name) if name and name != ":memory:" else None


class _FileWriterLock:
    """The write turn across processes: an flock on a file beside the database, tried every fraction of
    a millisecond until it is free or the time runs out.

    SQLite's busy handler, which processes would otherwise queue on, sleeps 1, 2, 5, 10 … up to 100 ms
    between tries: a gunicorn worker whose sibling holds the lock for 3 ms slept 8 ms or more, so the
    second core idled and a rush's slowest answers took a second. A process that dies holding the flock
    loses it with its file descriptor. Taken only by the thread that holds the process's own lock.
    """

    POLL_FIRST, POLL_MAX = 0.0002, 0.002  # seconds between tries: short, growing, capped

    def __init__(self, path: Path):
        self.path = path.with_name(path.name + "-writer.lock")
        self._fd: int | None = None
        self._pid = 0
        self._closer: weakref.finalize | None = None  # closes the descriptor once, when asked or collected

    def _file(self) -> int:
        # Opened in this process: a descriptor inherited across a fork (gunicorn's workers) would share
        # its lock with the parent and the siblings instead of excluding them.
        if self._fd is None or self._pid != os.getpid():
            self.close()  # an inherited copy is closed here; the parent keeps its own
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._fd, self._pid, self._closer = fd, os.getpid(), weakref.finalize(self, os.close, fd)
        return self._fd

    def acquire(self, timeout: float) -> bool:
        import fcntl

        fd = self._file()
        end, pause = time.monotonic() + timeout, self.POLL_FIRST
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return True
            except BlockingIOError:
                if time.monotonic() >= end:
                    return False
                time.sleep(pause)
                pause = min(pause * 1.5, self.POLL_MAX)

    def release(self) -> None:
        import fcntl

        if self._fd is not None and self._pid == os.getpid():
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """Give the file back (the engine is disposed); a later turn opens it again."""
        if self._closer is not None:
            self._closer()
        self._fd = self._closer = None


def _tune_sqlite(engine: Engine, path: Path | None = None) -> None:
    # The threads of this process take turns for the write lock here, woken at once when it is free;
    # SQLite's own busy handler polls with sleeps of up to 100 ms, so under a rush some threads lost the
    # race again and again. Processes take turns on a file lock beside the database (_FileWriterLock),
    # tried far more often than SQLite's busy handler would.
    writer = threading.Lock()
    between = _FileWriterLock(path) if path is not None else None
    holders: set[int] = set()  # connection records whose transaction holds `writer`
    holders_lock = threading.Lock()

    @event.listens_for(engine, "engine_disposed")
    def _on_disposed(_engine):
        if between is not None:
            between.close()

    def release(record) -> None:
        with holders_lock:
            if id(record) not in holders:
                return
            holders.discard(id(record))
        if between is not None:
            between.release()
        writer.release()

    def take(timeout: float) -> bool:
        """The process's turn, then (with a file) the turn among processes, within `timeout` seconds."""
        started = time.monotonic()
        if not writer.acquire(timeout=timeout):
            return False
        if between is None or between.acquire(max(timeout - (time.monotonic() - started), 0.0)):
            return True
        writer.release()
        return False

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection, record):
        release(record)

    @event.listens_for(engine, "invalidate")
    def _on_invalidate(_dbapi_connection, record, _exc):
        release(record)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not the driver, decide when a transaction begins (see _on_begin).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        # Inside a deadline, waiting for the write lock may take only the time left.
        limit = _deadline.get()
        busy_ms = SQLITE_BUSY_MS if limit is None else int(limit.left() * 1000)
        if busy_ms <= 0:
            raise DeadlinePassed("deadline passed before the transaction began")
        record = conn.connection._connection_record
        with holders_lock:
            held = id(record) in holders
        if not SQLITE_WRITER_LOCK:
            pass
        elif not held and take(busy_ms / 1000):
            with holders_lock:
                holders.add(id(record))
        elif not held and limit is not None:
            raise DeadlinePassed("deadline passed waiting for the database's write lock")
        conn.connection.dbapi_connection.execute(f"PRAGMA busy_timeout={busy_ms}")
        # BEGIN IMMEDIATE takes the write lock up front: two writers queue on the busy timeout instead
        # of both reading, then one failing with "database is locked" when it upgrades to write.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str):
    """An Alembic configuration pointing at our migrations and the given database."""
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to the given revision."""
    from alembic import command

    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, revision)


def known_to_hang(engine: Engine) -> bool:
    """Whether this process already found the database hanging (its breaker is open, see _Breaker)."""
    breaker = getattr(engine, "clinicline_breaker", None)
    return bool(breaker is not None and breaker.open)


def ping(engine: Engine, seconds: float = CONNECT_TIMEOUT_SECONDS + 1) -> bool:
    """Whether the database answers within `seconds`."""
    try:
        with deadline(seconds, gated=False), engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:  # any failure means "not healthy"; the caller reports it
        return False
