from pathlib import Path

import pytest

from globallm_assets.settings import (
    ConfigError,
    default_config_path,
    default_data_dir,
    load_settings,
    mask_url,
    masked,
)


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_defaults_follow_the_seeds():
    settings = load_settings()
    assert settings.filters.min_stars == 1000
    assert settings.filters.min_dependents == 100
    assert [lang.value for lang in settings.languages] == [
        "python",
        "javascript",
        "typescript",
        "go",
        "rust",
        "java",
    ]
    w = settings.health_weights
    assert (w.commit_velocity, w.issue_ratio, w.ci_pass_rate, w.contributors) == (
        0.4,
        0.2,
        0.2,
        0.2,
    )
    assert (settings.thresholds.health, settings.thresholds.impact) == (0.5, 0.5)
    b = settings.budget
    assert b.max_tokens_per_repo == 100_000
    assert b.max_time_per_repo == 3600
    assert b.max_issues_per_language == 50
    assert b.max_issues_per_repo == 5
    assert b.weekly_token_budget == 5_000_000
    assert settings.agents.heartbeat_interval == 300
    assert settings.agents.heartbeat_timeout == 1800


def test_yaml_file_lives_under_xdg_config_home(isolated_environment):
    assert default_config_path() == Path(
        isolated_environment / "home" / "config" / "globallm" / "config.yaml"
    )


def test_each_layer_overrides_the_one_below(monkeypatch):
    config = _write(default_config_path(), "filters:\n  min_stars: 10\n  min_dependents: 11\n")
    assert load_settings().filters.min_stars == 10

    Path(".env").write_text("GLOBALLM_FILTERS__MIN_STARS=20\n")
    settings = load_settings()
    assert settings.filters.min_stars == 20
    assert settings.filters.min_dependents == 11  # untouched keys keep the YAML value

    monkeypatch.setenv("GLOBALLM_FILTERS__MIN_STARS", "30")
    assert load_settings().filters.min_stars == 30

    assert load_settings(overrides={"filters.min_stars": 40}).filters.min_stars == 40
    assert config.exists()


def test_conventional_variables_map_onto_nested_settings(monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "tok_aaaaaaaa,tok_bbbbbbbb")
    monkeypatch.setenv("GLOBALLM_DATABASE_URL", "postgresql://u:p@db:5432/x")
    monkeypatch.setenv("GLOBALLM_HEARTBEAT_TIMEOUT", "900")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-test-anthropic-key")
    settings = load_settings()
    assert settings.github.all_tokens() == ["tok_aaaaaaaa", "tok_bbbbbbbb"]
    assert settings.database.url.get_secret_value() == "postgresql://u:p@db:5432/x"
    assert settings.agents.heartbeat_timeout == 900
    assert settings.llm.anthropic_api_key.get_secret_value() == "sk-test-anthropic-key"


def test_environment_alias_beats_dotenv_alias(monkeypatch):
    Path(".env").write_text("GITHUB_TOKEN=from_dotenv_token\nGLOBALLM_HEARTBEAT_TIMEOUT=60\n")
    assert load_settings().github.all_tokens() == ["from_dotenv_token"]
    monkeypatch.setenv("GITHUB_TOKEN", "from_environment")
    settings = load_settings()
    assert settings.github.all_tokens() == ["from_environment"]
    assert settings.agents.heartbeat_timeout == 60


def test_malformed_yaml_names_the_file_and_line():
    path = _write(default_config_path(), "filters:\n  min_stars: 5\n  bad: [unclosed\n")
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert str(path) in message
    assert ":4:" in message or ":3:" in message
    assert "\n" not in message


def test_unknown_yaml_key_is_an_error_not_a_silent_default():
    _write(default_config_path(), "filters:\n  min_starz: 5\n")
    with pytest.raises(ConfigError, match=r"filters\.min_starz: unknown key"):
        load_settings()


def test_yaml_that_is_not_a_mapping_is_refused():
    _write(default_config_path(), "- a\n- b\n")
    with pytest.raises(ConfigError, match="must be a mapping"):
        load_settings()


def test_masked_view_hides_every_secret(monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_" + "x" * 36)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-secret-value")
    monkeypatch.setenv("GLOBALLM_DATABASE_URL", "postgresql://user:hunter22@db/x")
    text = repr(masked(load_settings()))
    assert "x" * 36 not in text
    assert "sk-openai-secret-value" not in text
    assert "hunter22" not in text


def test_mask_url_keeps_everything_but_the_password():
    assert mask_url("postgresql://u:pw@h:1/d") == "postgresql://u:****@h:1/d"
    assert mask_url("postgresql://u@h/d") == "postgresql://u@h/d"


def test_root_default_data_dir_is_outside_home(monkeypatch):
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setattr("os.geteuid", lambda: 0)
    assert default_data_dir() == Path("/var/lib/globallm")
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    assert default_data_dir() == Path.home() / ".local" / "share" / "globallm"
