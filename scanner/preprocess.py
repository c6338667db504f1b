"""Image variants for the fallback passes, each with the affine that maps it back.

Every function takes the grey frame and returns Variants: a new image plus the 2×3 matrix
from its pixels to the frame's, so corners found in a variant are reported in the frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from scanner import geometry
from scanner._cv import cv2
from scanner.geometry import Affine, Quad
from scanner.imageio import Grey

# Above this many pixels on the long side a frame is worth a downscaled look.
LARGE_FRAME = 1400


@dataclass(frozen=True, slots=True)
class Variant:
    name: str
    image: Grey
    to_frame: Affine | None = None  # None: the variant has the frame's own pixels


def _scale(grey: Grey, factor: float, name: str) -> Variant:
    h, w = grey.shape
    size = (max(round(w * factor), 1), max(round(h * factor), 1))
    interp = cv2.INTER_AREA if factor < 1 else cv2.INTER_CUBIC
    img = cv2.resize(grey, size, interpolation=interp)
    sx, sy = w / size[0], h / size[1]
    return Variant(name, img, np.array([[sx, 0.0, 0.0], [0.0, sy, 0.0]]))


def clahe(grey: Grey) -> Variant:
    """Local contrast normalisation: lifts washed-out or dim codes and tames glare."""
    op = cv2.createCLAHE(clipLimit=3.0, tileGridSize=(8, 8))
    return Variant("clahe", op.apply(grey))


def sharpen(grey: Grey) -> Variant:
    """Unsharp mask: restores bar edges softened by focus or motion blur."""
    soft = cv2.GaussianBlur(grey, (0, 0), 2.0)
    return Variant("sharpen", cv2.addWeighted(grey, 2.0, soft, -1.0, 0))


def invert(grey: Grey) -> Variant:
    """Light-on-dark codes (laser-etched parts, screens) for engines that only read dark."""
    return Variant("invert", cv2.bitwise_not(grey))


def downscale(grey: Grey) -> Variant:
    """Halve large frames: averaging sharpens blurry big codes and saves time."""
    return _scale(grey, 0.5, "downscale")


def upscale(grey: Grey) -> Variant:
    """Double small frames: gives 1-pixel modules room for the binarizers."""
    return _scale(grey, 2.0, "upscale")


def rotate(grey: Grey, degrees: float) -> Variant:
    """Turn the frame: linear readers scan rows and columns, so diagonal bars need this."""
    h, w = grey.shape
    rad = math.radians(degrees)
    cos, sin = abs(math.cos(rad)), abs(math.sin(rad))
    out_w, out_h = int(h * sin + w * cos), int(h * cos + w * sin)
    m = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    m[0, 2] += out_w / 2 - w / 2
    m[1, 2] += out_h / 2 - h / 2
    img = cv2.warpAffine(grey, m, (out_w, out_h), flags=cv2.INTER_LINEAR, borderValue=255)
    return Variant(f"rotate{degrees:+.0f}", img, geometry.invert(m))


def straighten(grey: Grey, region: Quad, name: str, min_module_px: float = 2.0) -> Variant:
    """Cut a located code out upright, with a quiet zone, enlarged when it is small.

    `region` is the code's quadrilateral, top-left first, its top edge along the reading
    direction for bars (as scanner.locate reports it)."""
    (x0, y0), (x1, y1), _, (x3, y3) = region
    width = math.hypot(x1 - x0, y1 - y0)
    height = math.hypot(x3 - x0, y3 - y0)
    if width < 4 or height < 4:
        return Variant(name, grey[:1, :1])
    # a typical code spans ~100 modules along `width`: enlarge to `min_module_px` each
    zoom = min(max(min_module_px * 100 / max(width, 1.0), 1.0), 4.0)
    pad_x, pad_y = 0.15 * width + 8, 0.25 * height + 8
    out_w = int((width + 2 * pad_x) * zoom)
    out_h = int((height + 2 * pad_y) * zoom)
    src = np.array([[x0, y0], [x1, y1], [x3, y3]], dtype=np.float32)
    top_left = [pad_x, pad_y]
    dst = np.array([top_left, [pad_x + width, pad_y], [pad_x, pad_y + height]], np.float32) * zoom
    m = cv2.getAffineTransform(src, dst)
    img = cv2.warpAffine(
        grey, m, (out_w, out_h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )
    return Variant(name, img, geometry.invert(m.astype(np.float64)))


def long_side(grey: Grey) -> int:
    return max(grey.shape[:2])
