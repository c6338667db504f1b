"""Decode options: one immutable value, reusable across calls (as zxing's ReaderOptions)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from scanner import formats as fmt
from scanner.errors import InvalidOptions

ENGINE_NAMES = ("zxing", "zbar", "opencv")


@dataclass(frozen=True, slots=True)
class DecodeOptions:
    """How hard to look, and for what.

    formats      names from scanner.formats.ALL_FORMATS; None reads every format.
    all_symbols  return every distinct symbol instead of stopping at the first read.
    engines      engines allowed, tried in this order on the untouched frame.
    fallbacks    on a miss, retry on pre-processed variants of the frame.
    budget_ms    stop starting new fallback attempts after this much time.
    max_pixels   refuse encoded images whose header announces more pixels.
    """

    formats: frozenset[str] | None = None
    all_symbols: bool = False
    engines: tuple[str, ...] = ENGINE_NAMES
    fallbacks: bool = True
    budget_ms: float = 500.0
    max_pixels: int = 20_000_000

    def __post_init__(self) -> None:
        object.__setattr__(self, "formats", fmt.normalize(self.formats))
        unknown = set(self.engines) - set(ENGINE_NAMES)
        if unknown or not self.engines:
            raise InvalidOptions(f"engines must be a non-empty subset of {ENGINE_NAMES}")
        if self.budget_ms <= 0 or self.max_pixels <= 0:
            raise InvalidOptions("budget_ms and max_pixels must be positive")

    def but(
        self, *, formats: Iterable[str] | None = None, all_symbols: bool | None = None
    ) -> DecodeOptions:
        """A copy with the per-call arguments of `decode` applied when given."""
        opts = self
        if formats is not None:
            opts = replace(opts, formats=frozenset(fmt.normalize(formats) or ()))
        if all_symbols is not None:
            opts = replace(opts, all_symbols=all_symbols)
        return opts
