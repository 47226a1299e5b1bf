"""A database password is masked in every form a connection string can carry it."""

import json

import pytest

from globallm_assets.observability import redact, register_secrets
from globallm_assets.settings import load_settings, mask_url, secret_values
from globallm_assets_tests.cli_runner import cli

PASSWORD = "hunter2-secret-pw"

FORMS = [
    f"postgresql://user:{PASSWORD}@db.example:5432/globallm",
    f"postgresql://user@db.example:5432/globallm?sslmode=require&password={PASSWORD}",
    f"postgresql://user@db.example/globallm?sslpassword={PASSWORD}&application_name=x",
    f"host=db.example user=user password={PASSWORD} dbname=globallm",
    f"host=db.example password = '{PASSWORD}' dbname=globallm",
]


@pytest.mark.parametrize("dsn", FORMS)
def test_mask_url_hides_the_password_in_every_form(dsn):
    masked = mask_url(dsn)
    assert PASSWORD not in masked
    assert "****" in masked
    # Everything else stays readable.
    assert "db.example" in masked
    assert "globallm" in masked


def test_mask_url_leaves_strings_without_a_password_alone():
    for dsn in ("postgresql://u@h/d", "postgresql://u@/d?host=%2Ftmp%2Fx&port=5432", "host=h"):
        assert mask_url(dsn) == dsn


def test_percent_encoded_and_quoted_passwords_are_registered_for_redaction(monkeypatch):
    monkeypatch.setenv("GLOBALLM_DATABASE_URL", "postgresql://u@h/d?password=p%40ss-word-1")
    assert "p@ss-word-1" in secret_values(load_settings())
    monkeypatch.setenv("GLOBALLM_DATABASE_URL", r"host=h password='it\'s-a-secret' dbname=d")
    values = secret_values(load_settings())
    assert "it's-a-secret" in values
    register_secrets(values)
    assert "it's-a-secret" not in redact("failed with it's-a-secret inside")


@pytest.mark.parametrize("dsn", FORMS)
def test_config_show_never_prints_the_password(monkeypatch, capsys, dsn):
    monkeypatch.setenv("GLOBALLM_DATABASE_URL", dsn)
    assert cli("config", "show", "--export", "json") == 0
    out = capsys.readouterr().out
    assert PASSWORD not in out
    assert json.loads(out)["database"]["url"] == mask_url(dsn)
    assert cli("config", "show") == 0
    assert PASSWORD not in capsys.readouterr().out


@pytest.mark.parametrize("dsn", FORMS[:3])
def test_database_commands_never_print_the_password(capsys, dsn):
    unreachable = dsn.replace("db.example:5432", "127.0.0.1:1").replace("db.example", "127.0.0.1:1")
    assert cli("--database-url", unreachable, "database", "init") == 1
    assert cli("--database-url", unreachable, "database", "status", "--export", "json") == 1
    captured = capsys.readouterr()
    assert PASSWORD not in captured.out + captured.err
