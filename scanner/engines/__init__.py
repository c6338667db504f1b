"""Decoder engines behind one small interface; each adapter imports its library lazily."""

from __future__ import annotations

import importlib
import logging
from functools import cache
from typing import Protocol

from scanner.imageio import Grey
from scanner.result import Read

log = logging.getLogger(__name__)


class Engine(Protocol):
    name: str
    bases: frozenset[str]  # plain symbologies (scanner.formats.BASE_FORMATS) it can read

    def read(self, grey: Grey, bases: frozenset[str], *, mode: str = "default") -> list[Read]:
        """Every symbol of `bases` found in `grey`. `mode` picks an engine-specific
        alternative setting for fallbacks; unknown modes mean "default"."""
        ...


@cache
def get(name: str) -> Engine | None:
    """The engine called `name`, or None when its library cannot be loaded here."""
    try:
        module = importlib.import_module(f"scanner.engines.{name}")
        engine: Engine = module.ENGINE
    except (ImportError, OSError) as exc:  # e.g. pyzbar without the libzbar0 package
        log.warning("scanner engine %s unavailable: %s", name, exc)
        return None
    return engine
