"""Settings in one place: environment variables with the PARTNERFLOW_ prefix."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
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
    review_batch_size: int = Field(
        2000, ge=1, le=100_000, description="Partnerships loaded, evaluated and written per batch in a review.")

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> "Settings":
        if self.environment == "production" and self.secret_key == PLACEHOLDER_SECRET:
            raise ValueError("PARTNERFLOW_SECRET_KEY must be set to a real secret in production")
        return self


@lru_cache
def get_settings() -> Settings:
    """The settings of this process; tests call `get_settings.cache_clear()` after changing them."""
    return Settings()
