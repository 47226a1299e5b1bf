"""Resources: the PostgreSQL store and the repository/package sources, chosen by configuration."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dagster as dg
import psycopg

from globallm_assets.observability import register_secrets, set_operation_id
from globallm_assets.settings import Settings, load_settings, secret_values
from globallm_assets.store.db import pool, prepare

_prepared: dict[tuple[str | None, str | None], str] = {}


def _prepared_dsn(url: str | None, data_dir: str | None) -> str:
    """Start/migrate once per process; every later step reuses the DSN."""
    key = (url, data_dir)
    if key not in _prepared:
        overrides: dict[str, Any] = {"database.url": url, "data_dir": data_dir}
        _prepared[key] = prepare(load_settings(overrides=overrides)).dsn
    return _prepared[key]


class PostgresResource(dg.ConfigurableResource):
    """GlobaLLM's store. Empty ``url`` means "resolve like the CLI does" (env, config, embedded)."""

    url: str | None = None
    data_dir: str | None = None

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        # One operation id per run: the run id ties GlobaLLM's log lines to Dagster's.
        if context.run_id:
            set_operation_id(context.run_id[:12])
        register_secrets(secret_values(self.settings()))

    def settings(self) -> Settings:
        overrides: dict[str, Any] = {}
        if self.url:
            overrides["database.url"] = self.url
        if self.data_dir:
            overrides["data_dir"] = self.data_dir
        return load_settings(overrides=overrides)

    def dsn(self) -> str:
        return _prepared_dsn(self.url, self.data_dir)

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection]:
        """A pooled connection inside one transaction (committed on success)."""
        settings = self.settings()
        with (
            pool(
                self.dsn(),
                min_size=settings.database.pool_min,
                max_size=settings.database.pool_max,
            ).connection() as conn,
            conn.transaction(),
        ):
            yield conn


class SourceResource(dg.ConfigurableResource):
    """Where repositories and packages come from: ``github`` (+ registries) or ``simulated``.

    Unset fields fall back to the settings layers, so the same Definitions serve the UI, the
    demo and the tests; asset code never knows which implementation it got.
    """

    kind: str | None = None
    seed: int | None = None
    repos_per_language: int | None = None
    max_results: int | None = None

    def settings(self) -> Settings:
        overrides = {
            "source.kind": self.kind,
            "source.seed": self.seed,
            "source.repos_per_language": self.repos_per_language,
            "source.max_results": self.max_results,
        }
        return load_settings(overrides=overrides)

    def repo_source(self, dsn: str | None = None):
        from globallm_assets.services.sources import repo_source

        return repo_source(self.settings(), dsn=dsn)

    def package_index(self, ecosystem: str):
        from globallm_assets.services.sources import package_index

        return package_index(self.settings(), ecosystem)
