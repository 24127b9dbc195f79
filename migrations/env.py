"""Alembic environment: one tree, batch mode so it runs on SQLite and PostgreSQL."""

from alembic import context
from sqlmodel import SQLModel

import partnerflow.models  # registers every table on SQLModel.metadata

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    engine = config.attributes.get("engine")
    if engine is None:
        from partnerflow.models.db import make_engine

        engine = make_engine(config.get_main_option("sqlalchemy.url"))
    with engine.begin() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True,
                          include_object=partnerflow.models.exists_on(connection.dialect.name))
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
