"""The notify settings in force in this process (the ``Config`` handed to :func:`notify.init_app`).

Jobs run in workers started through the same ``create_app``, so web and workers see the same
settings without ``notify/`` reading the environment itself.
"""
from __future__ import annotations

from typing import Any

_config: Any = None


def configure(config: Any) -> None:
    global _config
    _config = config


def get() -> Any:
    """The active ``config.Config`` (typed loosely: ``notify/`` does not import the app layer)."""
    if _config is None:
        raise RuntimeError("notify.init_app() has not been called")
    return _config
