"""GS1 identification keys: check digits of GTIN, SSCC and GLN."""

from __future__ import annotations


def check_digit(body: str) -> int:
    """The mod-10 check digit for the digits of a GS1 key without its last digit."""
    if not body.isdigit():
        raise ValueError(f"a GS1 key has only digits: {body!r}")
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def with_check_digit(body: str) -> str:
    return body + str(check_digit(body))


def is_valid_key(key: str) -> bool:
    """True for a GTIN-8/12/13/14, GLN or SSCC whose last digit is its check digit."""
    return key.isdigit() and len(key) >= 8 and check_digit(key[:-1]) == int(key[-1])


def case_gtin(gtin13: str, indicator: int = 1) -> str:
    """The GTIN-14 of a trade unit of packaging that holds the item `gtin13` names."""
    if not is_valid_key(gtin13) or len(gtin13) != 13:
        raise ValueError(f"not a valid GTIN-13: {gtin13!r}")
    return with_check_digit(f"{indicator}{gtin13[:12]}")
