"""`globallm config …` through the real entry point (exit codes, files, output)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from globallm_assets.settings import default_config_path
from globallm_assets_tests.cli_runner import cli


def test_set_writes_the_yaml_file_and_show_reflects_it(capsys):
    assert cli("config", "set", "filters.min_stars", "5000") == 0
    assert "min_stars: 5000" in default_config_path().read_text()
    capsys.readouterr()
    assert cli("config", "show", "--export", "json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["filters"]["min_stars"] == 5000


FAKE_TOKEN = "ghp" + "_" + "secret" * 4 + "1234"  # built, so no token-shaped literal is committed


def test_set_accepts_lists_and_secrets(capsys):
    assert cli("config", "set", "languages", "python,go") == 0
    assert cli("config", "set", "github.token", FAKE_TOKEN) == 0
    path = default_config_path()
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    capsys.readouterr()
    assert cli("config", "show", "--export", "json") == 0
    out = capsys.readouterr().out
    data = json.loads(out)
    assert data["languages"] == ["python", "go"]
    assert FAKE_TOKEN not in out
    assert data["github"]["token"].startswith("****")


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("filters.min_starz", "5", "unknown setting"),
        ("filters.min_stars", "many", "invalid value"),
        ("filters.min_stars", "-1", "invalid value"),
        ("languages", "python,cobol", "invalid value"),
        ("filters", "3", "is a section"),
        ("nonsense", "3", "unknown setting"),
    ],
)
def test_bad_key_or_value_exits_2_and_leaves_file_byte_for_byte(capsys, key, value, fragment):
    path = default_config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    original = b"# my settings\nfilters:\n  min_stars: 7   # keep\n"
    path.write_bytes(original)
    assert cli("config", "set", key, value) == 2
    err = capsys.readouterr().err
    assert fragment in err
    assert "Traceback" not in err
    assert path.read_bytes() == original
    assert sorted(p.name for p in path.parent.iterdir()) == ["config.yaml"]


def test_set_refuses_when_the_existing_file_is_malformed(capsys):
    path = default_config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("filters: [\n")
    assert cli("config", "set", "filters.min_stars", "5") == 2
    assert "invalid YAML" in capsys.readouterr().err
    assert path.read_text() == "filters: [\n"


def test_show_with_malformed_yaml_is_one_line_exit_2(capsys):
    path = default_config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("a: 1\nb: : :\n")
    assert cli("config", "show") == 2
    err = capsys.readouterr().err.strip()
    assert f"{path}:2" in err
    assert len(err.splitlines()) == 1


def test_path_honours_config_flag(tmp_path, capsys):
    target = tmp_path / "elsewhere.yaml"
    assert cli("--config", str(target), "config", "path") == 0
    assert capsys.readouterr().out.strip() == str(target)
    assert cli("--config", str(target), "config", "set", "filters.min_stars", "3") == 0
    assert "min_stars: 3" in target.read_text()


def test_export_json_prints_only_json_on_stdout(capsys):
    assert cli("config", "show", "--export", "json") == 0
    json.loads(capsys.readouterr().out)
    assert cli("config", "show", "--export", "yaml") == 2


def test_unknown_command_is_a_usage_error(capsys):
    assert cli("frobnicate") == 2
    assert cli() == 2


def test_console_script_exit_code_and_no_traceback(tmp_path):
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path)}
    script = Path(sys.executable).parent / "globallm"
    result = subprocess.run(
        [str(script), "config", "set", "filters.min_stars", "lots"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "invalid value for filters.min_stars" in result.stderr
    assert not (tmp_path / "globallm" / "config.yaml").exists()


def test_single_list_item_and_lowercase_level_are_accepted(capsys):
    assert cli("config", "set", "languages", "rust") == 0
    assert cli("config", "set", "log_level", "debug") == 0
    capsys.readouterr()
    assert cli("config", "show", "--export", "json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["languages"] == ["rust"]
    assert data["log_level"] == "DEBUG"


def test_secret_file_is_private_before_it_is_renamed(monkeypatch):
    import globallm_assets.config_file as settings_module

    modes: list[int] = []
    real_replace = os.replace

    def spy(src, dst):
        modes.append(os.stat(src).st_mode & 0o777)
        real_replace(src, dst)

    path = default_config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("filters:\n  min_stars: 3\n")
    path.chmod(0o644)
    monkeypatch.setattr(settings_module.os, "replace", spy)
    assert cli("config", "set", "github.token", FAKE_TOKEN) == 0
    assert modes == [0o600]
    assert path.stat().st_mode & 0o777 == 0o600


def test_concurrent_sets_of_different_keys_all_land(tmp_path):
    # Twelve processes, one key each: a read-modify-write without a lock drops some of them.
    keys = {
        "filters.min_stars": "11",
        "filters.min_dependents": "12",
        "health_weights.commit_velocity": "0.13",
        "health_weights.issue_ratio": "0.14",
        "impact_weights.stars": "0.15",
        "impact_weights.forks": "0.16",
        "priority_weights.health": "0.17",
        "priority_weights.impact": "0.18",
        "budget.max_issues_per_repo": "19",
        "budget.max_issues_per_language": "20",
        "agents.heartbeat_interval": "21",
        "github.max_concurrency": "22",
    }
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path)}
    script = Path(sys.executable).parent / "globallm"
    procs = [
        subprocess.Popen(
            [str(script), "config", "set", key, value],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for key, value in keys.items()
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    import yaml

    data = yaml.safe_load((tmp_path / "globallm" / "config.yaml").read_text())
    for key, value in keys.items():
        section, name = key.split(".")
        assert str(data[section][name]) == value, key
