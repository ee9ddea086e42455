"""What every turn, job and command needs: configuration, database, job queue and clock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from core.config import Config
from core.db import make_engine, make_session_factory
from core.models import utcnow


@dataclass
class Runtime:
    """The resources of one process, built once by the app factory or the worker."""

    config: Config
    engine: Engine
    session_factory: sessionmaker[Session]
    clock: Callable[[], dt.datetime] = utcnow
    jobs: object = field(default=None)  # core.jobs.JobQueue, attached by core.jobs.attach_queue

    def now(self) -> dt.datetime:
        """The current instant (tests move the clock)."""
        return self.clock()

    def dispose(self) -> None:
        """Stop background work and close connections."""
        stop = getattr(self.jobs, "stop", None)
        if stop:
            stop()
        self.engine.dispose()


def build_runtime(config: Config, clock: Callable[[], dt.datetime] = utcnow) -> Runtime:
    """A runtime on the configured database, without a job queue yet."""
    engine = make_engine(config.database_url)
    sessions = make_session_factory(engine)
    if config.fault_kill_after_commit:
        _kill_after_commit(sessions, config.fault_kill_after_commit)
    return Runtime(config=config, engine=engine, session_factory=sessions, clock=clock)


def _kill_after_commit(sessions: sessionmaker[Session], table: str) -> None:
    """Fault injection (tests/faults): die by SIGKILL right after committing an insert into `table`."""
    import os
    import signal

    from sqlalchemy import event

    @event.listens_for(sessions, "after_flush")
    def _mark(session, _context):
        if any(getattr(obj, "__tablename__", None) == table for obj in session.new):
            session.info["fault_kill"] = True

    @event.listens_for(sessions, "after_commit")
    def _kill(session):
        if session.in_nested_transaction():  # a savepoint released: the transaction goes on
            return
        if session.info.pop("fault_kill", False):
            os.kill(os.getpid(), signal.SIGKILL)
