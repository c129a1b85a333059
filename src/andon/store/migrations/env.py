"""Alembic environment of the Andon store.

At runtime :func:`andon.store.engine.upgrade` passes an open connection in
``config.attributes["connection"]``. From the alembic command line the URL comes from
``-x url=...`` (or ``sqlalchemy.url``); without one, the default SQLite file is used.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from andon.store.engine import VERSION_TABLE, create_engine, default_url, normalize_url
from andon.store.schema import Base

config = context.config


def _url() -> str:
    return (
        context.get_x_argument(as_dictionary=True).get("url")
        or config.get_main_option("sqlalchemy.url")
        or default_url()
    )


def _configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        version_table=VERSION_TABLE,
        render_as_batch=True,  # SQLite alters tables by copying them
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    if context.is_offline_mode():
        context.configure(
            url=normalize_url(_url()),
            target_metadata=Base.metadata,
            version_table=VERSION_TABLE,
            literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    engine = create_engine(normalize_url(_url()))
    try:
        with engine.begin() as conn:
            _configure(conn)
    finally:
        engine.dispose()


run()
