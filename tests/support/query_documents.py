"""The GraphQL documents the project itself sends: the web pages', the kiosk's and the benchmarks'."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from tests.support.processes import ROOT

_TEMPLATE = re.compile(r"(?:const|let)\s+([A-Z_][A-Z0-9_]*)\s*=\s*`([^`]*)`", re.S)
_ENTRY = re.compile(r"^\s*(\w+):\s*`([^`]*)`", re.M)
_IMPORT = re.compile(r'import\s*\{([^}]*)\}\s*from\s*"(\.{1,2}/[^"]+)"')
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_OPERATION = re.compile(r"^\s*(query|mutation|subscription|\{)")


def _templates(path: Path) -> dict[str, str]:
    text = path.read_text()
    found = {name: body for name, body in _TEMPLATE.findall(text)}
    found.update({f"{path.stem}.{key}": body for key, body in _ENTRY.findall(text)})
    return found


def _constants(path: Path) -> dict[str, str]:
    """A script's template literals with their ${CONSTANT}s filled in, imported ones included."""
    known = _templates(path)
    for names, source in _IMPORT.findall(path.read_text()):
        imported = _templates((path.parent / source).resolve())
        for name in (n.strip() for n in names.split(",")):
            if name in imported:
                known.setdefault(name, imported[name])
    for _ in range(5):  # constants built from constants built from constants
        known = _filled(known)
    return known


def _filled(known: dict[str, str]) -> dict[str, str]:
    return {name: _PLACEHOLDER.sub(lambda m: known.get(m.group(1), m.group(0)), body) for name, body in known.items()}


def web_documents() -> dict[str, str]:
    """`web/<page>/<script>.js NAME` → the document, for every template literal that is one."""
    documents: dict[str, str] = {}
    for path in sorted((ROOT / "web").rglob("*.js")):
        for name, body in _constants(path).items():
            if _OPERATION.match(body) and "${" not in body:
                documents[f"{path.relative_to(ROOT)} {name}"] = body
    return documents


def python_documents(*modules: str) -> dict[str, str]:
    """`module NAME` → the document, for every module-level string that is one."""
    documents: dict[str, str] = {}
    for module_name in modules:
        module = importlib.import_module(module_name)
        for name, value in vars(module).items():
            if name.isupper() and isinstance(value, str) and _OPERATION.match(value):
                documents[f"{module_name} {name}"] = value
    return documents


def bench_modules() -> list[str]:
    return [f"bench.{path.stem}" for path in sorted((ROOT / "bench").glob("*.py")) if path.stem != "__init__"]
