"""Debian's PgBouncer in transaction pooling mode in front of a test's PostgreSQL, as a process of the test's own
on a free port (installed by the test set-up on a fresh machine)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.support.debian import ensure_package, give_to, server_user
from tests.support.processes import free_port, stop, wait_for

PGBOUNCER = Path("/usr/sbin/pgbouncer")


def _upstream(url: str) -> str:
    """The [databases] line's connection string for PostgreSQL at `url` (TCP, or a unix socket's directory
    as the embedded server's `?host=` gives it)."""
    parsed = make_url(url)
    host = parsed.query.get("host") or parsed.host or "127.0.0.1"
    assert isinstance(host, str)
    parts = [f"host={host}", f"port={parsed.port or 5432}", f"dbname={parsed.database}", f"user={parsed.username}"]
    if parsed.password:
        parts.append(f"password={parsed.password}")
    return " ".join(parts)


@contextmanager
def pgbouncer(url: str, *, pool_size: int) -> Iterator[str]:
    """PgBouncer in front of the database at `url`, at most `pool_size` server connections shared by every client
    one transaction at a time: yields the URL that reaches the same database through it."""
    binary = ensure_package(PGBOUNCER, "pgbouncer")
    parsed = make_url(url)
    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="turnero-pgbouncer-"))
    user = server_user()
    host = parsed.query.get("host")
    if user is not None and isinstance(host, str) and host.startswith("/"):
        user = Path(host).owner()  # a unix socket (the embedded server's) is open to its own user only
    give_to(workdir, user)
    ini = workdir / "pgbouncer.ini"
    ini.write_text(
        f"""[databases]
{parsed.database} = {_upstream(url)}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = any
pool_mode = transaction
default_pool_size = {pool_size}
min_pool_size = 0
reserve_pool_size = 0
max_client_conn = 1000
server_login_retry = 1
logfile = {workdir / "pgbouncer.log"}
pidfile = {workdir / "pgbouncer.pid"}
"""
    )
    process = subprocess.Popen([str(binary), str(ini)], user=user, cwd=workdir, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: _listening(port) or process.poll() is not None, 20, "pgbouncer")
        assert process.poll() is None, (process.stderr.read() if process.stderr else "") + _log(workdir)
        through = parsed.set(host="127.0.0.1", port=port, query={})
        yield through.render_as_string(hide_password=False)
    finally:
        stop(process, 10)
        shutil.rmtree(workdir, ignore_errors=True)


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _log(workdir: Path) -> str:
    log = workdir / "pgbouncer.log"
    return log.read_text() if log.exists() else ""
