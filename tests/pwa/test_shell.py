"""Checks of the PWA's files that need no browser: translations, precache list, version."""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STATIC = ROOT / "pwa" / "static"


def _version_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "pwa_shell_version", ROOT / "scripts" / "pwa_shell_version.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_both_languages_have_the_same_keys() -> None:
    en = json.loads((STATIC / "i18n" / "en.json").read_text())
    zh = json.loads((STATIC / "i18n" / "zh-CN.json").read_text())
    assert sorted(set(en) - set(zh)) == [], "missing in zh-CN.json"
    assert sorted(set(zh) - set(en)) == [], "missing in en.json"
    # The same placeholders on both sides, and every Chinese string translated.
    for key in en:
        assert set(re.findall(r"{\w+}", en[key])) == set(re.findall(r"{\w+}", zh[key])), key
    untranslated = [k for k in en if en[k] == zh[k] and re.search(r"[A-Za-z]{3,}", en[k])]
    assert untranslated == ["lang.en"]


def test_every_key_the_code_uses_exists() -> None:
    en = json.loads((STATIC / "i18n" / "en.json").read_text())
    used = set()
    for path in (STATIC / "js").rglob("*.js"):
        text = path.read_text()
        used |= {("t", k) for k in re.findall(r"\bt\('([a-z_]+\.[a-zA-Z0-9_.-]+)'", text)}
        used |= {("tn", k) for k in re.findall(r"\btn\('([a-z_]+\.[a-z_.]+)'", text)}
        used |= {("t", k) for k in re.findall(r"key: '([a-z_]+\.[a-z_]+)'", text)}
    missing = [k for kind, k in used if (k if kind == "t" else f"{k}_other") not in en]
    assert missing == []


def test_service_worker_precaches_every_file_of_the_shell() -> None:
    version = _version_module()
    files = {p.relative_to(STATIC).as_posix() for p in version.shell_files()}
    listed = set(version.shell_list()) - {"./"}
    assert files - listed == set(), "add these to SHELL in sw.js"
    assert listed - files == set(), "SHELL in sw.js lists files that do not exist"


def test_service_worker_version_is_the_shell_digest() -> None:
    version = _version_module()
    assert version.current() == version.digest(), "run: python scripts/pwa_shell_version.py --write"


def test_no_module_imports_a_missing_file() -> None:
    for path in (STATIC / "js").rglob("*.js"):
        for target in re.findall(r"from '(\.[^']+)'", path.read_text()):
            assert (path.parent / target).resolve().is_file(), f"{path.name} imports {target}"
