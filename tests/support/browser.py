"""Real Chromium for the page tests: Debian's package (never a browser download), axe-core from the npm
registry, both installed once by the test set-up and found again quickly after."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

from playwright.async_api import Page, ViewportSize

from core.embedded import directory_lock
from tests.support.debian import ensure_package
from tests.support.processes import ROOT

CHROMIUM = Path("/usr/bin/chromium")
NPM_DIR = ROOT / "var" / "npm"
AXE = NPM_DIR / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "var" / "artifacts" / "screenshots"
PHONE = ViewportSize(width=390, height=844)
DESKTOP = ViewportSize(width=1366, height=768)
TV = ViewportSize(width=1920, height=1080)
SIZES = (("phone", PHONE), ("desktop", DESKTOP), ("tv", TV))
# the rule sets of WCAG 2.0, 2.1 and 2.2, levels A and AA
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def ensure_chromium() -> str:
    """Debian's chromium package, installed when /usr/bin/chromium is missing."""
    return str(ensure_package(CHROMIUM, "chromium"))


def ensure_axe() -> Path:
    """axe-core's browser script from the npm registry, kept under var/npm."""
    with directory_lock(ROOT / "var" / "npm.lock"):  # parallel test workers fetch it once
        _install_axe()
    assert AXE.exists(), f"{AXE} is missing after npm install"
    return AXE


def _install_axe() -> None:
    if not AXE.exists():
        npm = shutil.which("npm")
        assert npm, "npm is needed to fetch axe-core"
        subprocess.run(
            [npm, "install", "--prefix", str(NPM_DIR), "--no-audit", "--no-fund", "--no-save", "axe-core@4"],
            check=True,
            capture_output=True,
        )


async def serious_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical WCAG 2.2 A/AA violations on the page as it is now (the script is
    injected into every page of the context by an init script, which the pages' CSP does not block)."""
    result: dict[str, Any] = await page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
        if v["impact"] in {"serious", "critical"}
    ]


async def check_page(page: Page, name: str) -> None:
    """The page at phone, desktop and TV size: a screenshot of each (test artefacts; docs/screenshots/ is
    refreshed from them), and an axe scan of each."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for label, size in SIZES:
        await page.set_viewport_size(size)
        await page.wait_for_timeout(150)  # layout settles after the resize
        await page.screenshot(path=SCREENSHOTS / f"{name}-{label}.png", full_page=label == "phone")
        violations = await serious_violations(page)
        assert violations == [], f"{name} at {label} size: {violations}"
