"""`python -m scanner photo.jpg …`: decode image files, one JSON object per file."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

from scanner import ScannerError, Symbol, decode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scanner", description=__doc__)
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--all", action="store_true", help="every symbol, not the first read")
    parser.add_argument("--formats", help="comma-separated format names, e.g. ean13,gs1_128")
    args = parser.parse_args(argv)
    formats = args.formats.split(",") if args.formats else None
    status = 0
    for path in args.files:
        try:
            symbols = decode(path.read_bytes(), formats=formats, all_symbols=args.all)
            out: dict[str, object] = {"file": str(path), "symbols": [_plain(s) for s in symbols]}
        except (OSError, ScannerError) as exc:
            out, status = {"file": str(path), "error": f"{type(exc).__name__}: {exc}"}, 1
        print(json.dumps(out, ensure_ascii=False, default=str))
    return status


def _plain(symbol: Symbol) -> dict[str, object]:
    data = dataclasses.asdict(symbol)
    data["raw"] = data["raw"].decode("latin-1")
    return data


if __name__ == "__main__":
    sys.exit(main())
