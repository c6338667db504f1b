"""Sending one push: pywebpush encrypts the payload (RFC 8291, aes128gcm) and signs the request
with the VAPID key (RFC 8292); the answer decides what happens to the delivery."""

from __future__ import annotations

import json
import logging
from typing import Any, cast

import aiohttp
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush_async

from backend.service.push_queue import Claimed, Result

log = logging.getLogger("stockhand.push")


def judge(status: int | None, error: str, retry_after: str | None = None) -> Result:
    """404/410: the subscription is gone for good. 429, 5xx or no answer: try again later.
    Any other refusal (400 bad request, 403 wrong key, 413 too big) will not change: give up."""
    if status in (404, 410):
        return Result("gone", status, error)
    if status is None or status == 429 or status >= 500:
        seconds = float(retry_after) if retry_after and retry_after.isdigit() else None
        return Result("retry", status, error, retry_after=seconds)
    return Result("failed", status, error)


class WebPushSender:
    """Sends over one aiohttp session, opened and closed with the worker."""

    def __init__(self, vapid: Vapid02, *, subject: str, ttl: int, timeout: float) -> None:
        self._vapid = vapid
        self._subject = subject
        self._ttl = max(1, ttl)
        self._timeout = timeout
        self._http: aiohttp.ClientSession | None = None

    async def open(self) -> None:
        if self._http is None:
            self._http = aiohttp.ClientSession()

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
            self._http = None

    async def send(self, target: Claimed) -> Result:
        if target.subscription_id is None:
            return Result("gone", error="the subscription was removed")
        if not target.alert_open:
            return Result("skipped", error="the alert was resolved before it was pushed")
        info: dict[str, Any] = {
            "endpoint": target.endpoint,
            "keys": {"p256dh": target.p256dh, "auth": target.auth},
        }
        data = json.dumps(target.payload, separators=(",", ":"), default=str)
        try:
            response = await webpush_async(
                info,
                data=data,
                vapid_private_key=self._vapid,
                # A fresh dict each time: pywebpush fills in `aud` (the endpoint's origin)
                # and `exp` on the dict it is given.
                vapid_claims={"sub": self._subject},
                content_encoding="aes128gcm",
                ttl=self._ttl,
                timeout=self._timeout,
                aiohttp_session=self._http,
            )
        except WebPushException as error:
            return judge(error.status_code, error.message, error.retry_after)
        except (aiohttp.ClientError, TimeoutError, OSError) as error:
            return judge(None, f"{type(error).__name__}: {error}")
        except Exception as error:  # a key the encryption refuses: retrying will not help
            log.warning("push to subscription %s failed: %r", target.subscription_id, error)
            return Result("failed", None, f"{type(error).__name__}: {error}")
        return Result("sent", cast(aiohttp.ClientResponse, response).status)
