"""Structured logging through structlog: console lines on a terminal, JSON lines otherwise."""

from __future__ import annotations

from litestar.logging.config import StructLoggingConfig
from litestar.middleware.logging import LoggingMiddlewareConfig
from litestar.plugins.structlog import StructlogConfig, StructlogPlugin


def structlog_plugin() -> StructlogPlugin:
    # Request logs name the call and its result; bodies (passwords, tokens) are never logged.
    # Unexpected errors are logged once, by the error handler that answers them.
    return StructlogPlugin(
        config=StructlogConfig(
            structlog_logging_config=StructLoggingConfig(log_exceptions="never"),
            middleware_logging_config=LoggingMiddlewareConfig(
                request_log_fields=("path", "method", "query"),
                response_log_fields=["status_code"],
            ),
        )
    )
