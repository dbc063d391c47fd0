"""The one place that reads the environment (and a ``.env`` file) and builds every room's settings.

Each room declares its settings in its own ``settings.py`` (one frozen, typed class: fields,
defaults, the environment variable behind each field, what is unsafe for it); :class:`Config`
reads each variable once and composes them: ``cfg.court``, ``cfg.identity``, ``cfg.signing``,
``cfg.notify``, ``cfg.wechat``, ``cfg.conversation``, ``cfg.staff`` and ``cfg.web`` (this layer's
own, below). ``create_app`` refuses to start, before anything starts, with every invalid value and
every unsafe setting listed at once, one line each.

With nothing set the system runs on its embedded defaults: a SQLite file under ``instance/``, an
embedded Redis server started on demand, files under ``instance/files/`` and a secret key
generated once into ``instance/``. ``ENV=production`` refuses development-only providers and
anything that works on one machine only.

A new setting: add a field to its room's settings class with its default and its environment
name (the field's alias); nothing here changes. Document it in README's configuration table.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from dotenv import load_dotenv
from pydantic import Field, ValidationError

from court.room_settings import RoomSettings, error_lines
from court.settings import DEFAULT_INSTANCE, CourtSettings
from handlers.settings import ConversationSettings
from identity.settings import IdentitySettings
from notify.settings import NotifySettings
from signing.settings import SigningSettings
from staff.settings import StaffSettings
from wechat.settings import WeChatSettings

ROOT = Path(__file__).resolve().parent


class WebSettings(RoomSettings):
    """This layer's own settings: ``security.py``, ``ops.py`` and ``create_app`` read them."""

    # reverse proxies in front of the app that append to X-Forwarded-For/-Proto; 0: the app is
    # reached directly and those headers are ignored (nobody picks their own log-in-limit address)
    trusted_proxies: int = Field(0, alias="TRUSTED_PROXIES", ge=0)
    log_format: str = Field("text", alias="LOG_FORMAT", pattern="^(text|json)$")  # json: one object a line
    metrics_token: str = Field("", alias="METRICS_TOKEN")  # bearer token for /metrics; empty: loopback only
    session_minutes: int = Field(30, alias="SESSION_MINUTES", gt=0)  # a browser session's idle lifetime


# room name -> its settings class; the court's comes first (the others take its shared values)
ROOMS: dict[str, type[RoomSettings]] = {
    "court": CourtSettings, "identity": IdentitySettings, "signing": SigningSettings, "notify": NotifySettings,
    "wechat": WeChatSettings, "conversation": ConversationSettings, "staff": StaffSettings, "web": WebSettings,
}
# the court's values other rooms also declare (so they are the same everywhere)
SHARED = ("ENV", "INSTANCE_PATH", "PUBLIC_BASE_URL", "MAX_UPLOAD_BYTES")
# environment variable -> (room, field) of its owner (the first room that declares it)
OWNERS: dict[str, tuple[str, str]] = {}
for _room, _cls in ROOMS.items():
    for _env_name, _field in _cls.env_names().items():
        OWNERS.setdefault(_env_name, (_room, _field))
# set in code only, never from the environment (an operator cannot turn the checks off)
CODE_ONLY = {"SECRET_KEY_GENERATED", "DEPLOYMENT_CHECKS"}
ENV_NAMES = frozenset(OWNERS) - CODE_ONLY  # every variable config.py reads


class StartupRefused(RuntimeError):
    """Invalid or unsafe settings; the message lists every problem, one line each."""


UnsafeProduction = StartupRefused  # the name the production-refusal tests and scripts know


class Config:
    """Every setting the app and its workers read. Build with :meth:`from_env`.

    ``Config(NAME=value, …)`` and ``cfg.NAME = value`` take environment names (tests set values
    this way before ``create_app``); ``cfg.NAME`` reads the owning room's value. Other uppercase
    names land in :attr:`extra` and go to Flask's ``app.config`` as they are (test hooks).
    """

    TESTING: bool = False

    def __init__(self, **values: Any) -> None:
        object.__setattr__(self, "_values", {})
        object.__setattr__(self, "_rooms", None)
        object.__setattr__(self, "extra", {})
        for name, value in values.items():
            setattr(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "TESTING":
            object.__setattr__(self, name, bool(value))
        elif name in OWNERS:
            self._values[name] = value
            object.__setattr__(self, "_rooms", None)  # rebuilt (and validated) on next use
        elif name.isupper():
            self.extra[name] = value
        else:
            raise AttributeError(f"Config has no setting {name!r}")

    def __getattr__(self, name: str) -> Any:
        if name in OWNERS:
            room, field = OWNERS[name]
            return getattr(self._built()[room], field)
        if name.isupper() and name in self.__dict__.get("extra", {}):
            return self.extra[name]
        raise AttributeError(name)

    def replace(self, **changes: Any) -> Config:
        """A copy with ``changes`` (environment names)."""
        other = Config(**{**self._values, **self.extra, **changes})
        other.TESTING = self.TESTING
        return other

    @classmethod
    def from_env(cls, **overrides: Any) -> Config:
        """Read every variable a room declares (and ``.env``), then apply ``overrides``."""
        load_dotenv(ROOT / ".env", override=False)
        instance = Path(_env("INSTANCE_PATH") or DEFAULT_INSTANCE)
        values: dict[str, Any] = {name: raw for name in ENV_NAMES if (raw := _env(name)) is not None}
        values.update(INSTANCE_PATH=str(instance), SECRET_KEY=_secret_key(instance),
                      SECRET_KEY_GENERATED=not _env("SECRET_KEY"))
        cfg = cls(**values)
        for key, value in overrides.items():
            setattr(cfg, key, value)
        return cfg

    # --- the rooms' settings ------------------------------------------------------------------

    def _built(self) -> dict[str, RoomSettings]:
        if self._rooms is None:
            rooms: dict[str, RoomSettings] = {}
            errors: list[str] = []
            shared: dict[str, Any] = {}
            for name, cls in ROOMS.items():
                try:
                    rooms[name] = cls.model_validate({**self._values, **shared})
                except ValidationError as exc:
                    errors.extend(line for line in error_lines(exc) if line not in errors)
                    continue
                if name == "court":
                    shared = {alias: getattr(rooms[name], OWNERS[alias][1]) for alias in SHARED}
            if errors:
                raise StartupRefused(_listing(errors))
            object.__setattr__(self, "_rooms", rooms)
        return self._rooms  # type: ignore[no-any-return]

    @property
    def court(self) -> CourtSettings:
        return self._built()["court"]  # type: ignore[return-value]

    @property
    def identity(self) -> IdentitySettings:
        return self._built()["identity"]  # type: ignore[return-value]

    @property
    def signing(self) -> SigningSettings:
        return self._built()["signing"]  # type: ignore[return-value]

    @property
    def notify(self) -> NotifySettings:
        return self._built()["notify"]  # type: ignore[return-value]

    @property
    def wechat(self) -> WeChatSettings:
        return self._built()["wechat"]  # type: ignore[return-value]

    @property
    def conversation(self) -> ConversationSettings:
        return self._built()["conversation"]  # type: ignore[return-value]

    @property
    def staff(self) -> StaffSettings:
        return self._built()["staff"]  # type: ignore[return-value]

    @property
    def web(self) -> WebSettings:
        return self._built()["web"]  # type: ignore[return-value]

    @property
    def is_production(self) -> bool:
        return self.court.is_production

    # --- start-up checks: one list, gathered from every room ------------------------------------

    def problems(self) -> list[str]:
        """Every reason not to start, one line each: what each room cannot run with, and with
        ``ENV=production`` what each room refuses there. Invalid values raise :class:`StartupRefused`."""
        found: list[str] = []
        for room in self._built().values():
            found.extend(room.problems())
            if room.is_production:
                found.extend(room.production_problems())
        return found

    def refuse(self) -> None:
        """Raise :class:`StartupRefused` listing every problem (``create_app`` calls this first)."""
        if found := self.problems():
            raise StartupRefused(_listing(found))

    def as_flask(self) -> dict[str, object]:
        """The mapping handed to Flask's ``app.config``: Flask's own keys; the rooms read their settings."""
        return {"SECRET_KEY": self.court.secret_key, "TESTING": self.TESTING,
                "MAX_CONTENT_LENGTH": self.court.max_upload_bytes + 1024 * 1024, **self.extra}


def _listing(lines: list[str]) -> str:
    return "设置有误，拒绝启动 / refusing to start:\n" + "\n".join(f"  {line}" for line in lines)


def _env(name: str) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else None


def _secret_key(instance: Path) -> str:
    """Return SECRET_KEY, generating one into ``instance/secret_key`` on first use."""
    configured = _env("SECRET_KEY")
    if configured:
        return configured
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(secrets.token_urlsafe(48))
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    return path.read_text().strip()
