"""The kiosk's settings: a TOML file, overridden by KIOSK_* environment variables."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Language = Literal["es", "en"]


class KioskConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KIOSK_", extra="forbid")

    server_url: str = Field(default="http://127.0.0.1:8000", description="Turnero's base URL")
    token: str = Field(description="the KIOSK device token (td_…) from issueDeviceToken")
    office_id: str = Field(description="the office this kiosk stands in (its token's office)")
    printer: str = Field(
        default="none",
        description="tcp://host:9100, usb://VENDOR:PRODUCT (hex), serial:///dev/ttyUSB0?baudrate=19200, "
        "file:///path (write the bytes), or none",
    )
    language: Language = Field(default="es", description="the screen's and tickets' first language")
    spool_path: Path = Field(
        default=Path.home() / ".turnero-kiosk" / "spool.sqlite3",
        description="the offline spool (SQLite on the kiosk's own disk)",
    )
    ticket_url: str = Field(
        default="",
        description="the ticket's live status page, for the QR code; {ticket_id} is replaced "
        "(default: the server's own /ticket/{ticket_id} page)",
    )
    idle_seconds: float = Field(default=30, gt=0, description="back to the start screen after this long untouched")
    block_size: int = Field(default=50, ge=1, le=500, description="walk-in numbers reserved for offline use")
    request_seconds: float = Field(default=5, gt=0, description="how long an API request may take")
    printer_seconds: float = Field(default=8, gt=0, description="how long printing may take before giving up")
    replay_every_seconds: float = Field(default=5, gt=0, description="how often the spool is replayed when offline")

    @model_validator(mode="after")
    def _ticket_page_of_the_server(self) -> KioskConfig:
        if not self.ticket_url:
            self.ticket_url = self.server_url.rstrip("/") + "/ticket/{ticket_id}"
        return self


def load_config(path: Path | None = None, **overrides: Any) -> KioskConfig:
    """Values from the file (if any), each overridden by its KIOSK_* variable, then by `overrides`."""
    values: dict[str, Any] = tomllib.loads(path.read_text()) if path is not None else {}
    values = {key: value for key, value in values.items() if f"KIOSK_{key.upper()}" not in os.environ}
    return KioskConfig(**(values | overrides))
