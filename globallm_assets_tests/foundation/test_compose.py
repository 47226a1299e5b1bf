"""docker-compose.yml cannot run here (no Docker engine): keep it correct by reading it."""

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_services_exist_with_volume_and_healthcheck():
    compose = _compose()
    services = compose["services"]
    assert {"postgres", "dagster-webserver", "dagster-daemon"} <= set(services)
    postgres = services["postgres"]
    assert any(v.startswith("pgdata:") for v in postgres["volumes"])
    assert "pgdata" in compose["volumes"]
    assert "pg_isready" in " ".join(postgres["healthcheck"]["test"])


def test_dagster_services_get_every_variable_dagster_yaml_reads():
    from globallm_assets.services.dagster_home import PG_URL_ENV

    instance = (ROOT / "dagster.yaml").read_text()
    # The storage class named there reads the URL variable itself (defs/storage.py).
    assert "globallm_assets.defs.storage" in instance
    needed = set(re.findall(r"env:\s*([A-Z_][A-Z0-9_]*)", instance)) | {PG_URL_ENV}
    services = _compose()["services"]
    for name in ("dagster-webserver", "dagster-daemon"):
        env = services[name]["environment"]
        assert needed <= set(env), name
        assert env["DAGSTER_HOME"]
        assert env["GLOBALLM_DAGSTER_PG_URL"].startswith("postgresql+psycopg2://")


def test_urls_point_at_the_compose_postgres_with_its_credentials():
    services = _compose()["services"]
    pg_env = services["postgres"]["environment"]
    user, password = pg_env["POSTGRES_USER"], pg_env["POSTGRES_PASSWORD"]
    env = services["dagster-webserver"]["environment"]
    assert env["GLOBALLM_DATABASE_URL"] == (
        f"postgresql://{user}:{password}@postgres:5432/{pg_env['POSTGRES_DB']}"
    )
    assert env["GLOBALLM_DAGSTER_PG_URL"].endswith(f"{user}:{password}@postgres:5432/dagster")


def test_webserver_and_daemon_wait_for_migrations_and_load_the_workspace():
    services = _compose()["services"]
    assert services["migrate"]["command"] == ["globallm", "database", "init"]
    for name in ("dagster-webserver", "dagster-daemon"):
        service = services[name]
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert "workspace.yaml" in service["command"]
    assert (ROOT / "workspace.yaml").is_file()
    workspace = yaml.safe_load((ROOT / "workspace.yaml").read_text())
    module = workspace["load_from"][0]["python_module"]["module_name"]
    assert module == "globallm_assets.definitions"
