"""The Dagster instance's storage: PostgreSQL, in the world's own Dagster database.

`dagster.yaml` names this class instead of a fixed URL so the instance finds its database however
Dagster was started: `globallm dev`, `run` and `demo` (and docker-compose) export
`GLOBALLM_DAGSTER_PG_URL`; `dagster dev` or `dg dev` typed in the project root has no such
variable and resolves the store exactly as the CLI does (`GLOBALLM_DATABASE_URL` or the embedded
server, the world from `source.kind`), instead of stopping with a traceback about the variable.
"""

from __future__ import annotations

import os
from typing import Any

from dagster import Field
from dagster._core.storage.base_storage import DagsterStorage
from dagster._serdes import ConfigurableClassData
from dagster_postgres import DagsterPostgresStorage, PostgresRunStorage, PostgresScheduleStorage

from globallm_assets.defs.event_log import RedactingPostgresEventLogStorage, pooled_engine
from globallm_assets.services.dagster_home import PG_URL_ENV, sqlalchemy_url


def storage_url() -> str:
    """The exported URL, else the world's Dagster database as the settings locate it."""
    exported = os.environ.get(PG_URL_ENV)
    if exported:
        return exported
    from globallm_assets.settings import load_settings
    from globallm_assets.store.db import prepare

    return sqlalchemy_url(prepare(load_settings()).dagster_dsn)


class PooledRunStorage(PostgresRunStorage):
    """Run storage keeping a connection (the parent opens one per call: runs, tags, status)."""

    def __init__(self, postgres_url: str, should_autocreate_tables: bool = True) -> None:
        super().__init__(postgres_url, should_autocreate_tables)
        self._engine = pooled_engine(self.postgres_url, self._token_provider)

    def dispose(self) -> None:
        super().dispose()
        self._engine.dispose()


class PooledScheduleStorage(PostgresScheduleStorage):
    """Schedule storage keeping a connection (the parent opens one per call)."""

    def __init__(self, postgres_url: str, should_autocreate_tables: bool = True) -> None:
        super().__init__(postgres_url, should_autocreate_tables)
        self._engine = pooled_engine(self.postgres_url, self._token_provider)

    def dispose(self) -> None:
        super().dispose()
        self._engine.dispose()


class GlobaLLMStorage(DagsterPostgresStorage):
    """Dagster's PostgreSQL storage with the URL resolved at start-up, never written in config,
    the event log that redacts secrets (`defs/event_log.py`), and a kept connection per storage
    instead of one per call (over two thousand in a demo)."""

    def __init__(
        self,
        postgres_url: str,
        should_autocreate_tables: bool = True,
        inst_data: ConfigurableClassData | None = None,
    ) -> None:
        # The parent's constructor, with the redacting event log in place of the plain one
        # (calling it would open, and check the tables of, an event log that is never used).
        self.postgres_url = postgres_url
        self.should_autocreate_tables = should_autocreate_tables
        self._inst_data = inst_data
        self._run_storage = PooledRunStorage(postgres_url, should_autocreate_tables)
        self._event_log_storage = RedactingPostgresEventLogStorage(
            postgres_url, should_autocreate_tables
        )
        self._schedule_storage = PooledScheduleStorage(postgres_url, should_autocreate_tables)
        DagsterStorage.__init__(self)

    @classmethod
    def config_type(cls) -> dict[str, Any]:
        return {"should_autocreate_tables": Field(bool, is_required=False, default_value=True)}

    @classmethod
    def from_config_value(
        cls, inst_data: ConfigurableClassData | None, config_value: dict[str, Any]
    ) -> GlobaLLMStorage:
        return cls(
            postgres_url=storage_url(),
            should_autocreate_tables=config_value.get("should_autocreate_tables", True),
            inst_data=inst_data,
        )
