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


def database_url_from_env() -> str:
    """Only the database: commands that need nothing else make no keys on the way."""
    return normalise_database_url(os.environ.get("DATABASE_URL", _default_database_url()))


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


def vapid_key_file() -> Path:
    return Path(os.environ.get("STOCKHAND_VAPID_KEY_FILE", Path("var") / "vapid_private.pem"))


def _vapid_private_key() -> str:
    """The web push signing key: from STOCKHAND_VAPID_PRIVATE_KEY, else kept in a file beside
    the data and made on first start (browsers' subscriptions are bound to it)."""
    key = os.environ.get("STOCKHAND_VAPID_PRIVATE_KEY")
    if key:
        return key
    from backend.service.push_keys import load_or_create

    return load_or_create(vapid_key_file())


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=_default_database_url)
    secret_key: str = ""
    token_ttl_seconds: int = 12 * 3600
    # Sign-ins refused after this many failures within the window, per username and per client
    # address (the latter high: a warehouse's handhelds often share one address).
    login_max_failures: int = 5
    login_max_failures_per_client: int = 100
    login_window_seconds: int = 15 * 60
    db_pool_size: int = 10
    max_body_bytes: int = 2 * 1024 * 1024
    sync_max_events: int = 500
    seal_in_background: bool = True
    # Web push: the VAPID private key (PEM or base64url; empty turns push delivery off) and
    # the contact push services see in every request's claims.
    vapid_private_key: str = ""
    vapid_subject: str = "mailto:stockhand@localhost"
    push_ttl_seconds: int = 24 * 3600
    push_timeout_seconds: float = 10.0
    push_max_attempts: int = 8
    push_backoff_seconds: float = 30.0
    push_backoff_max_seconds: float = 3600.0
    push_poll_seconds: float = 30.0
    push_batch_size: int = 50
    # Push endpoints must be https unless this is on (a local push service in tests).
    push_allow_insecure_endpoints: bool = False
    # How often expiry, count variances and every reorder rule are checked in full (alerts
    # also follow each stock command at once; this catches the passing of days).
    alert_scan_seconds: float = 300.0
    # How often webhook deliveries are queued from the feed and sent (0 turns it off).
    webhook_poll_seconds: float = 5.0

    @classmethod
    def from_env(cls) -> Settings:
        url = database_url_from_env()
        return cls(
            database_url=url,
            secret_key=_secret_key(url),
            token_ttl_seconds=int(os.environ.get("STOCKHAND_TOKEN_TTL", 12 * 3600)),
            db_pool_size=int(os.environ.get("STOCKHAND_DB_POOL", 10)),
            vapid_private_key=_vapid_private_key(),
            vapid_subject=os.environ.get("STOCKHAND_VAPID_SUBJECT", "mailto:stockhand@localhost"),
        )

    @property
    def dialect(self) -> str:
        return self.database_url.split(":", 1)[0].split("+", 1)[0]
