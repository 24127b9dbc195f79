"""Who may call the API: a person's tokens, stored only as their SHA-256 digest."""

from datetime import datetime

from sqlmodel import Field, SQLModel

from partnerflow.models.core import timestamp_column


class ApiToken(SQLModel, table=True):
    """An API token of one person. The token itself is shown once, at creation; a lost one is
    revoked and replaced, never recovered."""

    __tablename__ = "api_token"
    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    digest: str = Field(unique=True, max_length=64)  # sha256 hex of the token
    label: str = Field(default="", max_length=200)
    created_at: datetime = Field(sa_column=timestamp_column())
    expires_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
    revoked_at: datetime | None = Field(default=None, sa_column=timestamp_column(nullable=True))
