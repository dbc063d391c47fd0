"""Logs: plain text by default, or one JSON object a line (``LOG_FORMAT=json``) for a collector.

Every record carries the request id of the web request (or the RQ job) it belongs to, so one
party's journey can be followed across web servers and workers. Personal data stays out:
mainland mobile numbers and ID numbers in a message are masked before it is written.
"""
from __future__ import annotations

import contextvars
import json
import logging
import re
from datetime import UTC, datetime

from court.crypto import mask_id_number, mask_phone

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("court_request_id", default=None)
_ID_NUMBER = re.compile(r"(?<![0-9])[1-9][0-9]{5}(?:18|19|20)[0-9]{2}[01][0-9][0-3][0-9]{4}[0-9Xx](?![0-9])")
_PHONE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")


def mask(text: str) -> str:
    """Mask ID numbers and mobile numbers anywhere in ``text``."""
    text = _ID_NUMBER.sub(lambda m: mask_id_number(m.group(0)), text)
    return _PHONE.sub(lambda m: mask_phone(m.group(0)), text)


def _current_request_id() -> str | None:
    rid = request_id.get()
    if rid:
        return rid
    try:
        from rq import get_current_job

        job = get_current_job()
    except Exception:
        return None
    return f"job:{job.id}" if job is not None else None


class MaskingFilter(logging.Filter):
    """Adds ``request_id`` and masks personal data in the formatted message."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current_request_id() or "-"
        try:
            message = record.getMessage()
        except Exception:
            return True
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or _current_request_id(),
        }
        if record.exc_info:
            data["exception"] = mask(self.formatException(record.exc_info))
        return json.dumps(data, ensure_ascii=False)


def configure(fmt: str = "text", level: int = logging.INFO) -> None:
    """Install one handler on the root logger in the chosen format (idempotent)."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "_court", False)), None)
    if handler is None:
        handler = logging.StreamHandler()
        handler._court = True  # type: ignore[attr-defined]
        handler.addFilter(MaskingFilter())
        root.addHandler(handler)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(
        "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"))
    root.setLevel(level)
