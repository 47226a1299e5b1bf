"""Prepare ``$DAGSTER_HOME`` so Dagster stores runs, event logs and schedules in PostgreSQL.

The project's ``dagster.yaml`` reads the storage URL from ``GLOBALLM_DAGSTER_PG_URL``; this module
copies it into a private DAGSTER_HOME under the data dir (Dagster writes compute logs and other
local state there, which must not land in the checkout) and exports the URL.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from globallm_assets.settings import Settings
from globallm_assets.store.db import StoreLocation

PG_URL_ENV = "GLOBALLM_DAGSTER_PG_URL"


def project_root() -> Path:
    return Path(__file__).resolve().parents[2]


def instance_yaml() -> Path:
    """The project's dagster.yaml (checkout) or the copy bundled in the wheel."""
    package = Path(__file__).resolve().parents[1]
    for candidate in (package.parent / "dagster.yaml", package / "_dagster.yaml"):
        if candidate.is_file():
            return candidate
    raise FileNotFoundError("dagster.yaml not found beside the globallm_assets package")


def sqlalchemy_url(dsn: str) -> str:
    """Dagster-postgres goes through SQLAlchemy: force the psycopg2 dialect explicitly."""
    for prefix in ("postgresql://", "postgres://"):
        if dsn.startswith(prefix):
            return "postgresql+psycopg2://" + dsn[len(prefix) :]
    return dsn


def prepare_dagster_home(
    settings: Settings, location: StoreLocation, *, config_file: Path | None = None
) -> dict[str, str]:
    """Create DAGSTER_HOME with the instance config; returns the env vars to export.

    Dagster resources read their settings from the environment only (no location or secret is
    a run-config field), so what the command decided — the store, the world, the config file —
    is exported here for in-process runs, run workers and the daemon alike.
    """
    # One instance per world (its runs live in that world's Dagster database); local state such
    # as compute logs must not mix either.
    suffix = "_demo" if location.world.kind == "simulated" else ""
    home = Path(settings.data_dir) / f"dagster_home{suffix}"
    home.mkdir(parents=True, exist_ok=True)
    # Compute logs (a step's stdout/stderr) are kept under it: only this user may read them.
    home.chmod(0o700)
    target = home / "dagster.yaml"
    source = instance_yaml()
    if not target.exists() or target.read_bytes() != source.read_bytes():
        # A private temp name: two `demo`/`dev` processes may refresh the file at once.
        fd, tmp = tempfile.mkstemp(prefix=".dagster.yaml.", dir=home)
        os.close(fd)
        shutil.copyfile(source, tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    # The data dir holds more than the embedded server: the local forge's repositories, fix
    # workspaces and reports. Runs must see the same one.
    env = {
        "DAGSTER_HOME": str(home),
        PG_URL_ENV: sqlalchemy_url(location.dagster_dsn),
        "GLOBALLM_DATA_DIR": str(settings.data_dir),
    }
    if settings.database.url is not None:
        # Run workers and the daemon must find the same external store. The configured URL,
        # not the world's database: the world is chosen again from GLOBALLM_SOURCE__KIND.
        env["GLOBALLM_DATABASE_URL"] = settings.database.url.get_secret_value()
    if config_file is not None:
        env["GLOBALLM_CONFIG"] = str(Path(config_file).absolute())
    env.update(
        {
            "GLOBALLM_SOURCE__KIND": settings.source.kind,
            "GLOBALLM_SOURCE__SEED": str(settings.source.seed),
            "GLOBALLM_SOURCE__REPOS_PER_LANGUAGE": str(settings.source.repos_per_language),
            "GLOBALLM_SOURCE__MAX_RESULTS": str(settings.source.max_results),
            "GLOBALLM_LANGUAGES": json.dumps([lang.value for lang in settings.languages]),
            "GLOBALLM_LOG_LEVEL": settings.log_level,
        }
    )
    if location.world.kind == "simulated":
        # The demo replays recorded model responses; its fix runs must use the same provider.
        env["GLOBALLM_LLM__PROVIDER"] = settings.llm.provider
    return env


def apply_env(env: dict[str, str]) -> None:
    os.environ.update(env)


def open_world(settings: Settings, *, config_file: Path | None = None) -> StoreLocation:
    """Prepare the world's store and point this process's Dagster instance and resources at it
    (what an in-process pipeline run needs before `DagsterInstance.get()`)."""
    from globallm_assets.store.db import prepare

    location = prepare(settings)
    apply_env(prepare_dagster_home(settings, location, config_file=config_file))
    return location


# Tables every complete Dagster instance schema has (run, event-log and schedule storage). Each
# storage creates its tables and the alembic stamp in one transaction, but the three storages
# (and their data migrations) commit separately: a process killed while creating them leaves a
# schema that later starts may not complete.
INSTANCE_TABLES = frozenset(
    {
        "alembic_version",
        "runs",
        "run_tags",
        "snapshots",
        "daemon_heartbeats",
        "instance_info",
        "kvs",
        "bulk_actions",
        "event_logs",
        "secondary_indexes",
        "asset_keys",
        "jobs",
        "instigators",
        "job_ticks",
    }
)


def repair_instance_schema(dagster_dsn: str) -> list[str]:
    """Drop a half-made Dagster schema so the instance creates it afresh; returns the tables it
    dropped (none for an empty or complete schema). For the simulated world's instance only:
    its run history is the demo's, recreated by the next demo."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(dagster_dsn, autocommit=True, connect_timeout=10) as conn:
        tables = {
            row[0]
            for row in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
            ).fetchall()
        }
        if not tables:
            return []
        stamped = "alembic_version" in tables and bool(
            conn.execute("SELECT count(*) FROM alembic_version").fetchone()[0]
        )
        if stamped and tables >= INSTANCE_TABLES:
            return []
        with conn.transaction():
            conn.execute(
                sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(
                    sql.SQL(", ").join(sql.Identifier(t) for t in sorted(tables))
                )
            )
        return sorted(tables)
