"""What is wrong with a file: every bad cell as (line, column, reason), collected, not raised."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from backend.domain.errors import DomainError

# An API answer lists at most this many; the total says how many there were.
MAX_REPORTED = 1000


@dataclass(frozen=True, slots=True, order=True)
class RowError:
    """`line` is the file's line (the header is line 1); 0 and no column for the whole file."""

    line: int
    column: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column or None, "reason": self.reason}

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        return (
            f"{where}, {self.column}: {self.reason}" if self.column else f"{where}: {self.reason}"
        )


@dataclass
class Report:
    errors: list[RowError] = field(default_factory=list)

    def add(self, line: int, column: str, reason: str) -> None:
        self.errors.append(RowError(line, column, reason))

    def __bool__(self) -> bool:
        return bool(self.errors)

    def __len__(self) -> int:
        return len(self.errors)

    def raise_if_any(self, kind: str) -> None:
        if self.errors:
            raise InvalidCsv(kind, self.errors)


class InvalidCsv(DomainError):
    """The file is refused whole: nothing of it was written."""

    code = "invalid_csv"
    status_code = 422

    def __init__(self, kind: str, errors: list[RowError]) -> None:
        ordered = sorted(errors)
        count = len(ordered)
        noun = "error" if count == 1 else "errors"
        super().__init__(
            f"the {kind} file has {count} {noun}; nothing was imported",
            kind=kind,
            total=count,
            errors=[e.as_dict() for e in ordered[:MAX_REPORTED]],
            truncated=count > MAX_REPORTED,
        )
        self.errors = ordered


def file_error(kind: str, reason: str, line: int = 0, column: str = "") -> InvalidCsv:
    return InvalidCsv(kind, [RowError(line, column, reason)])
