"""Settings: FIRECIRCLE_* environment variables over an optional firecircle.toml."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/firecircle.db"
TOML_FILE = "firecircle.toml"


class SettingsError(Exception):
    """A setting is missing or malformed; the message is one line that names it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="FIRECIRCLE_", toml_file=TOML_FILE, extra="ignore", frozen=True
    )

    bot_token: str | None = None
    telegram_api_url: str = "https://api.telegram.org"
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
    send_per_chat_rate: float = Field(default=1, gt=0)  # messages/s to one chat, after a burst
    timezone: str = "Asia/Shanghai"  # duty hours and the times people read are in this zone

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Shanghai)") from None
        return value

    @field_validator("telegram_api_url", "webhook_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/") if value else value

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
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning any problem into one line that names the setting."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "FIRECIRCLE_" + str(first["loc"][0]).upper() if first["loc"] else "settings"
        raise SettingsError(f"setting {name} is invalid: {first['msg']}") from None
    except (OSError, ValueError) as exc:  # a malformed firecircle.toml
        raise SettingsError(f"{Path(TOML_FILE).resolve()} cannot be read: {exc}") from None
