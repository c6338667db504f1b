"""Corner bookkeeping: ordering quadrilaterals and mapping them back to the input frame."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from scanner._cv import cv2
from scanner.result import PointF

Quad = tuple[PointF, PointF, PointF, PointF]
Affine = npt.NDArray[np.float64]  # 2×3, maps a variant's pixels to the input frame's

IDENTITY: Affine = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])


def quad(points: Sequence[Sequence[float]] | npt.NDArray[np.floating]) -> Quad:
    p = [(float(x), float(y)) for x, y in np.asarray(points, dtype=np.float64).reshape(4, 2)]
    return (p[0], p[1], p[2], p[3])


def box_around(
    points: Sequence[Sequence[float]] | npt.NDArray[np.floating], reading_deg: float = 0.0
) -> Quad:
    """The tightest rotated rectangle around scattered points (as ZBar reports them), as
    top-left, top-right, bottom-right, bottom-left of a symbol read at `reading_deg`
    clockwise from upright."""
    pts = np.asarray(points, dtype=np.float32).reshape(-1, 2)
    if len(pts) == 0:
        return ((0.0, 0.0), (0.0, 0.0), (0.0, 0.0), (0.0, 0.0))
    box = np.asarray(cv2.boxPoints(cv2.minAreaRect(pts)), dtype=np.float64)
    return order(box, reading_deg)


def order(points: npt.NDArray[np.floating], reading_deg: float = 0.0) -> Quad:
    """Four corners ordered clockwise from the symbol's top-left.

    The top-left is the corner lying furthest in the direction of the upright top-left,
    (-1, -1), turned by the reading angle (image y axis points down)."""
    pts = np.asarray(points, dtype=np.float64).reshape(4, 2)
    centre = pts.mean(axis=0)
    rad = math.radians(reading_deg)
    cos, sin = math.cos(rad), math.sin(rad)
    tl_dir = np.array([-cos + sin, -sin - cos])
    angles = np.arctan2(pts[:, 1] - centre[1], pts[:, 0] - centre[0])
    clockwise = pts[np.argsort(angles)]  # increasing angle is clockwise when y points down
    start = int(np.argmax((clockwise - centre) @ tl_dir))
    return quad(np.roll(clockwise, -start, axis=0))


def apply(affine: Affine, corners: Quad) -> Quad:
    pts = np.hstack([np.asarray(corners, dtype=np.float64), np.ones((4, 1))])
    return quad(pts @ affine.T)


def compose(outer: Affine, inner: Affine) -> Affine:
    """outer ∘ inner for 2×3 affines: first inner, then outer."""
    a = np.vstack([outer, [0.0, 0.0, 1.0]])
    b = np.vstack([inner, [0.0, 0.0, 1.0]])
    out: Affine = (a @ b)[:2]
    return out


def invert(affine: Affine) -> Affine:
    out: Affine = cv2.invertAffineTransform(affine).astype(np.float64)
    return out


def rounded(corners: Quad) -> tuple[tuple[int, int], ...]:
    return tuple((round(x), round(y)) for x, y in corners)


def centre(corners: Quad) -> PointF:
    xs, ys = zip(*corners, strict=True)
    return (sum(xs) / 4, sum(ys) / 4)


def size(corners: Quad) -> float:
    """A length scale for the symbol: the longer diagonal."""
    (ax, ay), _, (cx, cy), _ = corners
    (bx, by), (dx, dy) = corners[1], corners[3]
    return max(math.hypot(cx - ax, cy - ay), math.hypot(dx - bx, dy - by))
