"""Resources every domain shares: the run's settings and store, and the configured source.

Neither resource has a field that says *where* the store is or holds a secret. The location
(``GLOBALLM_DATABASE_URL``, ``GLOBALLM_DATA_DIR``, the config file) and every token come from the
process environment through the same settings layers the CLI reads, so:

- a UI user cannot point a run at another database or data dir with run config (a field bound
  even to ``dg.EnvVar`` can still be replaced in the launchpad), and
- Dagster's run and job snapshots never hold a password, only what the schema shows here.
"""

from datetime import datetime

import dagster as dg
from pydantic import Field, PrivateAttr

from globallm_assets.observability import register_secrets, set_operation_id
from globallm_assets.settings import Settings, load_settings, secret_values
from globallm_assets.sources.base import PackageIndex, RepoSource


class StoreResource(dg.ConfigurableResource):
    """The one settings accessor of a run, and the PostgreSQL store of its world."""

    _settings: Settings | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        # One operation id per run: the run id ties GlobaLLM's log lines to Dagster's.
        if context.run_id:
            set_operation_id(context.run_id[:12])
            if context.instance is not None:
                # Run monitoring fails the run if this process dies (defs/run_monitoring.py).
                from globallm_assets.defs.run_monitoring import WORKER_TAG, worker_identity

                context.instance.add_run_tags(context.run_id, {WORKER_TAG: worker_identity()})
        register_secrets(secret_values(self.settings()))

    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings()
        return self._settings

    def dsn(self) -> str:
        """The world's database, started and migrated once per process."""
        from globallm_assets.store.db import prepared

        return prepared(self.settings()).dsn


class SourceResource(dg.ConfigurableResource):
    """Where repositories, issues and packages come from: GitHub plus the registries, or the
    simulated world, as the settings say; asset code never knows which one it got."""

    store: dg.ResourceDependency[StoreResource]
    max_results: int | None = Field(
        default=None,
        description="repositories kept per language run (default: source.max_results)",
    )

    def repositories(self) -> RepoSource:
        from globallm_assets.services.sources import repo_source

        return repo_source(self.store.settings(), dsn=self.store.dsn())

    def package_index(self, ecosystem: str) -> PackageIndex:
        from globallm_assets.services.sources import package_index

        return package_index(self.store.settings(), ecosystem)

    def now(self) -> datetime | None:
        """The moment the source's data describes (None: the real clock)."""
        from globallm_assets.services.sources import source_now

        return source_now(self.store.settings())


def resources() -> dict[str, dg.ConfigurableResource]:
    store = StoreResource()
    return {"store": store, "source": SourceResource(store=store)}
