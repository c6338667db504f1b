"""Where codes might be, found from image structure alone (no decoding).

Bars make strong gradients that all point one way; matrix codes make strong gradients
pointing every way. The smoothed structure tensor of the image measures both: its trace is
edge energy and its anisotropy ("coherence") separates bars from modules. Regions of high
energy are candidate codes, and for bars the tensor's main direction is the reading
direction, so a rotated crop can be turned upright for engines that scan rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from scanner._cv import cv2
from scanner.geometry import Quad, quad
from scanner.imageio import Grey

WORK_SIDE = 960  # analyse at about this long side: bars stay resolved, cost stays low


@dataclass(frozen=True, slots=True)
class Region:
    corners: Quad  # top-left first; top edge along the reading direction for bars
    linear: bool
    score: float


def find(grey: Grey, max_regions: int = 4) -> list[Region]:
    """Up to `max_regions` likely code regions, the most code-like first."""
    h, w = grey.shape
    factor = min(1.0, WORK_SIDE / max(h, w))
    small = grey
    if factor < 1.0:
        size = (max(round(w * factor), 1), max(round(h * factor), 1))
        small = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
    # equalise locally so dim, low-contrast codes have as much edge energy as crisp ones
    small = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(small)
    img = cv2.GaussianBlur(small, (0, 0), 0.8).astype(np.float32)  # noise is not structure
    gx = cv2.Scharr(img, cv2.CV_32F, 1, 0)
    gy = cv2.Scharr(img, cv2.CV_32F, 0, 1)
    win = (11, 11)
    jxx = cv2.boxFilter(gx * gx, -1, win)
    jyy = cv2.boxFilter(gy * gy, -1, win)
    jxy = cv2.boxFilter(gx * gy, -1, win)
    energy = jxx + jyy
    coherence = cv2.sqrt((jxx - jyy) ** 2 + 4 * jxy * jxy) / (energy + 1e-3)
    # the top decile of edge energy; a subsample estimates it at a sixteenth of the cost
    strong = energy > max(float(np.percentile(energy[::4, ::4], 90)), 1e-3)
    field = _Field(jxx, jyy, jxy, coherence)
    regions = _regions(strong & (coherence > 0.6), field, linear=True)
    regions += _regions(strong & (coherence <= 0.6), field, linear=False)
    regions.sort(key=lambda r: -r.score)
    scale = 1.0 / factor
    return [
        Region(quad(np.asarray(r.corners) * scale), r.linear, r.score)
        for r in regions[:max_regions]
    ]


@dataclass(frozen=True, slots=True)
class _Field:
    jxx: npt.NDArray[np.float32]
    jyy: npt.NDArray[np.float32]
    jxy: npt.NDArray[np.float32]
    coherence: npt.NDArray[np.float32]

    def reading_angle(self, sel: tuple[slice, slice], mask: npt.NDArray[np.bool_]) -> float:
        """The dominant gradient direction in a region: a histogram of per-pixel tensor
        angles weighted by energy, so a few label edges or letters cannot drag it off."""
        a, b, d = self.jxx[sel][mask], self.jyy[sel][mask], self.jxy[sel][mask]
        phi = 0.5 * np.arctan2(2 * d, a - b)  # -pi/2 .. pi/2
        weights = (a + b) * self.coherence[sel][mask]
        hist, edges = np.histogram(phi, bins=36, range=(-math.pi / 2, math.pi / 2), weights=weights)
        peak = int(np.argmax(hist))
        near = np.abs(np.angle(np.exp(2j * (phi - (edges[peak] + edges[peak + 1]) / 2)))) < 0.2
        if not near.any():
            return float((edges[peak] + edges[peak + 1]) / 2)
        # refine: mean of doubled angles of the pixels in and around the peak bin
        z = np.sum(weights[near] * np.exp(2j * phi[near]))
        return float(0.5 * np.angle(z))


def _regions(mask: npt.NDArray[np.bool_], field: _Field, *, linear: bool) -> list[Region]:
    m = mask.astype(np.uint8) * 255
    m = cv2.morphologyEx(m, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (9, 9)))
    m = cv2.morphologyEx(m, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5)))
    contours, _ = cv2.findContours(m, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    out = []
    for c in contours:
        area = cv2.contourArea(c)
        if area < 300:
            continue
        _, (rw, rh), _ = cv2.minAreaRect(c)
        fill = area / max(rw * rh, 1.0)
        if min(rw, rh) < 8 or fill < 0.5:
            continue
        x, y, bw, bh = cv2.boundingRect(c)
        if linear:
            sel = (slice(y, y + bh), slice(x, x + bw))
            theta = field.reading_angle(sel, m[sel] > 0)
            corners = _oriented_box(c, theta)
        else:
            side = max(bw, bh)
            x0, y0 = x + bw / 2 - side / 2, y + bh / 2 - side / 2
            corners = quad([(x0, y0), (x0 + side, y0), (x0 + side, y0 + side), (x0, y0 + side)])
        out.append(Region(corners, linear, area * fill))
    return out


def _oriented_box(contour: npt.NDArray[np.int32], theta: float) -> Quad:
    """The contour's extent along the reading direction `theta` and across it."""
    pts = contour.reshape(-1, 2).astype(np.float64)
    u = np.array([math.cos(theta), math.sin(theta)])
    v = np.array([-math.sin(theta), math.cos(theta)])
    pu, pv = pts @ u, pts @ v
    u0, u1, v0, v1 = pu.min(), pu.max(), pv.min(), pv.max()
    return quad([u * u0 + v * v0, u * u1 + v * v0, u * u1 + v * v1, u * u0 + v * v1])
