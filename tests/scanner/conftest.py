"""Frames for scanner tests, drawn with zxing-cpp and distorted with OpenCV (scanner.synth)."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np
import numpy.typing as npt
import pytest

from scanner import synth

# a hand-held but steady shot: slight tilt and perspective, soft focus, some noise
GENTLE = synth.Tier(
    module_px=(3.0, 3.4), angle=10, jitter=(0.01, 0.03), blur=(0.4, 0.6), motion=0.0,
    noise=(2, 3), contrast=(0.8, 0.9), glare=0.0, jpeg=(80, 85),
)  # fmt: skip

Frame = npt.NDArray[np.uint8]
MakeFrame = Callable[..., tuple[Frame, list[synth.Placed]]]


@pytest.fixture
def make_frame() -> MakeFrame:
    def make(
        names: list[str],
        *,
        seed: int = 7,
        size: tuple[int, int] = (960, 540),
        centres: list[tuple[float, float]] | None = None,
        tier: synth.Tier = GENTLE,
    ) -> tuple[Frame, list[synth.Placed]]:
        rng = np.random.default_rng([seed, len(names), *(synth.FORMATS.index(n) for n in names)])
        return synth.scene(names, tier, size, rng, centres)

    return make


def jpeg(frame: Frame, quality: int = 85) -> bytes:
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    assert ok
    return buf.tobytes()


def inside(corners: tuple[tuple[float, float], ...], point: tuple[float, float]) -> bool:
    contour = np.array(corners, np.float32).reshape(-1, 1, 2)
    return cv2.pointPolygonTest(contour, (float(point[0]), float(point[1])), False) >= 0


def centre(corners: tuple[tuple[int, int], ...]) -> tuple[float, float]:
    xs, ys = zip(*corners, strict=True)
    return (sum(xs) / len(xs), sum(ys) / len(ys))
