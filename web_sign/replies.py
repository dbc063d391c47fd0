"""Replies every party page gives the same way: the plain problem page, and the safe way on."""
from __future__ import annotations

from flask import render_template, url_for
from flask.typing import ResponseReturnValue


def problem(title: str, text: str, status: int = 400, action: tuple[str, str] | None = None) -> ResponseReturnValue:
    """A plain page saying what went wrong and, when there is one, the way on."""
    return render_template("m/problem.html", title=title, text=text, action=action), status


def safe_next(value: str | None) -> str:
    """Where to go afterwards: a party page only (never another site), else the list."""
    return value if value and value.startswith("/m/") and "//" not in value else url_for("party.home")
