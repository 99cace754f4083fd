"""The booking code as a QR image for the kiosk's scanner: PNG from pure Python (no Pillow)."""

from __future__ import annotations

from io import BytesIO

import qrcode  # type: ignore[import-untyped]
from qrcode.image.pure import PyPNGImage  # type: ignore[import-untyped]

# 8-pixel modules and the standard 4-module quiet zone: a phone screen or a print scans at arm's length
BOX_SIZE = 8
BORDER = 4


def qr_png(data: str) -> bytes:
    image = qrcode.make(data, image_factory=PyPNGImage, box_size=BOX_SIZE, border=BORDER)
    buffer = BytesIO()
    image.save(buffer)
    return buffer.getvalue()
