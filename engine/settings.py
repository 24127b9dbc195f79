"""Settings in one place: environment variables with the PARTNERFLOW_ prefix."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_POLICY = Path(__file__).resolve().parent.parent / "gates" / "default_policy.yaml"
PLACEHOLDER_SECRET = "change-me-development-only"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PARTNERFLOW_", extra="ignore")

    environment: Literal["development", "test", "production"] = Field(
        "development", description="Where this runs; the placeholder secret is refused in production.")
    database_url: str = Field(
        "sqlite:///partnerflow.db", description="SQLAlchemy URL; default a SQLite file in the working directory.")
    policy_path: Path = Field(DEFAULT_POLICY, description="The gate policy YAML in force.")
    secret_key: str = Field(PLACEHOLDER_SECRET, description="Signs action links; set a long random value.")
    base_url: str = Field(
        "http://127.0.0.1:8000", description="Where people open Partnerflow; action links start with it.")
    templates_path: Path | None = Field(
        None, description="An operator's template folder, searched before the shipped templates/.")
    smtp_host: str | None = Field(None, description="SMTP server for email; email is not sent without it.")
    smtp_port: int = Field(587, description="SMTP port.")
    smtp_security: Literal["starttls", "ssl", "none"] = Field("starttls", description="SMTP transport security.")
    smtp_username: str | None = Field(None, description="SMTP user, if the server needs one.")
    smtp_password: SecretStr | None = Field(None, description="SMTP password (never logged).")
    smtp_password_block: str | None = Field(
        None, description="Name of a Prefect Secret block holding the SMTP password (read by the dispatch flow).")
    smtp_sender: str = Field("Partnerflow <partnerflow@localhost>", description="The From of every email.")
    webhook_allow_hosts: str = Field(
        "", description="Comma-separated hosts allowed for webhooks although not public (e.g. 127.0.0.1).")
    dispatch_batch_size: int = Field(500, ge=1, description="Notifications claimed and delivered per batch.")
    dispatch_concurrency: int = Field(
        10, ge=1, description="HTTP deliveries in flight at once (more is slower with httpcore 1.0: see docs).")
    delivery_timeout_s: float = Field(10.0, gt=0, description="Timeout of one HTTP or SMTP delivery.")
    retry_schedule_s: str = Field(
        "5,300,1800,7200,18000,36000,36000",
        description="Seconds to wait before each retry (Standard Webhooks); after the last, a notification is dead.")
    review_batch_size: int = Field(
        2000, ge=1, le=100_000, description="Partnerships loaded, evaluated and written per batch in a review.")

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> "Settings":
        if self.environment == "production" and self.secret_key == PLACEHOLDER_SECRET:
            raise ValueError("PARTNERFLOW_SECRET_KEY must be set to a real secret in production")
        return self


    @property
    def retry_schedule(self) -> tuple[int, ...]:
        return tuple(int(part) for part in self.retry_schedule_s.split(",") if part.strip())

    @property
    def allowed_hosts(self) -> frozenset[str]:
        return frozenset(part.strip() for part in self.webhook_allow_hosts.split(",") if part.strip())


@lru_cache
def get_settings() -> Settings:
    """The settings of this process; tests call `get_settings.cache_clear()` after changing them."""
    return Settings()
