"""The spool on disk: durable, private, in arrival order across processes, a torn line left out."""

from __future__ import annotations

import datetime as dt
import os
import stat
import subprocess
import sys

from core.spool import Spool

T0 = dt.datetime(2026, 12, 7, 12, 1, tzinfo=dt.UTC)


def test_entries_are_appended_to_a_private_file_named_after_the_process(tmp_path):
    spool = Spool(tmp_path / "spool")
    entry = spool.append("walkin", T0, phone="+15145551234", to="+15145550100")
    (path,) = spool.files()
    assert str(os.getpid()) in path.name
    assert path.name.startswith("spool-20")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "spool").stat().st_mode) == 0o700
    (read,) = spool.pending()
    assert (read.id, read.kind, read.at, read.data["phone"]) == (entry.id, "walkin", T0, "+15145551234")
    spool.close()


def test_a_torn_last_line_is_left_out_and_the_rest_is_read(tmp_path):
    spool = Spool(tmp_path)
    spool.append("walkin", T0, phone="+15145551234")
    spool.append("callback", T0 + dt.timedelta(minutes=1), phone="+15145559876")
    spool.close()
    (path,) = spool.files()
    with path.open("ab") as f:
        f.write(b'{"id":"half","kind":"walk')  # the process died in the middle of a write
    assert [e.kind for e in Spool(tmp_path).pending()] == ["walkin", "callback"]


def test_entries_of_several_processes_come_back_in_arrival_order(tmp_path):
    later = T0 + dt.timedelta(minutes=19)
    code = (
        "import datetime as dt, sys; from core.spool import Spool; "
        f"Spool(sys.argv[1]).append('walkin', dt.datetime.fromisoformat('{later.isoformat()}'), phone='+15145550002')"
    )
    spool = Spool(tmp_path)
    spool.append("walkin", T0 + dt.timedelta(minutes=30), phone="+15145550003")
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True)
    spool.append("walkin", T0, phone="+15145550001")
    assert len(spool.files()) == 2
    assert [e.data["phone"][-1] for e in spool.pending()] == ["1", "2", "3"]


def test_a_replayed_file_of_a_process_that_is_gone_is_removed_but_a_live_one_is_kept(tmp_path):
    code = "import datetime as dt, sys; from core.spool import Spool; Spool(sys.argv[1]).append('walkin', dt.datetime.now(dt.UTC), phone='+15145550002')"
    subprocess.run([sys.executable, "-c", code, str(tmp_path)], check=True)
    spool = Spool(tmp_path)
    spool.append("walkin", T0, phone="+15145550001")
    for path in spool.files():
        spool.mark_replayed(path, path.stat().st_size)
    assert not spool.has_pending()
    removed = [spool.retire(path) for path in spool.files()]
    assert sorted(removed) == [False, True]  # ours is still open (and locked) by this process
    (left,) = spool.files()
    assert str(os.getpid()) in left.name
    spool.append("walkin", T0, phone="+15145550003")
    assert spool.has_pending()
    assert spool.depth() == 1
