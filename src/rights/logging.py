"""structlog, configured once: readable on a terminal, JSON otherwise, request id on every line.

A last processor scrubs what must never reach a log: bearer tokens, JWTs, passwords and full national
register numbers (masked to their birth-date part), whatever field they hide in.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Any

import structlog

from rights.domain.identifiers import mask_national_number

_JWT = re.compile(r"eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*")
_BEARER = re.compile(r"(?i)(bearer\s+)\S+")
# 11 digits, optionally written 85.07.30-033.28, not part of a longer number.
_NATIONAL_NUMBER = re.compile(r"(?<!\d)(\d{2})[.\s]?(\d{2})[.\s]?(\d{2})[-.\s]?\d{3}[.\s]?\d{2}(?!\d)")
# A SHA-256 digest in hex (the audit chains' heads): may hold 11 digits in a row, but is nobody's number.
_DIGEST = re.compile(r"[0-9a-f]{64}")
_SECRET_KEYS = {"password", "token", "authorization", "access_token", "id_token", "secret", "cookie"}


def scrub_text(text: str) -> str:
    text = _JWT.sub("[token]", text)
    text = _BEARER.sub(r"\1[token]", text)
    # Anything shaped like a national number is masked, valid or not: a typo still identifies someone.
    return _NATIONAL_NUMBER.sub(lambda m: mask_national_number(m.group(0)), text)


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return value if _DIGEST.fullmatch(value) else scrub_text(value)
    if isinstance(value, dict):
        return {k: "[redacted]" if str(k).lower() in _SECRET_KEYS else _scrub(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_scrub(v) for v in value)
    return value


def scrub_processor(_logger: Any, _name: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    return _scrub(event_dict)


def configure_logging(level: str = "INFO", fmt: str = "auto") -> None:
    """Route structlog and stdlib logging through one pipeline (idempotent)."""
    console = fmt == "console" or (fmt == "auto" and sys.stderr.isatty())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        scrub_processor,
    ]
    renderer: Any = structlog.dev.ConsoleRenderer() if console else structlog.processors.JSONRenderer()
    structlog.configure(
        # Drop below-level events before any work (scrubbing) is done on them.
        processors=[structlog.stdlib.filter_by_level, *shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Our own middleware logs each request once, scrubbed; silence the servers' duplicates.
    for name in ("uvicorn.access", "granian.access"):
        logging.getLogger(name).disabled = True
    for name in ("sqlalchemy", "aiosqlite", "asyncio", "httpx"):
        logging.getLogger(name).setLevel(logging.WARNING)


def get_logger(name: str | None = None) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)
