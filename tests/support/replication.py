"""A real streaming replica for the scale-out tests: Debian's PostgreSQL (installed by the test set-up on a fresh
machine) started as a primary and a hot standby made from it with pg_basebackup, both in a temporary directory on
free ports, as the `postgres` user when the tests run as root (PostgreSQL refuses root)."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from tests.support.debian import ensure_package, give_to, server_user
from tests.support.processes import free_port

PG_BIN = Path("/usr/lib/postgresql/15/bin")
# a test cluster: nothing here must survive a crash, and these cut initdb and the base backup to seconds
_CONFIG = """
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
wal_level = replica
max_wal_senders = 4
hot_standby = on
fsync = off
full_page_writes = off
shared_buffers = 32MB
max_connections = 60
"""


@dataclass(frozen=True, slots=True)
class Pair:
    primary_url: str
    replica_url: str


@contextmanager
def primary_and_replica() -> Iterator[Pair]:
    ensure_package(PG_BIN / "initdb", "postgresql-15")
    user = server_user()
    root = Path(tempfile.mkdtemp(prefix="turnero-replica-"))
    give_to(root, user)
    primary, replica = root / "primary", root / "replica"
    ports = free_port(), free_port()
    started: list[Path] = []

    def run(*command: str) -> None:
        done = subprocess.run(command, user=user, cwd=root, capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"{' '.join(command)}: {done.stderr or done.stdout}"

    def start(data: Path) -> None:
        run(str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(root / f"{data.name}.log"), "-w", "-t", "60", "start")
        started.append(data)

    try:
        run(str(PG_BIN / "initdb"), "-D", str(primary), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync")
        with (primary / "postgresql.conf").open("a") as conf:
            conf.write(_CONFIG + f"port = {ports[0]}\n")
        start(primary)
        run(
            str(PG_BIN / "pg_basebackup"),
            *("-h", "127.0.0.1", "-p", str(ports[0]), "-U", "postgres", "-D", str(replica)),
            *("-R", "-X", "stream", "-c", "fast", "--no-sync"),
        )
        with (replica / "postgresql.conf").open("a") as conf:
            conf.write(f"port = {ports[1]}\n")
        start(replica)  # pg_ctl -w waits until the standby takes read-only connections
        yield Pair(*(f"postgresql://postgres@127.0.0.1:{port}/postgres" for port in ports))
    finally:
        for data in reversed(started):
            subprocess.run(
                [str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
                user=user,
                cwd=root,
                capture_output=True,
                check=False,
            )
        shutil.rmtree(root, ignore_errors=True)


async def caught_up(pair: Pair) -> None:
    """Until the replica has replayed everything the primary has written by now (20 s at most)."""
    primary = await asyncpg.connect(pair.primary_url)
    replica = await asyncpg.connect(pair.replica_url)
    try:
        written = await primary.fetchval("SELECT pg_current_wal_lsn()")
        async with asyncio.timeout(20):
            # a standby announces no replay: polling its position is the only way to wait for it
            while not await replica.fetchval("SELECT pg_last_wal_replay_lsn() >= $1", written):  # noqa: ASYNC110
                await asyncio.sleep(0.02)
    finally:
        await primary.close()
        await replica.close()


async def pause_replay(pair: Pair) -> None:
    """The standby stops applying what the primary writes: it lags from now on, until resume_replay. Waits until
    the pause has taken effect (a pause is only requested at first)."""
    replica = await asyncpg.connect(pair.replica_url)
    try:
        await replica.execute("SELECT pg_wal_replay_pause()")
        async with asyncio.timeout(20):
            while await replica.fetchval("SELECT pg_get_wal_replay_pause_state()") != "paused":  # noqa: ASYNC110
                await asyncio.sleep(0.01)
    finally:
        await replica.close()


async def resume_replay(pair: Pair) -> None:
    replica = await asyncpg.connect(pair.replica_url)
    try:
        await replica.execute("SELECT pg_wal_replay_resume()")
    finally:
        await replica.close()
