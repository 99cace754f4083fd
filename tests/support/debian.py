"""Debian packages the test set-up installs itself when a fresh machine lacks them (Chromium, PgBouncer,
PostgreSQL): apt-get as root, or through sudo, once however many test workers ask at the same time."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
from pathlib import Path

from core.embedded import directory_lock
from tests.support.processes import ROOT


def as_root(*command: str) -> list[str]:
    if os.geteuid() == 0:
        return list(command)
    sudo = shutil.which("sudo")
    assert sudo, f"`{' '.join(command)}` needs root or sudo"
    return [sudo, "-n", *command]


def ensure_package(path: Path, package: str) -> Path:
    """`path` (a program), installing Debian's `package` when it is missing."""
    with directory_lock(ROOT / "var" / f"{package}.lock"):  # parallel test workers install it once
        if not path.exists():
            env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
            install = as_root("apt-get", "install", "-y", "--no-install-recommends", package)
            if subprocess.run(install, env=env, check=False).returncode != 0:
                # a fresh machine may not have package lists yet
                subprocess.run(as_root("apt-get", "update"), env=env, check=True)
                subprocess.run(install, env=env, check=True)
    assert path.exists(), f"{path} is still missing after installing {package}"
    return path


def server_user() -> str | None:
    """The user servers run as: PostgreSQL and PgBouncer refuse root, so as root Debian's `postgres` user
    (which the postgresql-common package creates); None (ourselves) otherwise."""
    if os.geteuid() != 0:
        return None
    pwd.getpwnam("postgres")  # KeyError here: the postgresql-common package did not create it
    return "postgres"


def give_to(path: Path, user: str | None) -> None:
    """`path` (a fresh directory of ours) owned by the user the servers run as."""
    if user is not None:
        shutil.chown(path, user, user)
