"""The Dagster instance's event log in PostgreSQL, with every configured secret redacted.

Log records are redacted where they are made (``observability``), but an event also carries text
that never was a log record: the error of a failed step or run, with its message and causes, as
the UI shows it. Every event passes through ``store_event``, so that is where the last copy of a
secret is removed. ``dagster.yaml`` names this class as the instance's event log storage.

It also keeps one connection per process: the parent opens a new PostgreSQL connection for every
event (a run of one asset stores dozens), which made Dagster's bookkeeping a large share of
`globallm demo`. Its commits do not wait for the WAL flush (``synchronous_commit=off``): a server
crash may lose the last fraction of a second of events, never the database's consistency, and
GlobaLLM's own rows are written with the default durability.
"""

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg
from dagster._serdes import ConfigurableClassData
from dagster_postgres import PostgresEventLogStorage
from dagster_postgres.utils import (
    create_pg_engine,
    get_token_provider_from_config,
    pg_url_from_config,
)

from globallm_assets.observability import redact_json, register_secrets
from globallm_assets.settings import ConfigError, load_settings, secret_values


def pooled_engine(postgres_url: str, token_provider: Any = None, *, durable: bool = True) -> Any:
    """A SQLAlchemy engine keeping one connection for the process (more while several threads
    need one), checked before reuse so a restarted server costs a reconnect, not an error.
    ``durable=False``: commits do not wait for the WAL flush (for the event log only)."""
    options = {} if durable else {"connect_args": {"options": "-c synchronous_commit=off"}}
    return create_pg_engine(
        postgres_url,
        token_provider,
        isolation_level="AUTOCOMMIT",
        pool_size=1,
        max_overflow=10,
        pool_pre_ping=True,
        **options,
    )


def _redacted(event: dg.EventLogEntry) -> dg.EventLogEntry:
    text = dg.serialize_value(event)
    cleaned = redact_json(text)
    return event if cleaned == text else dg.deserialize_value(cleaned, dg.EventLogEntry)


class RedactingPostgresEventLogStorage(PostgresEventLogStorage):
    """:class:`PostgresEventLogStorage` that redacts secrets from each event before storing it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The parent's engine has no pool (a connection per event); it holds none open, so it
        # is simply replaced. The webserver swaps the engine again (optimize_for_webserver).
        self._engine = pooled_engine(self.postgres_url, self._token_provider, durable=False)
        # The webserver and daemon never load settings otherwise; a run worker has them already.
        # A broken config is reported by whatever loads it next, not by the storage.
        with contextlib.suppress(ConfigError):
            register_secrets(secret_values(load_settings()))

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> "RedactingPostgresEventLogStorage":
        return cls(
            inst_data=inst_data,
            postgres_url=pg_url_from_config(config_value),
            should_autocreate_tables=config_value.get("should_autocreate_tables", True),
            token_provider=get_token_provider_from_config(config_value),
        )

    def dispose(self) -> None:
        super().dispose()
        self._engine.dispose()

    def store_event(self, event: dg.EventLogEntry) -> None:
        super().store_event(_redacted(event))

    def store_event_batch(self, events: Sequence[dg.EventLogEntry]) -> None:
        super().store_event_batch([_redacted(event) for event in events])
