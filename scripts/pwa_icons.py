"""Draw the PWA's icons (pwa/static/icons/) with OpenCV, so no image editor is needed.

    python scripts/pwa_icons.py

"any" icons fill the square with a rounded tile; "maskable" ones keep the artwork inside the
central 80 % safe zone on a full-bleed background, because launchers crop them to a circle
or squircle.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

OUT = Path(__file__).resolve().parent.parent / "pwa" / "static" / "icons"
BLUE = (140, 70, 13)  # BGR of #0d468c, the theme colour
AMBER = (0, 176, 255)  # BGR of #ffb000
WHITE = (255, 255, 255)


def _rounded_tile(img: np.ndarray, margin: int, radius: int, colour: tuple[int, int, int]) -> None:
    size = img.shape[0]
    a, b = margin, size - margin
    cv2.rectangle(img, (a + radius, a), (b - radius, b), colour, -1, cv2.LINE_AA)
    cv2.rectangle(img, (a, a + radius), (b, b - radius), colour, -1, cv2.LINE_AA)
    for cx, cy in (
        (a + radius, a + radius),
        (b - radius, a + radius),
        (a + radius, b - radius),
        (b - radius, b - radius),
    ):
        cv2.circle(img, (cx, cy), radius, colour, -1, cv2.LINE_AA)


def _artwork(img: np.ndarray, box: float) -> None:
    """A parcel (amber) with a barcode (white bars) across it, scaled to `box` of the side."""
    size = img.shape[0]
    side = int(size * box)
    x0 = (size - side) // 2
    y0 = (size - side) // 2
    # parcel body
    px0, py0 = x0 + side // 8, y0 + side // 5
    px1, py1 = x0 + side - side // 8, y0 + side - side // 8
    cv2.rectangle(img, (px0, py0), (px1, py1), AMBER, -1, cv2.LINE_AA)
    # lid
    cv2.rectangle(
        img,
        (px0 - side // 24, py0 - side // 10),
        (px1 + side // 24, py0 + side // 24),
        AMBER,
        -1,
        cv2.LINE_AA,
    )
    cv2.line(
        img,
        (px0 - side // 24, py0 + side // 24),
        (px1 + side // 24, py0 + side // 24),
        BLUE,
        max(2, side // 60),
        cv2.LINE_AA,
    )
    # barcode label
    lx0, ly0 = px0 + side // 10, py0 + side // 4
    lx1, ly1 = px1 - side // 10, py1 - side // 10
    cv2.rectangle(img, (lx0, ly0), (lx1, ly1), WHITE, -1, cv2.LINE_AA)
    widths = [2, 1, 3, 1, 1, 2, 1, 3, 2, 1, 1, 2, 3, 1, 2, 1, 1, 3, 1, 2]
    unit = max(1, (lx1 - lx0 - side // 12) // (sum(widths) * 2))
    x = lx0 + side // 24
    for i, w in enumerate(widths):
        if i % 2 == 0:
            cv2.rectangle(
                img, (x, ly0 + side // 24), (x + w * unit - 1, ly1 - side // 24), (30, 30, 30), -1
            )
        x += w * unit + unit


def icon(size: int, maskable: bool) -> np.ndarray:
    img = np.zeros((size, size, 4), np.uint8)
    tile = np.zeros((size, size, 3), np.uint8)
    if maskable:
        tile[:] = BLUE
        alpha = np.full((size, size), 255, np.uint8)
        _artwork(tile, 0.62)
    else:
        mask = np.zeros((size, size, 3), np.uint8)
        _rounded_tile(mask, size // 32, size // 5, WHITE)
        _rounded_tile(tile, size // 32, size // 5, BLUE)
        alpha = mask[:, :, 0]
        _artwork(tile, 0.86)
    img[:, :, :3] = tile
    img[:, :, 3] = alpha
    return img


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for size in (192, 512):
        cv2.imwrite(str(OUT / f"icon-{size}.png"), icon(size, maskable=False))
        cv2.imwrite(str(OUT / f"maskable-{size}.png"), icon(size, maskable=True))
    cv2.imwrite(str(OUT / "apple-touch-icon.png"), icon(180, maskable=True)[:, :, :3])


if __name__ == "__main__":
    main()
