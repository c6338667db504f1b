"""The decoding pipeline: fastest engine first, then fallbacks on pre-processed variants.

Pass 1 runs zxing-cpp, the fastest engine, on the frame as it is and stops at the first
read. Only on a miss does pass 2 climb a fixed ladder of (variant, engine) attempts,
ordered by reads gained per millisecond on the benchmark frames (scanner/README.md), until
something is read or the time budget is spent. The ladder includes ZBar and OpenCV on the
untouched frame, so the pipeline reads whatever either engine reads alone. With
all_symbols, pass 1 runs every engine and merges what they find.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from scanner import formats as fmt
from scanner import geometry, gs1, locate, preprocess
from scanner._cv import cv2
from scanner.engines import Engine, get
from scanner.errors import GS1Error
from scanner.imageio import Grey
from scanner.options import DecodeOptions
from scanner.preprocess import Variant
from scanner.result import Read, Symbol

LINEAR = fmt.BASE_FORMATS - {"qrcode", "datamatrix", "pdf417", "aztec"}
MIN_SIDE = 16  # no code fits in fewer pixels: a thinner frame gets no fallbacks


@dataclass(frozen=True, slots=True)
class Attempt:
    variant: str  # a key of VARIANTS
    engine: str
    mode: str = "default"
    linear_only: bool = False  # pointless when no 1D format is wanted
    skip: frozenset[str] = frozenset()  # formats this attempt misreads rather than reads


# Measured on 720p benchmark frames (python -m scanner.bench), greedy by reads per ms:
# straightened crops of located codes first, the other engines on the plain frame next
# (so the pipeline keeps every read they make alone), whole-frame rotations last.
LADDER: tuple[Attempt, ...] = (
    Attempt("crops+clahe+sharp", "zxing", "global"),
    # sharpening rings; zxing then "corrects" a PDF417 into wrong text now and then
    Attempt("crops+sharp", "zxing", skip=frozenset({"pdf417"})),
    Attempt("crops", "zbar", linear_only=True),
    Attempt("original", "zbar"),
    Attempt("original", "opencv"),
    Attempt("crops", "zxing", "global"),
    Attempt("crops+clahe+sharp", "zbar", linear_only=True),
    Attempt("rotate30", "zbar", linear_only=True),
    Attempt("clahe", "zxing", "global"),
    Attempt("rotate60", "zxing", linear_only=True),
    Attempt("upscale", "zxing"),
    Attempt("rotate45", "zxing", linear_only=True),
    # ZBar reads only dark-on-light and is slow on big frames (zxing-cpp does both itself)
    Attempt("invert", "zbar", linear_only=True),
    Attempt("downscale", "zbar"),
)


def decode_grey(grey: Grey, options: DecodeOptions) -> list[Symbol]:
    symbols = _search(grey, options)
    # one engine call can return several codes; without all_symbols the caller wants one
    return symbols if options.all_symbols else symbols[:1]


def _search(grey: Grey, options: DecodeOptions) -> list[Symbol]:
    started = time.perf_counter()
    bases = fmt.wanted_bases(options.formats)
    engines: dict[str, Engine] = {}
    for name in options.engines:
        engine = get(name)
        if engine is not None and engine.bases & bases:
            engines[name] = engine
    found = _Found(options.formats)
    original = Variant("original", grey)
    # pass 1: the engines on the untouched frame, in the order given (fastest first)
    first = list(engines.items()) if options.all_symbols else list(engines.items())[:1]
    check = len(engines) > 1  # alone, an engine's reads are taken as they come
    for name, engine in first:
        found.add(_read(engine, original, bases, "default", check), name, original)
        if found.symbols and not options.all_symbols:
            return found.symbols
    if found.symbols or not options.fallbacks or min(grey.shape) < MIN_SIDE:
        return found.symbols
    # pass 2: the ladder, within the time budget
    deadline = started + options.budget_ms / 1000
    variants = _Variants(grey)
    tried = {(n, "original", "default") for n, _ in first}
    for attempt in LADDER:
        engine = engines.get(attempt.engine)
        if engine is None or (attempt.linear_only and not bases & LINEAR):
            continue
        if (attempt.engine, attempt.variant, attempt.mode) in tried:
            continue
        if time.perf_counter() > deadline:
            break
        wanted = bases - attempt.skip
        for variant in variants.get(attempt.variant):
            reads = _read(engine, variant, wanted, attempt.mode, check)
            found.add(reads, engine.name, variant)
            if found.symbols:
                return found.symbols
    return found.symbols


def _read(
    engine: Engine, variant: Variant, bases: frozenset[str], mode: str, check: bool
) -> list[Read]:
    reads = engine.read(variant.image, bases, mode=mode)
    if check and engine.name == "opencv":
        reads = [r for r in reads if r.format not in LINEAR or _confirmed(r, variant)]
    return reads


def _confirmed(read: Read, variant: Variant) -> bool:
    """OpenCV's 1D decoder turns other symbologies into EAN/UPC digits with a valid check
    digit; keep such a read only if another engine reads the same in its box."""
    crop = preprocess.straighten(variant.image, read.corners, "confirm")
    for name in ("zxing", "zbar"):
        engine = get(name)
        if engine is None:
            continue
        for other in engine.read(crop.image, LINEAR):
            if fmt.canonical(other.format, other.text, None) == fmt.canonical(
                read.format, read.text, None
            ):
                return True
    return False


def _crops(grey: Grey) -> list[Variant]:
    return [
        preprocess.straighten(grey, region.corners, f"crop{i}")
        for i, region in enumerate(locate.find(grey))
    ]


def _crop_clahe(v: Variant) -> Variant:
    img = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(4, 4)).apply(v.image)
    return Variant(v.name + "+clahe", img, v.to_frame)


def _crop_sharp(v: Variant) -> Variant:
    return Variant(v.name + "+sharp", preprocess.sharpen(v.image).image, v.to_frame)


class _Variants:
    """Builds each variant once, on first use, and shares it between engines."""

    def __init__(self, grey: Grey) -> None:
        self.grey = grey
        self.cache: dict[str, list[Variant]] = {"original": [Variant("original", grey)]}

    def get(self, name: str) -> list[Variant]:
        if name not in self.cache:
            if name.startswith("crops+"):
                base, _, last = name.rpartition("+")
                step = _crop_sharp if last == "sharp" else _crop_clahe
                self.cache[name] = [step(v) for v in self.get(base)]
            else:
                self.cache[name] = VARIANTS[name](self.grey)
        return self.cache[name]


VARIANTS: dict[str, Callable[[Grey], list[Variant]]] = {
    "crops": _crops,
    "clahe": lambda g: [preprocess.clahe(g)],
    # doubling a big frame costs more than it finds: crops already enlarge small codes there
    "upscale": lambda g: (
        [preprocess.upscale(g)] if preprocess.long_side(g) <= preprocess.LARGE_FRAME else []
    ),
    "downscale": lambda g: (
        [preprocess.downscale(g)] if preprocess.long_side(g) > preprocess.LARGE_FRAME else []
    ),
    "invert": lambda g: [preprocess.invert(g)],
    "rotate30": lambda g: [preprocess.rotate(g, 30)],
    "rotate45": lambda g: [preprocess.rotate(g, 45)],
    "rotate60": lambda g: [preprocess.rotate(g, 60)],
}


class _Found:
    """Symbols in the order found, without duplicates: the same code read twice (by two
    engines or in two variants) has the same text and overlapping position."""

    def __init__(self, formats: frozenset[str] | None) -> None:
        self.formats = formats
        self.symbols: list[Symbol] = []

    def add(self, reads: list[Read], engine: str, variant: Variant) -> None:
        new = [s for r in reads if (s := to_symbol(r, engine, variant, self.formats))]
        for symbol in new:
            if any(_same(symbol, s) for s in self.symbols):
                continue
            # ZBar also reports fragments of a long ITF or Code 39 it read whole
            if any(_fragment(symbol, s) for s in new):
                continue
            self.symbols.append(symbol)


def _overlap(a: Symbol, b: Symbol) -> bool:
    qa, qb = _floats(a.corners), _floats(b.corners)
    (ax, ay), (bx, by) = geometry.centre(qa), geometry.centre(qb)
    reach = max(geometry.size(qa), geometry.size(qb), 8.0)
    return (ax - bx) ** 2 + (ay - by) ** 2 < (0.5 * reach) ** 2


def _same(a: Symbol, b: Symbol) -> bool:
    return a.text == b.text and fmt.FAMILY[a.format] == fmt.FAMILY[b.format] and _overlap(a, b)


def _fragment(a: Symbol, b: Symbol) -> bool:
    return (
        a is not b
        and len(a.text) < len(b.text)
        and a.text in b.text
        and fmt.FAMILY[a.format] == fmt.FAMILY[b.format]
        and _overlap(a, b)
    )


def _floats(corners: tuple[tuple[int, int], ...]) -> geometry.Quad:
    p = [(float(x), float(y)) for x, y in corners]
    return (p[0], p[1], p[2], p[3])


def to_symbol(
    read: Read, engine: str, variant: Variant, formats: frozenset[str] | None
) -> Symbol | None:
    named = fmt.canonical(read.format, read.text, formats)
    if named is None or not fmt.accepts(formats, named[0]):
        return None
    name, text = named
    corners = read.corners
    if variant.to_frame is not None:
        corners = geometry.apply(variant.to_frame, corners)
    elements: tuple[gs1.Element, ...] | None = None
    error: str | None = None
    if read.is_gs1:
        try:
            elements = gs1.parse(read.raw)
            text = gs1.to_hri(elements)
        except GS1Error as exc:
            error = str(exc)
    p = geometry.rounded(corners)
    return Symbol(
        format=name,
        text=text,
        raw=read.raw,
        corners=(p[0], p[1], p[2], p[3]),
        engine=engine,
        gs1=elements,
        gs1_error=error,
        symbology_id=read.symbology_id,
        variant=variant.name,
    )
