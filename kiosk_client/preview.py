"""A PNG of a ticket as the printer lays it out: for tests and for setting a kiosk up without paper."""

from __future__ import annotations

import io
import textwrap

import qrcode  # type: ignore[import-untyped]
from PIL import Image, ImageDraw, ImageFont

from kiosk_client.slip import Slip

WIDTH = 576  # dots across 80 mm paper at 203 dpi, what the thermal printers here use
MARGIN = 24
TEXT = 26
NUMBER = 120
CHARS_PER_LINE = 32
# Debian's fonts-dejavu-core has every Spanish letter; Pillow's own font lacks accents, so it is the fallback
FONT_FILES = ("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf", "DejaVuSans-Bold.ttf")


def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for name in FONT_FILES:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def preview_png(slip: Slip) -> bytes:
    text_font = font(TEXT)
    number_font = font(NUMBER)
    rows: list[tuple[str, ImageFont.FreeTypeFont | ImageFont.ImageFont, int]] = [
        (slip.heading, text_font, TEXT + 10),
        (slip.number, number_font, NUMBER + 30),
    ]
    for line in slip.lines:
        rows.extend((part, text_font, TEXT + 8) for part in textwrap.wrap(line, CHARS_PER_LINE) or [""])
    code: Image.Image | None = None
    if slip.qr_url:
        rows.append((slip.qr_caption, text_font, TEXT + 12))
        maker = qrcode.QRCode(box_size=6, border=2)
        maker.add_data(slip.qr_url)
        maker.make(fit=True)
        code = maker.make_image().get_image().convert("L")
    height = MARGIN * 2 + sum(step for _, _, step in rows) + (code.height + MARGIN if code else 0)
    image = Image.new("L", (WIDTH, height), 255)
    draw = ImageDraw.Draw(image)
    y = MARGIN
    for text, face, step in rows:
        draw.text((WIDTH // 2, y), text, font=face, fill=0, anchor="ma")
        y += step
    if code is not None:
        image.paste(code, ((WIDTH - code.width) // 2, y))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()
