"""Domain errors: a stable machine code, an HTTP-ish status, and a message for people.

Messages are Simplified Chinese source strings looked up in the English catalogue on demand
(:mod:`court.i18n`), so every layer can show the same words in either language.
"""
from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, status: int | None = None, **params: Any):
        super().__init__(message)
        self.message = message
        self.params = params
        if code:
            self.code = code
        if status:
            self.status = status

    def localized(self, locale: str | None = None) -> str:
        from court.i18n import translate

        return translate(self.message, locale).format(**self.params)


class NotFound(DomainError):
    status = 404
    code = "not_found"


class Forbidden(DomainError):
    status = 403
    code = "forbidden"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class RateLimited(DomainError):
    status = 429
    code = "rate_limited"


class InvalidDocument(DomainError):
    status = 422
    code = "invalid_document"
