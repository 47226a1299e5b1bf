"""The Dagster instance's event log in PostgreSQL, with every configured secret redacted.

Log records are redacted where they are made (``observability``), but an event also carries text
that never was a log record: the error of a failed step or run, with its message and causes, as
the UI shows it. Every event passes through ``store_event``, so that is where the last copy of a
secret is removed. ``dagster.yaml`` names this class as the instance's event log storage.
"""

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

import dagster as dg
from dagster._serdes import ConfigurableClassData
from dagster_postgres import PostgresEventLogStorage
from dagster_postgres.utils import get_token_provider_from_config, pg_url_from_config

from globallm_assets.observability import redact_json, register_secrets
from globallm_assets.settings import ConfigError, load_settings, secret_values


def _redacted(event: dg.EventLogEntry) -> dg.EventLogEntry:
    text = dg.serialize_value(event)
    cleaned = redact_json(text)
    return event if cleaned == text else dg.deserialize_value(cleaned, dg.EventLogEntry)


class RedactingPostgresEventLogStorage(PostgresEventLogStorage):
    """:class:`PostgresEventLogStorage` that redacts secrets from each event before storing it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
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

    def store_event(self, event: dg.EventLogEntry) -> None:
        super().store_event(_redacted(event))

    def store_event_batch(self, events: Sequence[dg.EventLogEntry]) -> None:
        super().store_event_batch([_redacted(event) for event in events])
