"""A fake Web Push service on loopback for the tests, and the browser side of a subscription.

It checks each request the way a real push service and browser together would: the VAPID
JWT (RFC 8292) signed by the server's published key for this origin, `Content-Encoding:
aes128gcm` and a TTL above zero; then it decrypts the body (RFC 8291) with the subscriber's
private key and auth secret. A request failing any check is answered 400 and recorded as a
problem, so a broken key, signature or encryption fails the test that looks.
"""

from __future__ import annotations

import base64
import functools
import itertools
import json
import os
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import anyio
import http_ece
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from py_vapid import Vapid02


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class Subscriber:
    """A browser's push subscription: its own P-256 key pair and auth secret."""

    name: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))
    auth: bytes = field(default_factory=lambda: os.urandom(16))

    @property
    def p256dh(self) -> str:
        return b64url(self.private_key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))

    def body(self, device_id: str | None = None) -> dict[str, Any]:
        """What the PWA posts: PushSubscription.toJSON() plus its device id."""
        return {"endpoint": self.endpoint, "expirationTime": None,
                "keys": {"p256dh": self.p256dh, "auth": b64url(self.auth)},
                **({"device_id": device_id} if device_id else {})}


@dataclass
class Received:
    subscriber: str
    payload: dict[str, Any]
    headers: dict[str, str]
    status: int
    arrived: float
    answered: float = 0.0


def verify_vapid(header: str, public_key: str, origin: str) -> dict[str, Any]:
    """The claims of a `vapid t=<jwt>, k=<key>` header, after checking that k is the server's
    published key and the JWT is ES256-signed by it for this push service's origin."""
    scheme, _, params = header.partition(" ")
    assert scheme.lower() == "vapid", f"authorization scheme {scheme!r}"
    parts = dict(p.strip().split("=", 1) for p in params.split(","))
    assert parts["k"] == public_key, "the request is signed with another key"
    assert Vapid02.verify(header), "py_vapid rejects the signature"
    head, claims_b64, signature_b64 = parts["t"].split(".")
    assert json.loads(unb64url(head)) == {"typ": "JWT", "alg": "ES256"}
    signature = unb64url(signature_b64)
    key = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(public_key))
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"),
                               int.from_bytes(signature[32:], "big"))
    key.verify(der, f"{head}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
    claims: dict[str, Any] = json.loads(unb64url(claims_b64))
    assert claims["aud"] == origin, f"aud {claims['aud']} is not {origin}"
    assert str(claims["sub"]).startswith("mailto:"), claims["sub"]
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600, claims["exp"]
    return claims


class PushService:
    def __init__(self, vapid_public_key: str) -> None:
        self.public_key = vapid_public_key
        self.subscribers: dict[str, Subscriber] = {}
        self.received: list[Received] = []
        self.problems: list[str] = []
        self._answers: dict[str, deque[int]] = defaultdict(deque)
        self._delays: dict[str, float] = {}
        self._tokens = itertools.count(1)
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.origin = f"http://127.0.0.1:{self._server.server_address[1]}"

    def subscriber(self, name: str) -> Subscriber:
        sub = Subscriber(name, f"{self.origin}/push/{next(self._tokens)}-{name}")
        self.subscribers[sub.endpoint.rsplit("/", 1)[1]] = sub
        return sub

    def answer(self, sub: Subscriber, *statuses: int) -> None:
        """Answer the next requests for `sub` with these statuses (then 201)."""
        self._answers[sub.endpoint.rsplit("/", 1)[1]].extend(statuses)

    def delay(self, sub: Subscriber, seconds: float) -> None:
        self._delays[sub.endpoint.rsplit("/", 1)[1]] = seconds

    def got(self, name: str | None = None, status: int | None = 201) -> list[Received]:
        with self._lock:
            return [r for r in self.received if (name is None or r.subscriber == name)
                    and (status is None or r.status == status)]

    async def wait_for(self, count: int, name: str | None = None,
                       status: int | None = 201) -> list[Received]:
        """The requests answered `status` (any: None) once there are `count`; 10 s at most."""
        with anyio.fail_after(10):
            while len(self.got(name, status)) < count:
                assert not self.problems, self.problems
                await anyio.sleep(0.02)
        assert not self.problems, self.problems
        return self.got(name, status)

    @contextmanager
    def running(self) -> Iterator[PushService]:
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()
            thread.join(5)

    def _handle(self, path: str, headers: dict[str, str],
                body: bytes) -> tuple[int, float, Received | None]:
        token = path.rsplit("/", 1)[-1]
        sub = self.subscribers.get(token)
        if sub is None:
            return 404, 0.0, None
        arrived = time.monotonic()
        try:
            assert headers.get("content-encoding") == "aes128gcm", headers
            assert int(headers.get("ttl", "0")) > 0, "TTL must be above zero"
            verify_vapid(headers.get("authorization", ""), self.public_key, self.origin)
            plain = http_ece.decrypt(body, private_key=sub.private_key, auth_secret=sub.auth,
                                     version="aes128gcm")
            payload = json.loads(plain)
        except (AssertionError, InvalidSignature, ValueError, KeyError) as error:
            with self._lock:
                self.problems.append(f"{sub.name}: {type(error).__name__}: {error}")
            return 400, 0.0, None
        with self._lock:
            answers = self._answers[token]
            status = answers.popleft() if answers else 201
            record = Received(sub.name, payload, headers, status, arrived)
            self.received.append(record)
        return status, self._delays.get(token, 0.0), record

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, delay, record = service._handle(self.path, headers, body)
                time.sleep(delay)
                if record is not None:
                    record.answered = time.monotonic()
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


# --- the app's side, shared by the push and alert tests ---------------------------------------

@functools.cache
def vapid_pem() -> str:
    """One VAPID key for the whole run."""
    from backend.service.push_keys import generate_private_pem

    return generate_private_pem()


def vapid_public_key() -> str:
    from backend.service.push_keys import load, public_key

    return public_key(load(vapid_pem()))


def push_settings(settings: Any, **changes: Any) -> Any:
    """The test settings with push on: the run's VAPID key, plain http to loopback, short
    backoff and polls; no background alert sweep."""
    import dataclasses

    return dataclasses.replace(settings, **{
        "vapid_private_key": vapid_pem(), "push_allow_insecure_endpoints": True,
        "push_backoff_seconds": 0.2, "push_backoff_max_seconds": 2.0, "push_poll_seconds": 0.5,
        "push_timeout_seconds": 5.0, "alert_scan_seconds": 0, **changes})
