"""VAPID keys (RFC 8292): the P-256 key pair that signs every push request.

The browser subscribes with the public key (its `applicationServerKey`); the push service then
accepts only requests signed with the matching private key. Changing the key therefore
orphans every subscription: keep it, in the environment or a file beside the data.
"""

from __future__ import annotations

import base64
import contextlib
import os
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02

from backend.domain.errors import InvalidRequest


def generate_private_pem() -> str:
    vapid = Vapid02()
    vapid.generate_keys()
    return vapid.private_pem().decode()


def load(private_key: str) -> Vapid02:
    """A key in PEM, or base64url of its raw 32 bytes or DER (as `vapid --gen` prints)."""
    text = private_key.strip()
    try:
        if text.startswith("-----BEGIN"):
            return Vapid02.from_pem(text.encode())
        return Vapid02.from_string(text)
    except Exception as error:
        raise InvalidRequest(f"the VAPID private key cannot be read: {error}") from error


def public_key(vapid: Vapid02) -> str:
    """The public key as the browser's `applicationServerKey` wants it: base64url of the
    uncompressed point, without padding."""
    raw = vapid.public_key.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def private_raw(vapid: Vapid02) -> str:
    """The private key as base64url of its 32 raw bytes: one line, for an environment variable."""
    value = vapid.private_key.private_numbers().private_value.to_bytes(32, "big")
    return base64.urlsafe_b64encode(value).rstrip(b"=").decode()


def write_private_pem(path: Path, pem: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(pem)
    path.chmod(0o600)


def load_or_create(path: Path) -> str:
    """The key kept in `path`, made there on first use. Several processes starting at once
    agree on one key: each links its own into place, and all read whichever got there."""
    if not path.exists():
        draft = path.with_name(f".{path.name}.{os.getpid()}")
        write_private_pem(draft, generate_private_pem())
        try:
            with contextlib.suppress(FileExistsError):
                os.link(draft, path)
        finally:
            draft.unlink()
    return path.read_text().strip()
