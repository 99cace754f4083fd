#!/usr/bin/env python3
"""The two commands of the README, on a machine with nothing but Python 3.11+:

    python3 dev.py demo    # set up, load the demo city, serve it with its worker; a summary says where
    python3 dev.py test    # set up, then lint, type-check, check the layers and run the whole test suite
    python3 dev.py test --fast    # the same without the tests marked slow (real processes, browsers, storms)

Set-up is a virtual environment in .venv with the project installed (`pip install -e ".[dev]"`),
redone only when pyproject.toml changes. Extra arguments go to `main.py demo` or to pytest (a chosen subset runs
in one process; the whole suite in TURNERO_TEST_WORKERS parallel workers, 2 unless set).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"
STAMP = VENV / ".turnero-installed"


def run(*args: str | Path) -> None:
    subprocess.run([str(a) for a in args], cwd=ROOT, check=True)


def set_up() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 (this file runs on whatever python3 a newcomer has)
        sys.exit(f"Turnero needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted and PYTHON.exists():
        return
    print("setting up .venv (once, and again when pyproject.toml changes) …", flush=True)
    if not PYTHON.exists():
        run(sys.executable, "-m", "venv", VENV)
    run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(
        PYTHON,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--progress-bar",
        "off" if os.environ.get("CI") else "on",
        "-e",
        ".[dev]",
    )
    STAMP.write_text(wanted)


def workers() -> list[str]:
    """The whole suite runs in parallel test files (pytest-xdist), each worker on a database and a Redis db of its
    own (tests/support/servers.py): most tests wait on servers, processes and browsers rather than compute."""
    count = os.environ.get("TURNERO_TEST_WORKERS", "2")
    return [] if count in {"0", "1"} else ["-n", count, "--dist", "loadfile"]


def test(extra: list[str]) -> int:
    fast = "--fast" in extra
    extra = [arg for arg in extra if arg != "--fast"]
    steps: list[list[str | Path]] = [
        [PYTHON, "-m", "ruff", "check", "."],
        [PYTHON, "-m", "ruff", "format", "--check", "."],
        [PYTHON, "-m", "mypy", "."],
        [VENV / "bin" / "lint-imports"],  # the layers and no import cycles (pyproject.toml [tool.importlinter])
        [PYTHON, "-m", "pytest", *(["-m", "not slow"] if fast else []), *(extra or workers())],
    ]
    if extra:  # a chosen subset of tests: skip the linters
        steps = steps[-1:]
    for step in steps:
        shown = step[1:] if step[0] == PYTHON else [Path(step[0]).name, *step[1:]]
        print("+", " ".join(str(part) for part in shown), flush=True)
        code = subprocess.run([str(part) for part in step], cwd=ROOT, check=False).returncode
        if code != 0:
            return code
    return 0


def main() -> int:
    command, extra = (sys.argv[1], sys.argv[2:]) if len(sys.argv) > 1 else ("", [])
    if command not in {"demo", "test"}:
        print(__doc__)
        return 2
    set_up()
    if command == "test":
        return test(extra)
    os.execv(PYTHON, [str(PYTHON), str(ROOT / "main.py"), "demo", *extra])


if __name__ == "__main__":
    sys.exit(main())
