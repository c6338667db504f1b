"""Every error leaves as `{"code", "message", "details"}` with a 4xx status, never a bare 500."""

from __future__ import annotations

from typing import Any

import structlog
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_409_CONFLICT, HTTP_500_INTERNAL_SERVER_ERROR
from sqlalchemy.exc import DataError, IntegrityError

from backend.domain.errors import DomainError, TooManyAttempts

log = structlog.get_logger("stockhand.errors")

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "too_many_requests",
}


def _body(status: int, code: str, message: str, details: Any = None) -> Response[Any]:
    return Response(
        {"code": code, "message": message, "details": details or {}},
        status_code=status,
        media_type=MediaType.JSON,
    )


def domain_error(_: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    response = _body(exc.status_code, exc.code, exc.message, exc.details)
    if isinstance(exc, TooManyAttempts):
        response.headers["Retry-After"] = str(exc.details["retry_after"])
    return response


def http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc, ValidationException):
        return _body(
            exc.status_code,
            "validation_error",
            "the request body or parameters are not valid",
            {"errors": exc.extra or []},
        )
    code = HTTP_CODES.get(exc.status_code, "error")
    response = _body(
        exc.status_code,
        code,
        exc.detail or code.replace("_", " "),
        exc.extra if isinstance(exc.extra, dict) else None,
    )
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def integrity_error(_: Request[Any, Any, Any], exc: IntegrityError) -> Response[Any]:
    # Two requests racing for the same unique code: the loser gets a clear conflict.
    log.info("integrity_error", error=str(exc.orig))
    return _body(HTTP_409_CONFLICT, "conflict", "this conflicts with a record that already exists")


def out_of_range(_: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    # An id or number too big for the database's columns: the request's fault, not ours.
    log.info("out_of_range", error=str(exc))
    return _body(422, "invalid_request", "a number or value is out of range")


def unexpected_error(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.error("unhandled_error", method=request.method, path=request.url.path, exc_info=exc)
    return _body(
        HTTP_500_INTERNAL_SERVER_ERROR,
        "internal_error",
        "something went wrong on the server; nothing was saved",
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    DomainError: domain_error,
    HTTPException: http_error,
    IntegrityError: integrity_error,
    OverflowError: out_of_range,
    DataError: out_of_range,
    Exception: unexpected_error,
}
