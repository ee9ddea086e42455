"""A PostgreSQL server of its own for outage tests: stopped and started again on the same port and data."""

from __future__ import annotations

import subprocess

from tests.support.servers import PostgresServer, _as_postgres, _pg_bin


class StoppablePostgres(PostgresServer):
    """A throwaway cluster that a test can stop (connections refused) and start again.

    It keeps prepared transactions (max_prepared_transactions): a transaction prepared before the stop
    still holds its row locks after the start, which lets a test hold a replay at a chosen entry.
    """

    def _options(self) -> str:
        return (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=300"
        )

    def start(self) -> StoppablePostgres:
        super().start()
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write("\nmax_prepared_transactions = 10\n")
        self.down()
        self.up()
        return self

    def down(self) -> None:
        """Stop the server: every connection is closed, new ones are refused."""
        subprocess.run(
            _as_postgres([_pg_bin("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"]),
            check=True,
            capture_output=True,
        )

    def up(self) -> None:
        """Start it again on the same port and data; returns once it accepts connections."""
        subprocess.run(
            _as_postgres(
                [
                    _pg_bin("pg_ctl"),
                    "-D",
                    str(self.data),
                    "-o",
                    self._options(),
                    "-l",
                    str(self.dir / "log"),
                    "-w",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
        )
