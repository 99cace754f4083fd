"""Tickets on paper: the ESC/POS bytes that matter (size, QR, cut) written through each kind of printer URL,
printers that fail without holding the kiosk, and the PNG preview."""

from __future__ import annotations

import asyncio
import io
import socket
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
import qrcode  # type: ignore[import-untyped]
from PIL import Image

from kiosk_client.api import TicketInfo
from kiosk_client.arrivals import OfflineTicket
from kiosk_client.preview import MARGIN, WIDTH, preview_png
from kiosk_client.printing import PrintProblem, check_printer_url, escpos_bytes, print_slip
from kiosk_client.slip import offline_slip, ticket_slip
from kiosk_client.spool import ArrivalKind
from tests.support.processes import free_port

GS, ESC, DLE, EOT = b"\x1d", b"\x1b", b"\x10", b"\x04"
URL = "https://turnos.example/tickets/{ticket_id}"
TICKET = TicketInfo(
    id="4711",
    number="L-042",
    status="WAITING",
    issued_at=datetime(2026, 11, 25, 12, 30, tzinfo=UTC),
    position=4,
    estimated_wait_minutes=18,
    service_name="Licencia de conducir",
    office_name="Centro",
)


def slip(language: str = "es"):  # type: ignore[no-untyped-def]
    return ticket_slip(TICKET, "Centro", language, URL, TICKET.issued_at)  # type: ignore[arg-type]


def qr_commands(data: str) -> bytes:
    """GS ( k: store the data (function 180, "1P0") then print it (function 181, "1Q0")."""
    stored = data.encode()
    length = len(stored) + 3
    return GS + b"(k" + bytes([length % 256, length // 256]) + b"1P0" + stored + GS + b"(k\x03\x001Q0"


def test_the_ticket_bytes_carry_a_large_number_the_qr_code_and_a_cut() -> None:
    data = escpos_bytes(slip())
    big = GS + b"!\x33"  # character size: 4x width, 4x height
    normal = ESC + b"!\x00"  # print mode reset: the size of what follows is normal again
    assert data.count(big) == 1
    assert data.index(big) < data.index(b"L-042") < data.index(normal, data.index(big))
    assert qr_commands("https://turnos.example/tickets/4711") in data
    assert GS + b"(k\x03\x001C\x06" in data  # QR module size 6
    assert data.endswith(GS + b"V\x00")  # full cut, last
    assert data.index(b"Licencia de conducir") < data.index(b"1P0") < data.index(GS + b"V\x00")
    assert b"Personas antes que vos: 3" in data
    assert b"Espera estimada: 18 min" in data
    assert b"Waiting" not in data
    assert b"People ahead of you: 3" in escpos_bytes(slip("en"))


def test_an_offline_ticket_has_no_qr_and_says_it_was_offline() -> None:
    offline = OfflineTicket(
        number="L-007", kind=ArrivalKind.WALK_IN, service_name="Licencia", arrived_at=TICKET.issued_at
    )
    data = escpos_bytes(offline_slip(offline, "Centro", "en", TICKET.issued_at))
    assert b"L-007" in data
    assert b"(k" not in data
    assert b"Working offline" in data
    assert data.endswith(GS + b"V\x00")


async def test_a_file_printer_gets_exactly_the_ticket_bytes(tmp_path: Path) -> None:
    target = tmp_path / "printer.bin"
    assert await print_slip(f"file://{target}", slip(), 5) is None
    assert target.read_bytes() == escpos_bytes(slip())


class FakeNetworkPrinter:
    """A printer on tcp://127.0.0.1:port that answers the paper status query with `paper` and keeps the rest."""

    def __init__(self, paper: int) -> None:
        self.paper = paper
        self.received = b""
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        connection, _ = self.listener.accept()
        with connection:
            while chunk := connection.recv(4096):
                if chunk.startswith(DLE + EOT + b"\x04"):
                    if self.paper >= 0:  # -1: a printer that does not answer status queries
                        connection.sendall(bytes([self.paper]))
                    chunk = chunk[3:]
                self.received += chunk
        self.listener.close()


@pytest.fixture
def printer_with_paper() -> FakeNetworkPrinter:
    return FakeNetworkPrinter(paper=0x12)


async def test_a_network_printer_with_paper_prints(printer_with_paper: FakeNetworkPrinter) -> None:
    assert await print_slip(f"tcp://127.0.0.1:{printer_with_paper.port}", slip(), 5) is None
    await asyncio.to_thread(printer_with_paper.thread.join, 5)
    assert printer_with_paper.received == escpos_bytes(slip())


async def test_a_printer_out_of_paper_prints_nothing_and_says_so() -> None:
    empty = FakeNetworkPrinter(paper=0x72)
    assert await print_slip(f"tcp://127.0.0.1:{empty.port}", slip(), 5) is PrintProblem.NO_PAPER
    await asyncio.to_thread(empty.thread.join, 5)
    assert empty.received == b""


async def test_absent_and_offline_printers_fail_fast() -> None:
    assert await print_slip("none", slip(), 5) is PrintProblem.ABSENT
    assert await print_slip(f"tcp://127.0.0.1:{free_port()}", slip(), 5) is PrintProblem.OFFLINE
    assert await print_slip("usb://04b8:0e15", slip(), 5) is PrintProblem.OFFLINE
    assert await print_slip("serial:///dev/nonexistent-printer", slip(), 5) is PrintProblem.OFFLINE
    assert await print_slip("file:///nonexistent-dir/printer.bin", slip(), 5) is PrintProblem.OFFLINE


async def test_a_printer_that_does_not_answer_status_queries_still_prints() -> None:
    mute = FakeNetworkPrinter(paper=-1)
    assert await print_slip(f"tcp://127.0.0.1:{mute.port}", slip(), 5) is None
    await asyncio.to_thread(mute.thread.join, 5)
    assert mute.received == escpos_bytes(slip())


async def test_a_stuck_printer_does_not_hold_the_kiosk() -> None:
    """A printer whose connection never opens (its queue is full): given up on time, the kiosk goes on."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=0)
    port = listener.getsockname()[1]
    waiting = [socket.create_connection(("127.0.0.1", port), timeout=1)]  # fills the queue
    try:
        started = asyncio.get_running_loop().time()
        assert await print_slip(f"tcp://127.0.0.1:{port}", slip(), 0.5) is PrintProblem.SLOW
        assert asyncio.get_running_loop().time() - started < 1
    finally:
        for connection in waiting:
            connection.close()
        listener.close()


def test_printer_urls_are_checked_at_start_up() -> None:
    for good in (
        "tcp://10.0.0.5:9100",
        "usb://04b8:0202",
        "serial:///dev/ttyUSB0?baudrate=19200",
        "file:///tmp/x",
        "none",
    ):
        assert check_printer_url(good) == good
    for bad in ("lpt1", "tcp://:9100", "usb://04b8", "file:", "http://printer"):
        with pytest.raises(ValueError, match="printer URL"):
            check_printer_url(bad)


def test_the_png_preview_shows_the_same_ticket_with_its_qr_code() -> None:
    image = Image.open(io.BytesIO(preview_png(slip())))
    assert image.format == "PNG"
    assert image.width == WIDTH
    maker = qrcode.QRCode(box_size=6, border=2)
    maker.add_data("https://turnos.example/tickets/4711")
    maker.make(fit=True)
    expected = maker.make_image().get_image().convert("L")
    left, top = (WIDTH - expected.width) // 2, image.height - expected.height - 2 * MARGIN
    drawn = image.convert("L").crop((left, top, left + expected.width, top + expected.height))
    assert drawn.tobytes() == expected.tobytes()
    # the number is drawn large: dark ink across most of the width in its band
    band = image.convert("L").crop((0, 60, WIDTH, 170))
    pixels = band.tobytes()  # one byte per pixel, row by row
    dark_columns = sum(1 for x in range(WIDTH) if min(pixels[y * WIDTH + x] for y in range(0, 110, 5)) < 128)
    assert dark_columns > WIDTH // 3
    # an offline ticket has no QR code: shorter
    offline = OfflineTicket(
        number="L-007", kind=ArrivalKind.WALK_IN, service_name="Licencia", arrived_at=TICKET.issued_at
    )
    short = Image.open(io.BytesIO(preview_png(offline_slip(offline, "Centro", "es", TICKET.issued_at))))
    assert short.height < image.height
