"""Processes writing one SQLite database take turns on a file lock beside it (core.db._FileWriterLock)."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path

from sqlalchemy import text

from core.db import _FileWriterLock, make_engine


def test_a_second_holder_waits_until_the_first_gives_the_turn_back(tmp_path):
    first, second = _FileWriterLock(tmp_path / "x.db"), _FileWriterLock(tmp_path / "x.db")
    assert first.acquire(1.0)
    assert not second.acquire(0.05)
    first.release()
    assert second.acquire(0.05)
    second.release()
    first.close()
    second.close()


def test_a_waiting_holder_gets_the_turn_as_soon_as_it_is_free(tmp_path):
    first, second = _FileWriterLock(tmp_path / "x.db"), _FileWriterLock(tmp_path / "x.db")
    assert first.acquire(1.0)
    got = threading.Event()

    def wait_for_it():
        if second.acquire(30.0):
            got.set()

    waiter = threading.Thread(target=wait_for_it)
    waiter.start()
    assert not got.wait(0.05)
    first.release()
    waiter.join(timeout=30)
    assert got.is_set()
    second.release()


def _hold(path: str, held, done) -> None:
    lock = _FileWriterLock(Path(path))
    lock.acquire(10.0)
    held.set()
    done.wait(30)
    lock.release()


def test_another_process_holding_the_turn_keeps_this_one_out(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    held, done = ctx.Event(), ctx.Event()
    child = ctx.Process(target=_hold, args=(str(tmp_path / "x.db"), held, done))
    child.start()
    try:
        assert held.wait(60)
        mine = _FileWriterLock(tmp_path / "x.db")
        assert not mine.acquire(0.05)
        done.set()
        assert mine.acquire(30.0)
        mine.release()
    finally:
        done.set()
        child.join(timeout=30)
        if child.is_alive():
            child.kill()


def test_two_engines_on_one_file_write_in_turn_and_lose_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    engines = [make_engine(url), make_engine(url)]
    with engines[0].begin() as conn:
        conn.execute(text("CREATE TABLE n (v INTEGER)"))
    errors: list[BaseException] = []

    def write(engine, count: int) -> None:
        try:
            for i in range(count):
                with engine.begin() as conn:
                    conn.execute(text("INSERT INTO n (v) VALUES (:v)"), {"v": i})
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(engine, 50)) for engine in engines for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with engines[0].connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM n")).scalar() == 200
    for engine in engines:
        engine.dispose()
    assert (tmp_path / "x.db-writer.lock").exists()
