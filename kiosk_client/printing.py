"""Tickets on the thermal printer (ESC/POS, python-escpos). The printer is chosen by URL; printing runs in a
thread under a time limit, so a printer that is absent, offline, out of paper or stuck never blocks the
kiosk: the caller learns what went wrong and shows the number on screen instead."""

from __future__ import annotations

import asyncio
import logging
from enum import StrEnum
from typing import Any
from urllib.parse import parse_qs, urlsplit

from escpos.printer import Dummy, File, Network, Serial, Usb

from kiosk_client.slip import Slip

log = logging.getLogger("kiosk_client")

SCHEMES = ("tcp", "usb", "serial", "file", "none")
NUMBER_SIZE = 4  # the ticket number at four times the normal width and height
# many printers never answer a status query: wait this long for one, then print anyway
STATUS_SECONDS = 0.5


class PrintProblem(StrEnum):
    """Each value is the i18n key of the sentence the screen shows."""

    ABSENT = "printer_absent"
    OFFLINE = "printer_offline"
    NO_PAPER = "printer_no_paper"
    SLOW = "printer_slow"


def check_printer_url(url: str) -> str:
    """Refuses a URL no printer can be opened from (at start-up, not when a citizen is waiting)."""
    parts = urlsplit(url)
    scheme = parts.scheme or url
    if scheme not in SCHEMES:
        raise ValueError(f"printer URL must start with one of {', '.join(s + ':' for s in SCHEMES)}: {url!r}")
    if scheme == "tcp" and not parts.hostname:
        raise ValueError(f"tcp printer URL needs a host: {url!r}")
    if scheme == "usb" and len(parts.netloc.split(":")) != 2:
        raise ValueError(f"usb printer URL is usb://VENDOR:PRODUCT in hex: {url!r}")
    if scheme in ("serial", "file") and not parts.path:
        raise ValueError(f"{scheme} printer URL needs a path: {url!r}")
    return url


def escpos_bytes(slip: Slip) -> bytes:
    """The ESC/POS commands of one ticket: the office, the number in large type, the details, the QR code of
    the ticket's live page (rendered by the printer itself), and a full cut."""
    printer = Dummy()
    printer.set(align="center", bold=True, normal_textsize=True)
    printer.textln(slip.heading)
    printer.ln()
    printer.set(align="center", bold=True, custom_size=True, width=NUMBER_SIZE, height=NUMBER_SIZE)
    printer.textln(slip.number)
    printer.set(align="center", bold=False, normal_textsize=True)
    printer.ln()
    for line in slip.lines:
        printer.textln(line)
    if slip.qr_url:
        printer.ln()
        printer.textln(slip.qr_caption)
        printer.qr(slip.qr_url, size=6, native=True)
    printer.cut()
    data: bytes = printer.output
    return data


def _device(url: str, timeout: float) -> Any:
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    if parts.scheme == "tcp":
        return Network(host=parts.hostname, port=parts.port or 9100, timeout=timeout)
    if parts.scheme == "usb":
        vendor, product = parts.netloc.split(":")
        return Usb(int(vendor, 16), int(product, 16), timeout=int(timeout * 1000))
    if parts.scheme == "serial":
        return Serial(devfile=parts.path, baudrate=int(query.get("baudrate", ["9600"])[0]), timeout=timeout)
    if parts.scheme == "file":
        return File(devfile=parts.path)
    return None


def send(url: str, data: bytes, timeout: float) -> PrintProblem | None:
    """Blocking: opens the printer, asks for its paper (printers that can answer), writes, closes."""
    device = _device(url, timeout)
    if device is None:
        return PrintProblem.ABSENT
    try:
        device.open()
        if not isinstance(device, File):
            if isinstance(device, Network):
                device.device.settimeout(STATUS_SECONDS)
            try:
                if device.paper_status() == 0:
                    return PrintProblem.NO_PAPER
            except (OSError, AttributeError, TypeError) as error:
                log.info("printer status unknown: %r", error)
            if isinstance(device, Network):
                device.device.settimeout(timeout)
        device._raw(data)
    except Exception as error:  # escpos raises its own errors, OSError and usb errors alike
        log.warning("printer %s failed: %r", url, error)
        return PrintProblem.OFFLINE
    finally:
        try:
            device.close()
        except Exception as error:
            log.info("closing printer: %r", error)
    return None


async def print_slip(url: str, slip: Slip, seconds: float) -> PrintProblem | None:
    """Prints without ever holding the kiosk longer than `seconds`; None when it printed."""
    data = escpos_bytes(slip)
    try:
        # the device's own timeouts are longer, so that a stuck printer is always given up here, on time
        return await asyncio.wait_for(asyncio.to_thread(send, url, data, seconds * 2), seconds)
    except TimeoutError:
        return PrintProblem.SLOW
