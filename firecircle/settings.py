"""Settings: FIRECIRCLE_* environment variables over an optional firecircle.toml."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from triage.escalation.policy import SCORE_WEIGHTS

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/firecircle.db"
TOML_FILE = "firecircle.toml"


class SettingsError(Exception):
    """A setting is missing or malformed; the message is one line that names it."""


GROUPS = ("backup_workers", "community_coordinators", "street_coordinators", "duty_officers")
KINDS = ("hazard", "emergency", "question")
SEVERITIES = ("urgent", "high", "normal")


class PolicySettings(BaseModel):
    """The `[policy]` table of firecircle.toml (times in minutes and hours, as people say them)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    ack_minutes: float = Field(default=10, gt=0)
    # per kind or kind.severity, e.g. {"emergency" = 2, "hazard.urgent" = 5}
    ack_minutes_by: dict[str, float] = Field(default_factory=dict)
    escalation_step_minutes: float = Field(default=10, gt=0)
    rectify_hours: dict[str, float] = Field(
        default_factory=lambda: {"urgent": 2, "high": 24, "normal": 72}
    )
    chain: list[list[str]] = Field(
        default_factory=lambda: [
            ["backup_workers", "community_coordinators"],
            ["street_coordinators", "duty_officers"],
        ],
        min_length=1,
    )
    renotify: bool = True
    confirm_hours: float = Field(default=24, gt=0)
    reinspect_days: float = Field(default=7, gt=0)
    team_depart_minutes: float = Field(default=2, gt=0)  # 出发 pressed by then, or the next team
    nearby_meters: float = Field(default=800, gt=0)  # /nearby: ten minutes' walk
    visit_takeover_hours: float = Field(default=4, gt=0)  # a half-checked site, then another's
    street_factor: float = Field(default=1.3, ge=1)  # walking distance ÷ straight-line distance
    # How `firecircle stats` ranks grids: each indicator's weight in the score (0–100).
    score_weights: dict[str, float] = Field(default_factory=lambda: dict(SCORE_WEIGHTS))

    @field_validator("ack_minutes_by")
    @classmethod
    def _known_kinds(cls, value: dict[str, float]) -> dict[str, float]:
        for key, minutes in value.items():
            kind, _, severity = key.partition(".")
            if kind not in KINDS or (severity and severity not in SEVERITIES) or minutes <= 0:
                raise ValueError(f"{key} = {minutes}: use kind[.severity] = minutes > 0")
        return value

    @field_validator("score_weights")
    @classmethod
    def _known_indicators(cls, value: dict[str, float]) -> dict[str, float]:
        unknown = set(value) - set(SCORE_WEIGHTS)
        if unknown or not value or min(value.values()) < 0 or sum(value.values()) <= 0:
            raise ValueError(f"weights ≥ 0 (not all 0) of {', '.join(SCORE_WEIGHTS)}")
        return value

    @field_validator("rectify_hours")
    @classmethod
    def _all_severities(cls, value: dict[str, float]) -> dict[str, float]:
        if set(value) != set(SEVERITIES) or min(value.values()) <= 0:
            raise ValueError("give urgent, high and normal, each hours > 0")
        return value

    @field_validator("chain")
    @classmethod
    def _known_groups(cls, value: list[list[str]]) -> list[list[str]]:
        for level in value:
            unknown = set(level) - set(GROUPS)
            if unknown or not level:
                raise ValueError(f"levels are lists of {', '.join(GROUPS)}")
        return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="FIRECIRCLE_", toml_file=TOML_FILE, extra="ignore", frozen=True
    )

    bot_token: str | None = None
    telegram_api_url: str = "https://api.telegram.org"
    proxy_url: str | None = None  # HTTP or SOCKS5 proxy for reaching Telegram
    database_url: str = DEFAULT_DATABASE_URL
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=0, le=65535)
    webhook_url: str | None = None
    webhook_secret: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{1,256}$")
    ack_sla_seconds: float = Field(default=600, gt=0)
    escalation_step_seconds: float = Field(default=600, gt=0)
    language: Literal["zh", "en"] = "zh"
    district_margin_meters: float = Field(default=2000, ge=0)
    duplicate_radius_meters: float = Field(default=50, ge=0)
    send_rate: float = Field(default=30, gt=0, le=10_000)  # messages/s to Telegram, all chats
    send_per_chat_rate: float = Field(default=1, gt=0)  # messages/s to one chat
    broadcast_progress_seconds: float = Field(default=3, gt=0)  # edits of a broadcast's progress
    reports_per_hour: int = Field(default=5, ge=1)  # per resident; then "稍后再试" once
    messages_per_minute: int = Field(default=30, ge=1)  # per resident; then "稍后再试" once
    open311_requests_per_minute: int = Field(default=60, ge=1)  # per API key; then 429
    # Handled updates are purged after this; at least a day, as Telegram may deliver an update
    # again for 24 hours and the stored update_id is what makes it a no-op.
    raw_updates_days: float = Field(default=30, ge=1)
    anonymise_after_days: float = Field(default=365, gt=0)  # closed reports' personal fields
    timezone: str = "Asia/Shanghai"  # duty hours and the times people read are in this zone
    # Where people reach the web console (login links point there); else http://HOST:PORT
    public_url: str | None = None
    metrics_token: str | None = None  # set: /metrics needs `Authorization: Bearer <token>`
    policy: PolicySettings = Field(default_factory=PolicySettings)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Shanghai)") from None
        return value

    @field_validator("telegram_api_url", "webhook_url", "public_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/") if value else value

    @field_validator("proxy_url")
    @classmethod
    def _proxy_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in PROXY_SCHEMES or not parts.hostname:
            raise ValueError("must look like http://HOST:PORT or socks5://HOST:PORT")
        try:
            parts.port  # noqa: B018 -- raises on a port that is not a number
        except ValueError:
            raise ValueError("the proxy's port must be a number") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if value.startswith(("postgres://", "postgresql://")):
            return "postgresql+asyncpg://" + value.split("://", 1)[1]
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must be sqlite+aiosqlite:///PATH or postgresql+asyncpg://…")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    @property
    def console_url(self) -> str:
        """Where the console is reached: the public address, else the HTTP host and port."""
        return self.public_url or f"http://{self.http_host}:{self.http_port}"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def secrets(self) -> list[str]:
        """What must never be printed: tokens, secrets, the proxy's password."""
        found = [getattr(self, name, None) for name in SECRET_SETTINGS]
        if self.proxy_url:
            found.append(urlsplit(self.proxy_url).password)
        return [s for s in found if s]


PROXY_SCHEMES = ("http", "https", "socks5", "socks5h")
SECRET_SETTINGS = ("bot_token", "webhook_secret", "metrics_token")
# A token in a Bot API address (…/bot123:ABC/getMe), whatever the token is.
_TOKEN_IN_URL = re.compile(r"(/bot)[^/\s'\"]+")


def redact(text: str, secrets: list[str] | None = None) -> str:
    """The text with every secret masked; without settings, those of the environment."""
    if secrets is None:
        names = (f"FIRECIRCLE_{name.upper()}" for name in SECRET_SETTINGS)
        secrets = [v for v in (os.environ.get(n) for n in names) if v]
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return _TOKEN_IN_URL.sub(r"\1***", text)


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning any problem into one line that names the setting."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [str(part) for part in first["loc"]]
        if loc and loc[0] == "policy":
            name = "[policy] " + ".".join(loc[1:]) + f" in {TOML_FILE}"
        else:
            name = "FIRECIRCLE_" + loc[0].upper() if loc else "settings"
        raise SettingsError(f"setting {name} is invalid: {first['msg']}") from None
    except (OSError, ValueError) as exc:  # a malformed firecircle.toml
        raise SettingsError(f"{Path(TOML_FILE).resolve()} cannot be read: {exc}") from None
