"""The schema is a contract: the committed SDL matches the code, and every part of the core contract holds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from schema.root import SDL_PATH, sdl

CHECK = Path(__file__).resolve().parents[2] / "shared" / "contract" / "check_contract.py"


def test_committed_sdl_matches_the_code() -> None:
    assert SDL_PATH.read_text() == sdl(), "run `python main.py export-schema` and commit schema/schema.graphql"


def test_schema_honours_the_whole_core_contract() -> None:
    assert CHECK.exists(), f"the shared contract is expected beside the repository at {CHECK}"

    result = subprocess.run([sys.executable, str(CHECK), str(SDL_PATH)], capture_output=True, text=True, check=False)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "contract: 0 breaches" in result.stdout
    assert "(0 skipped)" in result.stdout
