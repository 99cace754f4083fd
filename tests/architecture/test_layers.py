"""The layers of pyproject.toml's [tool.importlinter]: they hold on the tree, and the check has teeth."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
PACKAGES: list[str] = CONFIG["root_packages"]

# What every module of core pulls in, imported alone in a fresh interpreter
_CORE_IMPORTS = """
import importlib, json, pkgutil, sys
import core
for module in pkgutil.walk_packages(core.__path__, "core."):
    importlib.import_module(module.name)
print(json.dumps(sorted(sys.modules)))
"""


def test_core_alone_pulls_in_no_upper_layer() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _CORE_IMPORTS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = json.loads(result.stdout)
    assert any(name.startswith("core.") for name in loaded)
    upper = [name for name in loaded if name.split(".")[0] in {"realtime", "resolvers", "schema"}]
    assert upper == []


def _lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([LINT_IMPORTS, "--no-cache"], cwd=cwd, capture_output=True, text=True, check=False)


def test_lint_imports_keeps_the_tree() -> None:
    result = _lint_imports(ROOT)
    assert result.returncode == 0, result.stdout


def test_lint_imports_refuses_an_upward_import(tmp_path: Path) -> None:
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    with (tmp_path / "resolvers" / "rows.py").open("a") as rows:
        rows.write("\nimport schema.errors  # noqa: E402 (an operation reaching up into the GraphQL layer)\n")

    result = _lint_imports(tmp_path)

    assert result.returncode == 1
    assert "resolvers is not allowed to import schema" in result.stdout
    assert "resolvers.rows -> schema.errors" in result.stdout


def test_no_file_imports_itself_back() -> None:
    """acyclic_siblings looks at packages and ignores the edges it lists; every file is checked here."""
    graph = grimp.build_graph(*PACKAGES, cache_dir=None, exclude_type_checking_imports=True)
    # strawberry types that refer to each other: these fields import Ticket when they run (pyproject.toml)
    for importer in ("schema.booking.types", "schema.catalogue.types"):
        graph.remove_import(importer=importer, imported="schema.queue.types")
    cycles = [
        (module, imported)
        for module in sorted(graph.modules)
        for imported in sorted(graph.find_modules_directly_imported_by(module))
        if graph.chain_exists(importer=imported, imported=module)
    ]
    assert cycles == []
