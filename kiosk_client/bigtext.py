"""Large type in a terminal: text drawn with a real font, then shown with half-block characters, so any
ticket number (any service letter) is readable from a step back. Textual's Digits draws only 0-9 and A-F."""

from __future__ import annotations

from PIL import Image, ImageDraw
from textual.widget import Widget

from kiosk_client.preview import font

ROWS = 7  # terminal rows: the glyphs are twice as many pixels high (two per row)


def raster(text: str, rows: int = ROWS) -> list[str]:
    """The text as lines of ' ', '▀', '▄' and '█'."""
    height = rows * 2
    face = font(height)
    left, top, right, bottom = face.getbbox(text)
    face = font(int(height * height / max(1, bottom - top)))  # the glyphs, not the line, fill the rows
    left, top, right, bottom = face.getbbox(text)
    image = Image.new("1", (max(1, int(right - left)), height), 0)
    ImageDraw.Draw(image).text((-left, -top), text, font=face, fill=1)
    pixels = image.load()
    assert pixels is not None
    lines = []
    for row in range(rows):
        cells = []
        for x in range(image.width):
            upper, lower = pixels[x, row * 2], pixels[x, row * 2 + 1]
            cells.append("█" if upper and lower else "▀" if upper else "▄" if lower else " ")
        lines.append("".join(cells).rstrip())
    while lines and not lines[-1]:
        lines.pop()
    return lines


class BigText(Widget):
    DEFAULT_CSS = "BigText { height: auto; width: 100%; content-align: center middle; text-align: center; }"

    def __init__(self, text: str, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.text = text
        self._lines = raster(text)
        width = max(len(line) for line in self._lines)
        self._lines = [line.ljust(width) for line in self._lines]

    def render(self) -> str:
        return "\n".join(self._lines)
