"""Synthetic but photo-like frames of every supported format, for the benchmark and tests.

A code is rendered with zxing-cpp onto a paper label, the label is warped into a cluttered
scene with perspective and rotation, and the frame is then degraded as a phone camera
would: uneven light, glare, low contrast, blur, sensor noise and JPEG compression. Every
random choice comes from the generator passed in, so a seed gives the same frames.
"""

from __future__ import annotations

import math
import string
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import zxingcpp as zx

from scanner import gs1
from scanner._cv import cv2
from scanner.formats import upce_to_upca

BGR = npt.NDArray[np.uint8]
Rng = np.random.Generator
F = zx.BarcodeFormat

RENDER_SCALE = 4  # pixels per module when rendering, before warping to the target size


@dataclass(frozen=True, slots=True)
class Content:
    data: str
    zx_format: F
    expected: str  # Symbol.text the scanner should return
    gs1: bool = False
    hrt: bool = False  # print the human-readable text under the bars
    ec_level: str | None = None


def _digits(rng: Rng, n: int, first_nonzero: bool = False) -> str:
    out = "".join(str(d) for d in rng.integers(0, 10, n))
    if first_nonzero and out[0] == "0":
        out = str(rng.integers(1, 10)) + out[1:]
    return out


def _word(rng: Rng, n: int, alphabet: str = string.ascii_uppercase + string.digits) -> str:
    return "".join(alphabet[i] for i in rng.integers(0, len(alphabet), n))


def _gtin14(rng: Rng) -> str:
    return gs1.with_check_digit("0" + _digits(rng, 12, first_nonzero=True))


def _date6(rng: Rng) -> str:
    return f"{rng.integers(24, 31):02d}{rng.integers(1, 13):02d}{rng.integers(1, 29):02d}"


def _upce(rng: Rng) -> str:
    # last digit 5-9 with a non-zero fifth: the one zero-suppression form always valid
    body = "0" + _digits(rng, 4) + str(rng.integers(1, 10)) + str(rng.integers(5, 10))
    upca = upce_to_upca(body + "0")
    return body + str(gs1.check_digit(upca[:-1]))


def _plain(fmt: F, hrt: bool = True) -> Callable[[str], Content]:
    return lambda data: Content(data, fmt, data, hrt=hrt)


def _gs1(fmt: F) -> Callable[[str], Content]:
    return lambda data: Content(data, fmt, data, gs1=True)


# format -> (how to draw it, random data for it); the data is also the expected text
CONTENT: dict[str, tuple[Callable[[str], Content], Callable[[Rng], str]]] = {
    "ean13": (_plain(F.EAN13), lambda r: gs1.with_check_digit(_digits(r, 12, True))),
    "ean8": (_plain(F.EAN8), lambda r: gs1.with_check_digit(_digits(r, 7))),
    "upca": (_plain(F.UPCA), lambda r: gs1.with_check_digit(_digits(r, 11, True))),
    "upce": (_plain(F.UPCE), _upce),
    "code128": (_plain(F.Code128), lambda r: f"SKU-{_word(r, 4)}-{_digits(r, 5)}"),
    "gs1_128": (_gs1(F.Code128), lambda r: f"(01){_gtin14(r)}(17){_date6(r)}(10){_word(r, 6)}"),
    "code39": (_plain(F.Code39), lambda r: f"LOC-{_word(r, 5)}"),
    "code93": (_plain(F.Code93), lambda r: f"BIN {_word(r, 6)}"),
    "itf14": (_plain(F.ITF14), _gtin14),
    "codabar": (_plain(F.Codabar), lambda r: f"A{_digits(r, 10)}B"),
    "databar": (_gs1(F.DataBar), lambda r: f"(01){_gtin14(r)}"),
    "databar_expanded": (
        _gs1(F.DataBarExp),
        lambda r: f"(01){_gtin14(r)}(3103){_digits(r, 6)}(15){_date6(r)}",
    ),
    "qrcode": (_plain(F.QRCode, False), lambda r: f"https://stockhand.example/l/{_word(r, 10)}"),
    "datamatrix": (_plain(F.DataMatrix, False), lambda r: f"PART {_word(r, 8)} {_digits(r, 2)}"),
    "gs1_datamatrix": (
        _gs1(F.DataMatrix),
        lambda r: f"(01){_gtin14(r)}(17){_date6(r)}(10){_word(r, 5)}(21){_word(r, 8)}",
    ),
    # shipping labels use a PDF417 security level well above the minimum: level 4 here
    "pdf417": (
        lambda data: Content(data, F.PDF417, data, ec_level="4"),
        lambda r: f"SHIP TO: DOCK {_digits(r, 2)} / PO {_digits(r, 8)} / {_word(r, 12)}",
    ),
    "aztec": (_plain(F.Aztec, False), lambda r: f"TICKET:{_word(r, 16)}"),
}
FORMATS: tuple[str, ...] = tuple(CONTENT)


def content(name: str, rng: Rng) -> Content:
    """Random but valid data for a code of format `name`."""
    make, data = CONTENT[name]
    return make(data(rng))


def render(c: Content, scale: int = RENDER_SCALE) -> npt.NDArray[np.uint8]:
    """The code as black on white, `scale` pixels per module, with its quiet zones."""
    kwargs: dict[str, object] = {}
    if c.gs1 and c.zx_format in (F.Code128, F.DataMatrix, F.QRCode):
        kwargs["gs1"] = True
    if c.ec_level:
        kwargs["ec_level"] = c.ec_level
    barcode = zx.create_barcode(c.data, c.zx_format, **kwargs)
    return np.array(barcode.to_image(scale=scale, add_hrt=c.hrt), dtype=np.uint8)


# ---------------------------------------------------------------------------------------
# Scene and camera.


@dataclass(frozen=True, slots=True)
class Tier:
    module_px: tuple[float, float]  # size of one module in the 720p frame
    angle: float  # maximum rotation either way, degrees
    jitter: tuple[float, float]  # perspective: corner displacement / label size
    blur: tuple[float, float]  # Gaussian sigma
    motion: float  # probability of motion blur instead
    noise: tuple[float, float]  # sensor noise sigma
    contrast: tuple[float, float]
    glare: float  # probability of a specular highlight
    jpeg: tuple[int, int]


TIERS: dict[str, Tier] = {
    "easy": Tier(
        module_px=(2.6, 3.8), angle=8, jitter=(0.0, 0.03), blur=(0.0, 0.5), motion=0.0,
        noise=(1.5, 3), contrast=(0.85, 1.0), glare=0.0, jpeg=(85, 95),
    ),
    "medium": Tier(
        module_px=(2.0, 3.0), angle=30, jitter=(0.03, 0.08), blur=(0.5, 0.9), motion=0.2,
        noise=(3, 5), contrast=(0.6, 0.85), glare=0.3, jpeg=(70, 85),
    ),
    "hard": Tier(
        module_px=(1.6, 2.4), angle=180, jitter=(0.06, 0.12), blur=(0.7, 1.2), motion=0.3,
        noise=(4, 7), contrast=(0.35, 0.6), glare=0.6, jpeg=(55, 70),
    ),
}  # fmt: skip


def _u(rng: Rng, lo_hi: tuple[float, float]) -> float:
    return float(rng.uniform(*lo_hi))


def background(rng: Rng, width: int, height: int) -> BGR:
    """A cluttered warehouse-ish scene: gradient, boxes, edges, printed text."""
    c0, c1 = rng.integers(40, 220, 3), rng.integers(40, 220, 3)
    t = np.linspace(0.0, 1.0, width, dtype=np.float32)[None, :, None]
    img = np.broadcast_to(c0 * (1 - t) + c1 * t, (height, width, 3)).astype(np.uint8).copy()
    for _ in range(int(rng.integers(6, 14))):
        x, y = int(rng.integers(-width // 4, width)), int(rng.integers(-height // 4, height))
        w, h = (
            int(rng.integers(width // 10, width // 2)),
            int(rng.integers(height // 10, height // 2)),
        )
        colour = tuple(int(v) for v in rng.integers(20, 235, 3))
        cv2.rectangle(img, (x, y), (x + w, y + h), colour, -1)
        cv2.rectangle(img, (x, y), (x + w, y + h), (30, 30, 30), int(rng.integers(1, 4)))
    for _ in range(int(rng.integers(3, 8))):
        org = (int(rng.integers(0, width)), int(rng.integers(20, height)))
        text, scale = _word(rng, int(rng.integers(4, 12))), float(rng.uniform(0.6, 2.0))
        thickness = int(rng.integers(1, 4))
        cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, scale, (20, 20, 20), thickness)
    texture = rng.normal(0, 6, (height // 4, width // 4, 1)).astype(np.float32)
    texture = cv2.resize(texture, (width, height), interpolation=cv2.INTER_LINEAR)[..., None]
    return np.clip(img.astype(np.float32) + texture, 0, 255).astype(np.uint8)


def label(code: npt.NDArray[np.uint8], rng: Rng) -> tuple[BGR, npt.NDArray[np.float64]]:
    """The code on a slightly tinted paper label with some printed lines above it, and the
    code's corners on the label."""
    margin = RENDER_SCALE * int(rng.integers(3, 8))
    h, w = code.shape
    top = RENDER_SCALE * 12
    paper = np.full((h + top + 2 * margin, max(w + 2 * margin, 60 * RENDER_SCALE)), 255, np.uint8)
    x0 = (paper.shape[1] - w) // 2
    paper[margin + top : margin + top + h, x0 : x0 + w] = code
    org = (margin, margin + top // 2)
    font = cv2.FONT_HERSHEY_SIMPLEX
    cv2.putText(paper, f"ITEM {_word(rng, 6)}", org, font, RENDER_SCALE * 0.4, 40, 2)
    tint = rng.uniform(0.88, 1.0, 3).astype(np.float32)
    y0 = margin + top
    corners = np.array([[x0, y0], [x0 + w, y0], [x0 + w, y0 + h], [x0, y0 + h]], np.float64)
    img = (cv2.cvtColor(paper, cv2.COLOR_GRAY2BGR).astype(np.float32) * tint).astype(np.uint8)
    return img, corners


def paste(
    frame: BGR,
    item: BGR,
    rng: Rng,
    tier: Tier,
    module_px: float,
    centre: tuple[float, float],
    marks: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """Warp `item` (drawn at RENDER_SCALE px per module) into `frame` around `centre`;
    returns where the points `marks` of `item` end up in the frame."""
    fh, fw = frame.shape[:2]
    angle = math.radians(float(rng.uniform(-tier.angle, tier.angle)))
    # keep the turned label in view: shrink it (the user steps back) until it fits
    h, w = item.shape[:2]
    cos, sin = abs(math.cos(angle)), abs(math.sin(angle))
    fit = min(0.9 * fw / (w * cos + h * sin), 0.9 * fh / (w * sin + h * cos))
    scale = min(module_px / RENDER_SCALE, fit / (1 + 2 * tier.jitter[1]))
    # shrink by area averaging first, as optics would, so the warp below cannot alias
    item = cv2.resize(item, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    h, w = item.shape[:2]
    src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
    rect = src - np.array([w / 2, h / 2])
    rot = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    jitter = _u(rng, tier.jitter) * max(w, h)
    dst = rect @ rot.T + rng.uniform(-jitter, jitter, (4, 2))
    # move the label in if its corners would leave the frame
    lo, hi = dst.min(axis=0), dst.max(axis=0)
    cx = float(np.clip(centre[0], -lo[0] + 2, fw - hi[0] - 2))
    cy = float(np.clip(centre[1], -lo[1] + 2, fh - hi[1] - 2))
    dst = dst + np.array([cx, cy])
    homography = cv2.getPerspectiveTransform(src, dst.astype(np.float32))
    # warp only into the bounding box of the label: much cheaper than the whole frame
    x0, y0 = (max(int(v), 0) for v in dst.min(axis=0))
    x1, y1 = min(int(dst[:, 0].max()) + 2, fw), min(int(dst[:, 1].max()) + 2, fh)
    shift = np.array([[1, 0, -x0], [0, 1, -y0], [0, 0, 1]], dtype=np.float64)
    local = shift @ homography
    box = (x1 - x0, y1 - y0)
    warped = cv2.warpPerspective(item, local, box, flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.full((h, w), 255, np.uint8), local, box)
    np.copyto(frame[y0:y1, x0:x1], warped, where=mask[..., None] > 127)
    moved = cv2.perspectiveTransform((marks * scale).reshape(-1, 1, 2), homography)
    return np.asarray(moved, np.float64).reshape(-1, 2)


def camera(frame: BGR, rng: Rng, tier: Tier, near: tuple[float, float]) -> BGR:
    """Light, glare, contrast, blur and noise of a handheld shot; `near` = the code."""
    fh, fw = frame.shape[:2]
    img = frame.astype(np.float32)
    # uneven light: a tilted plane of brightness (a 2×2 image stretched is exactly a plane)
    a, b = (float(v) * 0.25 for v in rng.uniform(-1, 1, 2))
    corners = np.array([[1 - a - b, 1 + a - b], [1 - a + b, 1 + a + b]], dtype=np.float32)
    light = cv2.resize(corners, (fw, fh), interpolation=cv2.INTER_LINEAR)
    img *= light[..., None]
    if rng.random() < tier.glare:
        # a specular blob close to the code, strong enough to wash parts of it out
        cx = near[0] + float(rng.normal(0, fw * 0.06))
        cy = near[1] + float(rng.normal(0, fh * 0.06))
        radius = float(rng.uniform(0.04, 0.10)) * fw
        _add_blob(img, cx, cy, radius, float(rng.uniform(60, 160)))
    contrast = _u(rng, tier.contrast)
    mean = float(img.mean())
    img *= contrast
    img += mean * (1 - contrast) + float(rng.uniform(-20, 20))
    if rng.random() < tier.motion:
        length = int(rng.integers(3, 4 + int(2 * tier.blur[1])))
        kernel = np.zeros((length, length), np.float32)
        kernel[length // 2, :] = 1.0
        centre = ((length - 1) / 2, (length - 1) / 2)
        rot = cv2.getRotationMatrix2D(centre, float(rng.uniform(0, 180)), 1.0)
        kernel = cv2.warpAffine(kernel, rot, (length, length))
        img = cv2.filter2D(img, -1, kernel / max(float(kernel.sum()), 1e-6))
    else:
        sigma = _u(rng, tier.blur)
        if sigma > 0.05:
            img = cv2.GaussianBlur(img, (0, 0), sigma)
    noise = np.empty_like(img)
    cv2.setRNGSeed(int(rng.integers(0, 2**31 - 1)))  # OpenCV's generator is much faster
    cv2.randn(noise, 0.0, _u(rng, tier.noise))
    img += noise
    return np.clip(img, 0, 255).astype(np.uint8)


def _add_blob(img: npt.NDArray[np.float32], cx: float, cy: float, r: float, amp: float) -> None:
    fh, fw = img.shape[:2]
    x0, x1 = max(int(cx - 3 * r), 0), min(int(cx + 3 * r) + 1, fw)
    y0, y1 = max(int(cy - 3 * r), 0), min(int(cy + 3 * r) + 1, fh)
    if x0 >= x1 or y0 >= y1:
        return
    xs = (np.arange(x0, x1, dtype=np.float32) - cx) ** 2
    ys = (np.arange(y0, y1, dtype=np.float32) - cy) ** 2
    blob = np.exp(-(ys[:, None] + xs[None, :]) / (2 * r * r)) * amp
    img[y0:y1, x0:x1] += blob[..., None]


def jpeg(frame: BGR, quality: int) -> bytes:
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError("JPEG encoding failed")
    return buf.tobytes()


@dataclass(frozen=True, slots=True)
class Sample:
    format: str
    expected: str
    tier: str
    width: int
    height: int
    jpeg: bytes
    corners: tuple[tuple[float, float], ...]  # of the code (with quiet zone) in the frame

    def frame(self) -> BGR:
        """The frame as OpenCV gives it (BGR), decoded from the JPEG."""
        img = cv2.imdecode(np.frombuffer(self.jpeg, np.uint8), cv2.IMREAD_COLOR)
        return np.asarray(img, dtype=np.uint8)


@dataclass(frozen=True, slots=True)
class Placed:
    content: Content
    corners: tuple[tuple[float, float], ...]  # of the code (with quiet zone) in the frame


def scene(
    names: list[str],
    tier: Tier,
    size: tuple[int, int],
    rng: Rng,
    centres: list[tuple[float, float]] | None = None,
) -> tuple[BGR, list[Placed]]:
    """A camera frame (BGR, before compression) with one code per name in `names`,
    centred at `centres` (fractions of the frame) or at random."""
    width, height = size
    frame = background(rng, width, height)
    placed = []
    for i, name in enumerate(names):
        c = content(name, rng)
        item, code_corners = label(render(c), rng)
        # the same scene at 1080p has proportionally bigger modules
        module_px = _u(rng, tier.module_px) * height / 720
        fx, fy = centres[i] if centres else (rng.uniform(0.3, 0.7), rng.uniform(0.3, 0.7))
        centre = (float(fx) * width, float(fy) * height)
        corners = paste(frame, item, rng, tier, module_px, centre, code_corners)
        placed.append(Placed(c, tuple((float(x), float(y)) for x, y in corners)))
    near = tuple(np.mean(placed[0].corners, axis=0)) if placed else (width / 2, height / 2)
    return camera(frame, rng, tier, (float(near[0]), float(near[1]))), placed


def sample(name: str, tier_name: str, size: tuple[int, int], rng: Rng) -> Sample:
    """One frame with one code of format `name`, degraded as tier `tier_name` says."""
    tier = TIERS[tier_name]
    shot, (placed,) = scene([name], tier, size, rng)
    quality = int(rng.integers(tier.jpeg[0], tier.jpeg[1] + 1))
    expected = placed.content.expected
    return Sample(name, expected, tier_name, *size, jpeg(shot, quality), placed.corners)
