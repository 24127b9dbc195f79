"""Settings in one place: environment variables with the PARTNERFLOW_ prefix.

A setting that cannot be used is a SettingsError: one line per problem, naming the variable,
never its value (pydantic's own report shows every value it was given, passwords included).
In production the secret key must look random and carry at least 32 bytes: see
`secret_key_problem`.
"""

import math
import string
from collections import Counter
from functools import lru_cache
from importlib.resources import files
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_POLICY = Path(str(files("partnerflow.gates") / "default_policy.yaml"))
PLACEHOLDER_SECRET = "change-me-development-only"
KEY_BITS = 256  # 32 bytes
ALPHABETS = ((frozenset(string.digits), 10), (frozenset(string.hexdigits), 16),
             (frozenset(string.ascii_letters + string.digits + "+/-_="), 64))  # base64 and base64url
OTHER_ALPHABET = 95  # printable ASCII: the most a character of any other key is counted for
NEW_KEY = "python -c 'import secrets; print(secrets.token_urlsafe(32))'"


class SettingsError(ValueError):
    """Settings that cannot be used; `problems` has one line per problem, naming its variable."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PARTNERFLOW_", extra="ignore")

    environment: Literal["development", "test", "production"] = Field(
        "development", description="Where this runs; production refuses a weak or placeholder secret key.")
    database_url: str = Field(
        "sqlite:///partnerflow.db", description="SQLAlchemy URL; default a SQLite file in the working directory.")
    policy_path: Path = Field(DEFAULT_POLICY, description="The gate policy YAML in force.")
    secret_key: str = Field(
        PLACEHOLDER_SECRET, description="Signs action links and seals channel credentials; in production at least "
                                        "32 random bytes (e.g. 43 base64 or 64 hex characters).")
    previous_secret_key: SecretStr | None = Field(
        None, description="The secret key before a rotation: channel credentials sealed with it are still read, "
                          "and `partnerflow channel reseal` seals them again with the new key.")
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
    review_shard_size: int = Field(
        50_000, ge=1, le=10_000_000,
        description="Partnerships per shard of a portfolio review: what one Prefect worker reviews in one flow run "
                    "when the review fans out (docs/scaling.md). Each shard's run costs ~3 s to start.")

    @field_validator("secret_key")
    @classmethod
    def _strong_in_production(cls, key: str, info: ValidationInfo) -> str:
        problem = secret_key_problem(key) if info.data.get("environment") == "production" else None
        if problem:
            raise ValueError(problem)
        return key

    @field_validator("retry_schedule_s")
    @classmethod
    def _whole_seconds(cls, schedule: str) -> str:
        if not all(part.strip().isascii() and part.strip().isdigit() for part in schedule.split(",") if part.strip()):
            raise ValueError("a comma-separated list of whole seconds, e.g. 5,300,1800")
        return schedule

    @property
    def retry_schedule(self) -> tuple[int, ...]:
        return tuple(int(part) for part in self.retry_schedule_s.split(",") if part.strip())

    @property
    def allowed_hosts(self) -> frozenset[str]:
        return frozenset(part.strip() for part in self.webhook_allow_hosts.split(",") if part.strip())


@lru_cache
def get_settings() -> Settings:
    """The settings of this process; tests call `get_settings.cache_clear()` after changing them.

    Raises SettingsError, whose lines name each variable at fault and never show a value."""
    try:
        return Settings()
    except ValidationError as error:
        raise SettingsError(problems_of(error)) from None


def problems_of(error: ValidationError) -> list[str]:
    """`PARTNERFLOW_NAME: what is wrong`, one per problem; pydantic's message, never the input."""
    lines = []
    for problem in error.errors(include_url=False, include_context=False, include_input=False):
        field = str(problem["loc"][0]) if problem["loc"] else ""
        variable = f"PARTNERFLOW_{field.upper()}" if field else "PARTNERFLOW settings"
        lines.append(f"{variable}: {problem['msg'].removeprefix('Value error, ')}")
    return lines


def secret_key_problem(key: str) -> str | None:
    """Why `key` is too weak to sign links and seal credentials in production, or None.

    A key's strength cannot be read off it, so its shape is measured: its length times the bits
    a character carries in the smallest usual alphabet holding all its characters (digits 3.3,
    hex 4, base64 6, anything else 6.6) must reach 256 bits (32 bytes); and it must not be a
    run of a few characters (at least 8 different ones, none more than a quarter of the key).
    A key that passes is not proven random: generate it.
    """
    if key == PLACEHOLDER_SECRET:
        return f"is the development placeholder; set 32 random bytes or more, e.g. from `{NEW_KEY}`"
    if not key:
        return f"is empty; set 32 random bytes or more, e.g. from `{NEW_KEY}`"
    bits = len(key) * bits_per_character(key)
    if bits < KEY_BITS:
        return (f"is too short for production: about {bits:.0f} bits where {KEY_BITS} (32 random bytes) are needed, "
                f"e.g. from `{NEW_KEY}`")
    if len(set(key)) < 8 or Counter(key).most_common(1)[0][1] * 4 > len(key):
        return f"repeats a few characters; it is not random: set 32 random bytes or more, e.g. from `{NEW_KEY}`"
    return None


def bits_per_character(key: str) -> float:
    used = set(key)
    size = next((size for alphabet, size in ALPHABETS if used <= alphabet), OTHER_ALPHABET)
    return math.log2(size)
