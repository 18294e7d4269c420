"""Draws Newsdesk's icons: icon.svg and the PNGs beside it (192, 512, maskable 512, 180, 32).

Run from the checkout: ``python src/newsdesk/news/static/newsdesk/icons/generate.py``. Pure Python and
numpy (a dependency already), no image library: each shape is a rounded rectangle on a 512 grid,
drawn 4x4 supersampled and averaged, written as an RGBA PNG with zlib. The SVG is the same shapes.
The design: a page (white) with a headline bar and four lines of text on the accent blue of the
light theme (--accent, #1a5fb4).
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
BLUE = (0x1A, 0x5F, 0xB4)
WHITE = (0xFF, 0xFF, 0xFF)
LINE = (0x8A, 0xA6, 0xCC)
# (x, y, width, height, radius, colour) on a 512 x 512 grid, drawn in order.
PAGE = [
    (112, 104, 288, 304, 24, WHITE),
    (148, 148, 216, 44, 10, BLUE),
    (148, 224, 216, 18, 9, LINE),
    (148, 262, 216, 18, 9, LINE),
    (148, 300, 216, 18, 9, LINE),
    (148, 338, 136, 18, 9, LINE),
]
SAMPLES = 4


def coverage(size: int, x: float, y: float, w: float, h: float, r: float) -> np.ndarray:
    """How much of each pixel a rounded rectangle covers (0..1), on a size x size image."""
    n = size * SAMPLES
    scale = size / 512
    centres = (np.arange(n) + 0.5) / SAMPLES
    px, py = np.meshgrid(centres, centres)
    x0, y0, x1, y1, rr = x * scale, y * scale, (x + w) * scale, (y + h) * scale, r * scale
    # Distance outside the rectangle shrunk by the radius: inside when it is at most the radius.
    dx = np.maximum(np.maximum(x0 + rr - px, px - (x1 - rr)), 0)
    dy = np.maximum(np.maximum(y0 + rr - py, py - (y1 - rr)), 0)
    inside = (dx * dx + dy * dy <= rr * rr) & (px >= x0) & (px <= x1) & (py >= y0) & (py <= y1)
    return inside.reshape(size, SAMPLES, size, SAMPLES).mean(axis=(1, 3))


def draw(size: int, *, maskable: bool = False) -> np.ndarray:
    """RGBA pixels: a rounded blue square (a full square when maskable) with the page on it."""
    image = np.zeros((size, size, 4))
    background = (0, 0, 512, 512, 0 if maskable else 96, BLUE)
    # A maskable icon is cut to a circle of 80% by the system: the page shrinks into that zone.
    shrink = 0.78 if maskable else 1.0
    shapes = [background] + [
        (256 + (x - 256) * shrink, 256 + (y - 256) * shrink, w * shrink, h * shrink, r * shrink, colour)
        for x, y, w, h, r, colour in PAGE
    ]
    for x, y, w, h, r, colour in shapes:
        alpha = coverage(size, x, y, w, h, r)[..., None]
        paint = np.array([*colour, 255], dtype=float)
        image = image * (1 - alpha) + paint * alpha
    return np.clip(np.rint(image), 0, 255).astype(np.uint8)


def png(pixels: np.ndarray) -> bytes:
    height, width = pixels.shape[:2]
    raw = b"".join(b"\x00" + pixels[row].tobytes() for row in range(height))

    def chunk(kind: bytes, payload: bytes) -> bytes:
        return (
            struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def svg() -> str:
    def hex_of(colour: tuple[int, int, int]) -> str:
        return "#{:02x}{:02x}{:02x}".format(*colour)

    shapes = "".join(
        f'<rect x="{x}" y="{y}" width="{w}" height="{h}" rx="{r}" fill="{hex_of(colour)}"/>'
        for x, y, w, h, r, colour in [(0, 0, 512, 512, 96, BLUE), *PAGE]
    )
    return f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512">{shapes}</svg>\n'


def main() -> None:
    (HERE / "icon.svg").write_text(svg())
    for name, size, maskable in (
        ("icon-192.png", 192, False),
        ("icon-512.png", 512, False),
        ("icon-maskable-512.png", 512, True),
        ("apple-touch-icon.png", 180, True),  # iOS rounds the corners itself: full-bleed
        ("favicon-32.png", 32, False),
    ):
        (HERE / name).write_bytes(png(draw(size, maskable=maskable)))


if __name__ == "__main__":
    main()
