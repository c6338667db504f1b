"""Settings read from the environment once, at start-up."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB_PATH = Path("var") / "stockhand.db"


def _default_database_url() -> str:
    return f"sqlite+aiosqlite:///{DEFAULT_DB_PATH}"


def normalise_database_url(url: str) -> str:
    """Accept the URLs people paste (postgres://, postgresql://) and pick the async drivers."""
    for prefix in ("postgres://", "postgresql://", "postgresql+psycopg2://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    if url.startswith("sqlite:///") or url.startswith("sqlite://"):
        return "sqlite+aiosqlite" + url[len("sqlite") :]
    return url


def _secret_key(db_url: str) -> str:
    """The token-signing key: from STOCKHAND_SECRET_KEY, else kept in a file beside the data."""
    key = os.environ.get("STOCKHAND_SECRET_KEY")
    if key:
        return key
    path = Path(os.environ.get("STOCKHAND_SECRET_FILE", Path("var") / "secret.key"))
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=_default_database_url)
    secret_key: str = ""
    token_ttl_seconds: int = 12 * 3600
    db_pool_size: int = 10
    max_body_bytes: int = 2 * 1024 * 1024
    sync_max_events: int = 500
    seal_in_background: bool = True

    @classmethod
    def from_env(cls) -> Settings:
        url = normalise_database_url(os.environ.get("DATABASE_URL", _default_database_url()))
        return cls(
            database_url=url,
            secret_key=_secret_key(url),
            token_ttl_seconds=int(os.environ.get("STOCKHAND_TOKEN_TTL", 12 * 3600)),
            db_pool_size=int(os.environ.get("STOCKHAND_DB_POOL", 10)),
        )

    @property
    def dialect(self) -> str:
        return self.database_url.split(":", 1)[0].split("+", 1)[0]
