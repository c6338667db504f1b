"""The PWA shell's version: a digest of the files the service worker precaches.

    python scripts/pwa_shell_version.py          # print the version and whether sw.js has it
    python scripts/pwa_shell_version.py --write  # put it into pwa/static/sw.js

The service worker's cache is named after this version, so any change to a shell file
makes browsers install the new worker and offer the update. tests/pwa/test_shell.py fails
when sw.js carries a stale version or its precache list misses a file.
"""

from __future__ import annotations

import hashlib
import re
import sys
from pathlib import Path

STATIC = Path(__file__).resolve().parent.parent / "pwa" / "static"
SW = STATIC / "sw.js"
_VERSION = re.compile(r"^const VERSION = '([0-9a-f]+)';$", re.M)
_SHELL = re.compile(r"const SHELL = \[(.*?)\];", re.S)


def shell_list(source: str | None = None) -> list[str]:
    source = source if source is not None else SW.read_text()
    block = _SHELL.search(source)
    assert block, "sw.js has no SHELL list"
    return re.findall(r"'([^']+)'", block.group(1))


def shell_files() -> list[Path]:
    """The files a browser loads for the app (everything under pwa/static except sw.js)."""
    return sorted(
        p for p in STATIC.rglob("*") if p.is_file() and p != SW and not p.name.startswith(".")
    )


def digest() -> str:
    h = hashlib.sha256()
    for path in shell_files():
        h.update(path.relative_to(STATIC).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    # The worker's own code (less its version line) belongs to the version too.
    h.update(_VERSION.sub("", SW.read_text()).encode())
    return h.hexdigest()[:12]


def current() -> str | None:
    m = _VERSION.search(SW.read_text())
    return m.group(1) if m else None


def main() -> int:
    version = digest()
    if "--write" in sys.argv:
        SW.write_text(_VERSION.sub(f"const VERSION = '{version}';", SW.read_text()))
        print(version)
        return 0
    print(version, "(sw.js is current)" if current() == version else f"(sw.js has {current()})")
    return 0 if current() == version else 1


if __name__ == "__main__":
    raise SystemExit(main())
