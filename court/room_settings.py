"""The shape every room's settings class shares, so there is one way to configure.

Each room (``court``, ``identity``, ``signing``, ``notify``, ``wechat``, ``handlers``) declares
one frozen class of this kind in its own ``settings.py``: its fields, their defaults (stated
there and nowhere else), the environment variable behind each field (the field's alias, or its
name when it has none) and what is unsafe for that room. ``config.py`` reads the environment
once and builds every room's object; ``create_app`` binds each with the room's ``init_app``.

Validation errors and refusals are one line each and name the environment variable, so an
operator sees every mistake at once instead of a traceback.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError

from court.configured import Configured


def _split_ints(value: object) -> object:
    """``"10,60,300"`` from the environment; lists and tuples from code pass through."""
    if isinstance(value, str):
        return tuple(int(part) for part in value.split(",") if part.strip())
    return value


def json_object(value: object) -> object:
    """A JSON object from the environment; dicts from code pass through."""
    if isinstance(value, str):
        try:
            value = json.loads(value) if value.strip() else {}
        except json.JSONDecodeError:
            raise ValueError("not valid JSON") from None
        if not isinstance(value, dict):
            raise ValueError("not a JSON object")
    return value


IntList = Annotated[tuple[int, ...], BeforeValidator(_split_ints)]
JsonObject = Annotated[dict[str, Any], BeforeValidator(json_object)]
SECRET_ENDINGS = ("KEY", "KEYS", "SECRET", "PASSWORD", "TOKEN")  # values never echoed in an error


class RoomSettings(BaseModel):
    """Base of every room's settings: frozen, typed, validated, hashable (caches key on it)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore", validate_default=True,
                              str_strip_whitespace=True)

    env: str = Field("development", alias="ENV")

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    def problems(self) -> list[str]:
        """Why this room cannot run with these values, whatever ``ENV`` is (one line each)."""
        return []

    def production_problems(self) -> list[str]:
        """What ``ENV=production`` refuses in this room (one line each, naming the variable)."""
        return []

    def changed(self, **changes: Any) -> Any:
        """A validated copy with ``changes`` (field names or environment names)."""
        return type(self).model_validate({**self.model_dump(), **changes})

    def __hash__(self) -> int:
        # dict fields (template ids, provider names) are not hashable; their JSON is
        return hash((type(self).__name__, self.model_dump_json()))

    @classmethod
    def env_names(cls) -> dict[str, str]:
        """environment variable -> field name, for every field of this room."""
        return {(f.alias or name): name for name, f in cls.model_fields.items()}


def error_lines(exc: ValidationError) -> list[str]:
    """One line per invalid value: the environment variable, what is wrong, what was given."""
    lines = []
    for err in exc.errors():
        name = str(err["loc"][0]) if err["loc"] else "?"
        given = err.get("input")
        shown = "(hidden)" if name.endswith(SECRET_ENDINGS) or "SECRET" in name else repr(given)
        message = str(err["msg"]).removeprefix("Value error, ")
        lines.append(f"{name}: {message} (got {shown})")
    return lines


S = TypeVar("S", bound=RoomSettings)


class RoomHolder(Generic[S]):
    """A room's settings in force in this process (web, worker or CLI), bound by its ``init_app``.

    ``configure(**changes)`` is the one way to change them while the app runs (tests, a CLI
    command); providers cached on the old object are simply not asked any more.
    """

    def __init__(self, setter: str, default: Callable[[], S] | None = None) -> None:
        self._value: Configured[S] = Configured(setter)
        self._default = default

    def bind(self, settings: S) -> S:
        return self._value.set(settings)

    def current(self) -> S:
        if not self._value.is_set and self._default is not None:
            return self._value.set(self._default())
        return self._value.get()

    def configure(self, settings: S | None = None, **changes: Any) -> S:
        base = settings if settings is not None else self.current()
        updated: S = base.changed(**changes) if changes else base
        return self.bind(updated)


def of(app: Any, room: str) -> Any:
    """The settings ``create_app`` built for ``room`` (``app.extensions["court_config"].<room>``);
    rooms cannot import ``config.py`` (it sits above them), so they ask the app for their part."""
    return getattr(app.extensions["court_config"], room)
