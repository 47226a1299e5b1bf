"""No configured secret reaches a Dagster run's event log, its compute logs, or a debug traceback.

The run is real: a Dagster instance from the project's dagster.yaml, its event log in PostgreSQL,
compute logs captured to files under DAGSTER_HOME.
"""

import logging
import shutil
from pathlib import Path

import dagster as dg
import pytest

from globallm_assets.services.dagster_home import instance_yaml, sqlalchemy_url
from globallm_assets.sources.base import SourceError
from globallm_assets.sources.github import GitHubSource
from globallm_assets_tests.fakes.github_server import FakeGitHub, Fault, random_repos

TOKEN = "ghp_" + "Z" * 32 + "9876"


@pytest.fixture
def fake() -> FakeGitHub:
    with FakeGitHub(random_repos(2, seed=3), tokens=[TOKEN]) as server:
        yield server


def test_a_token_echoed_by_the_server_never_reaches_an_error(fake: FakeGitHub) -> None:
    fake.script("repo", Fault.bad_credentials_echo())
    fake.script("contents", Fault.bad_credentials_echo())
    name = fake.repos[0].full_name
    with (
        GitHubSource([TOKEN], api_url=fake.url, max_retries=0) as source,
        pytest.raises(SourceError) as info,
    ):
        source.repository_file(name, "README.md")
    assert "Bad credentials" in str(info.value)
    assert TOKEN not in str(info.value)


@dg.asset
def leaky(context: dg.AssetExecutionContext) -> None:
    """Everything a careless code path could do with a secret, short of print()."""
    logging.getLogger("globallm_assets.leaky").warning("calling GitHub with %s", TOKEN)
    context.log.info(f"context log with {TOKEN}")
    try:
        raise ValueError(f"inner cause {TOKEN}")
    except ValueError:
        logging.getLogger("globallm_assets.leaky").exception("logged with a traceback")
        raise RuntimeError(f"GitHub answered 401 Bad credentials: {TOKEN}") from None


def test_secrets_stay_out_of_the_event_log_and_compute_logs(
    tmp_path: Path, empty_dsn: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copyfile(instance_yaml(), home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("GLOBALLM_DAGSTER_PG_URL", sqlalchemy_url(empty_dsn))
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    with dg.DagsterInstance.get() as instance:
        result = dg.materialize([leaky], instance=instance, raise_on_error=False)
        assert not result.success
        records = instance.all_logs(result.run_id)
        stored = "\n".join(dg.serialize_value(record) for record in records)
    assert "Bad credentials" in stored  # the failure itself is recorded, only the token is not
    assert TOKEN not in stored
    captured = [p for p in home.rglob("*") if p.is_file() and p.suffix in (".err", ".out")]
    assert captured, "compute logs were not captured"
    text = "".join(p.read_text(errors="replace") for p in captured)
    assert "calling GitHub with" in text
    assert TOKEN not in text


def test_dagster_home_is_private(tmp_path: Path) -> None:
    from globallm_assets.services.dagster_home import prepare_dagster_home
    from globallm_assets.settings import load_settings
    from globallm_assets.store.db import StoreLocation
    from globallm_assets.store.world import World

    settings = load_settings(overrides={"data_dir": str(tmp_path / "data")})
    location = StoreLocation("postgresql://h/a", "postgresql://h/b", None, World("github"))
    env = prepare_dagster_home(settings, location)
    home = Path(env["DAGSTER_HOME"])
    assert home.stat().st_mode & 0o077 == 0


def test_debug_tracebacks_are_redacted(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    from globallm_assets.store import db
    from globallm_assets_tests.cli_runner import cli

    def failing_locate(*args: object, **kwargs: object) -> None:
        raise RuntimeError(f"the server said: bad token {TOKEN}")

    monkeypatch.setenv("GLOBALLM_DEBUG", "1")
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    # The command imports the store when it runs (the CLI starts without it).
    monkeypatch.setattr(db, "locate", failing_locate)
    assert cli("database", "init") == 1
    err = capsys.readouterr().err
    assert "Traceback" in err
    assert "bad token ***" in err
    assert TOKEN not in err
