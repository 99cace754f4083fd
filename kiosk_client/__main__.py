"""`python -m kiosk_client`: runs the kiosk, or prints a ticket preview for setting one up."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from kiosk_client.api import KioskApi, KioskApiError, OfficeInfo, TicketInfo, Unreachable
from kiosk_client.arrivals import Arrivals
from kiosk_client.config import KioskConfig, Language, load_config
from kiosk_client.i18n import say
from kiosk_client.preview import preview_png
from kiosk_client.printing import check_printer_url, print_slip
from kiosk_client.slip import ticket_slip
from kiosk_client.spool import Spool

ENVIRONMENT = "\n".join(
    f"  KIOSK_{name.upper():<22} {field.description}" for name, field in KioskConfig.model_fields.items()
)


def parser() -> argparse.ArgumentParser:
    command = argparse.ArgumentParser(
        prog="python -m kiosk_client",
        description="Turnero's office kiosk: check-in by booking code or scan, walk-in tickets, printing, and "
        "an offline spool replayed when the network returns.",
        epilog=f"Settings come from --config (TOML, the same names in lower case) and, overriding it, these "
        f"environment variables:\n{ENVIRONMENT}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.add_argument("--config", type=Path, help="a TOML file of settings")
    command.add_argument("--language", choices=["es", "en"], help="overrides KIOSK_LANGUAGE")
    command.add_argument(
        "--preview", type=Path, metavar="PNG", help="write a sample ticket as PNG (and print it) and exit"
    )
    command.add_argument("-v", "--verbose", action="store_true", help="log to stderr")
    return command


def sample_ticket(office: OfficeInfo | None, language: Language) -> TicketInfo:
    """A ticket of the office's first walk-in procedure, named as the server names it; without the server,
    a sample name in the kiosk's language."""
    services = (office.walk_in_services or office.services) if office else ()
    service = services[0] if services else None
    return TicketInfo(
        id="0",
        number=f"{service.prefix if service else 'A'}-001",
        status="WAITING",
        issued_at=datetime.now(UTC),
        position=3,
        estimated_wait_minutes=12,
        service_name=service.name if service else say(language, "sample_service"),
        office_name=office.name if office else "",
    )


async def _office(config: KioskConfig) -> OfficeInfo | None:
    """The kiosk's office as the server has it; None when the server cannot be reached (a printer can be set
    up before the network is)."""
    async with KioskApi(config.server_url, config.token, timeout=config.request_seconds) as api:
        try:
            return await api.office(config.office_id)
        except Unreachable:
            return None


def preview(config: KioskConfig, path: Path) -> int:
    """A sample ticket as PNG, and on the configured printer: to set a kiosk up. The office's name, its
    procedure's name and its local time, as the real tickets print them."""
    try:
        office = asyncio.run(_office(config))
    except KioskApiError as error:
        print(f"kiosk_client: the server refused this kiosk: {error}", file=sys.stderr)
        return 2
    ticket = sample_ticket(office, config.language)
    local_time = ticket.issued_at.astimezone(ZoneInfo(office.timezone) if office else None)
    slip = ticket_slip(ticket, office.name if office else "Turnero", config.language, config.ticket_url, local_time)
    path.write_bytes(preview_png(slip))
    problem = asyncio.run(print_slip(config.printer, slip, config.printer_seconds))
    source = "" if office else " (server unreachable: sample names, this computer's time)"
    print(f"preview written to {path}{source}; printer: {'printed' if problem is None else problem.value}")
    return 0


def config_problem(error: ValidationError) -> str:
    """One line a person can act on, not pydantic's report: the settings missing (with their variables) and
    what is wrong with the others."""
    missing = [str(e["loc"][0]) for e in error.errors() if e["type"] == "missing" and e["loc"]]
    wrong = [
        f"{'.'.join(str(part) for part in e['loc']) or 'settings'}: {e['msg']}"
        for e in error.errors()
        if e["type"] != "missing"
    ]
    parts = []
    if missing:
        names = ", ".join(f"KIOSK_{name.upper()}" for name in missing)
        parts.append(f"set {names} (or {', '.join(missing)} in --config)")
    parts.extend(wrong)
    return "; ".join(parts)


async def run(config: KioskConfig) -> int:
    from kiosk_client.app import KioskApp

    spool = Spool(config.spool_path)
    try:
        async with KioskApi(config.server_url, config.token, timeout=config.request_seconds) as api:
            arrivals = Arrivals(api, spool, config.office_id, block_size=config.block_size)
            try:
                await arrivals.refresh()  # offline is fine; a refused token or a wrong office is not
            except KioskApiError as error:
                print(f"kiosk_client: the server refused this kiosk: {error}", file=sys.stderr)
                return 2
            await KioskApp(config, arrivals).run_async()
    finally:
        spool.close()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.verbose:
        logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    overrides = {"language": args.language} if args.language else {}
    try:
        config = load_config(args.config, **overrides)
        check_printer_url(config.printer)
    except ValidationError as error:
        print(f"kiosk_client: bad configuration: {config_problem(error)}", file=sys.stderr)
        return 2
    except (ValueError, OSError) as error:
        print(f"kiosk_client: bad configuration: {error}", file=sys.stderr)
        return 2
    if args.preview is not None:
        return preview(config, args.preview)
    return asyncio.run(run(config))


if __name__ == "__main__":
    sys.exit(main())
