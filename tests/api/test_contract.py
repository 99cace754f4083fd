"""The schema is a contract: the committed SDL matches the code, and every part of the core contract holds."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from schema.root import SDL_PATH, sdl


def _contract_check() -> Path:
    """The shared contract lives beside the repository; a checkout elsewhere names it with TURNERO_CONTRACT_DIR."""
    candidates = [Path(__file__).resolve().parents[3] / "shared" / "contract", Path("/work/shared/contract")]
    if named := os.environ.get("TURNERO_CONTRACT_DIR"):
        candidates.insert(0, Path(named))
    for folder in candidates:
        if (folder / "check_contract.py").exists():
            return folder / "check_contract.py"
    return candidates[0] / "check_contract.py"


CHECK = _contract_check()


def test_committed_sdl_matches_the_code() -> None:
    assert SDL_PATH.read_text() == sdl(), "run `python main.py export-schema` and commit schema/schema.graphql"


def test_schema_honours_the_whole_core_contract() -> None:
    assert CHECK.exists(), f"the shared contract is expected beside the repository at {CHECK}"

    result = subprocess.run([sys.executable, str(CHECK), str(SDL_PATH)], capture_output=True, text=True, check=False)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "contract: 0 breaches" in result.stdout
    assert "(0 skipped)" in result.stdout
