"""What a command handler hands back: the answer for the client and the moves it posted."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from backend.db.models import StockMove


@dataclass
class Applied:
    result: dict[str, Any]
    moves: list[StockMove] = field(default_factory=list)
