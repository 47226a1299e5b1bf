"""One error contract: every usage error is one line on stderr and exit code 2, whatever caught it
(click/typer's parser, the settings layers, a file on disk), and interruptions end in one line."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from globallm_assets.settings import default_config_path
from globallm_assets_tests.cli_runner import cli


def _one_line_exit_2(capsys, *args: str) -> str:
    assert cli(*args) == 2
    captured = capsys.readouterr()
    err = captured.err.strip()
    assert len(err.splitlines()) == 1, err
    assert captured.out == "", "a usage error prints nothing on stdout (no help page)"
    assert "Traceback" not in err and "╭" not in err
    return err


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("frobnicate",), "No such command 'frobnicate'"),
        (("config", "set"), "Missing argument"),
        (("database", "migrate", "--to", "x"), "--to"),
        (("dev", "--port", "0"), "--port"),
        (("database", "status", "--bogus"), "No such option"),
        (("discover", "--max-results", "0"), "--max-results"),
        (("prioritize", "--top", "0"), "--top"),
    ],
)
def test_parser_errors_are_one_line(capsys, args, fragment):
    assert fragment in _one_line_exit_2(capsys, *args)


def test_huge_integers_are_a_usage_error_not_an_overflow(capsys):
    err = _one_line_exit_2(capsys, "prioritize", "--top", "99999999999999999999")
    assert "--top" in err
    assert "Overflow" not in err
    err = _one_line_exit_2(capsys, "database", "migrate", "--to", "9" * 30)
    assert "--to" in err


def test_no_arguments_prints_help_and_exits_2(capsys):
    assert cli() == 2
    captured = capsys.readouterr()
    assert (captured.out + captured.err).count("Usage") == 1


def test_a_group_without_a_command_prints_its_help_once(capsys):
    assert cli("repos") == 2
    captured = capsys.readouterr()
    assert (captured.out + captured.err).count("Usage: globallm repos") == 1


def test_help_exits_0(capsys):
    assert cli("--help") == 0
    assert "Example" in capsys.readouterr().out


def test_non_utf8_config_file_is_named(capsys):
    path = default_config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"filters:\n  min_stars: \xff\xfe\n")
    assert str(path) in _one_line_exit_2(capsys, "config", "show")


def test_non_utf8_dotenv_is_named(capsys):
    Path(".env").write_bytes(b"GITHUB_TOKEN=\xff\xfe\n")
    assert ".env" in _one_line_exit_2(capsys, "config", "show")


def test_languages_from_the_environment_accept_the_comma_form(monkeypatch, capsys):
    import json

    monkeypatch.setenv("GLOBALLM_LANGUAGES", "python,go")
    assert cli("config", "show", "--export", "json") == 0
    assert json.loads(capsys.readouterr().out)["languages"] == ["python", "go"]
    monkeypatch.setenv("GLOBALLM_LANGUAGES", '["rust"]')
    assert cli("config", "show", "--export", "json") == 0
    assert json.loads(capsys.readouterr().out)["languages"] == ["rust"]
    monkeypatch.setenv("GLOBALLM_FILTERS__LICENSE_ALLOWLIST", "MIT,ISC")
    assert cli("config", "show", "--export", "json") == 0
    assert json.loads(capsys.readouterr().out)["filters"]["license_allowlist"] == ["MIT", "ISC"]
    monkeypatch.setenv("GLOBALLM_LANGUAGES", "python,cobol")
    assert "languages" in _one_line_exit_2(capsys, "config", "show")


@pytest.mark.parametrize("url", ["file:///etc/passwd", "api.github.com", "https://", "ftp://h/x"])
def test_an_invalid_api_url_is_refused_at_config_set(capsys, url):
    assert "github.api_url" in _one_line_exit_2(capsys, "config", "set", "github.api_url", url)
    assert not default_config_path().exists()


def test_an_invalid_api_url_from_the_environment_fails_at_once(monkeypatch, capsys):
    monkeypatch.setenv("GITHUB_API_URL", "file:///tmp/x")
    started = time.monotonic()
    assert "github.api_url" in _one_line_exit_2(capsys, "config", "show")
    assert time.monotonic() - started < 10


def test_a_valid_api_url_is_kept(capsys):
    assert cli("config", "set", "github.api_url", "https://ghe.example.com/api/v3/") == 0
    capsys.readouterr()
    assert cli("config", "show", "--export", "json") == 0
    assert '"https://ghe.example.com/api/v3"' in capsys.readouterr().out


def test_config_flag_pointing_at_a_missing_file(tmp_path, capsys):
    missing = tmp_path / "nope.yaml"
    err = _one_line_exit_2(capsys, "--config", str(missing), "config", "show")
    assert str(missing) in err and "not found" in err
    # Creating it with `config set` stays possible.
    assert cli("--config", str(missing), "config", "set", "filters.min_stars", "3") == 0


def test_an_empty_data_dir_variable_is_refused(monkeypatch, capsys):
    monkeypatch.setenv("GLOBALLM_DATA_DIR", "")
    assert "data_dir" in _one_line_exit_2(capsys, "config", "show")


def test_repos_per_language_has_an_upper_bound(monkeypatch, capsys):
    from globallm_assets.settings import MAX_REPOS_PER_LANGUAGE

    too_many = str(MAX_REPOS_PER_LANGUAGE + 1)
    # The demo's option and the setting refuse the same sizes.
    err = _one_line_exit_2(capsys, "demo", "--repos-per-language", too_many)
    assert "--repos-per-language" in err and str(MAX_REPOS_PER_LANGUAGE) in err
    monkeypatch.setenv("GLOBALLM_SOURCE__REPOS_PER_LANGUAGE", too_many)
    assert "repos_per_language" in _one_line_exit_2(capsys, "config", "show")


def _console(args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    script = Path(sys.executable).parent / "globallm"
    return subprocess.Popen(
        [str(script), *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_an_interrupted_command_ends_with_one_line(tmp_path, sig, code):
    # `database init` on a fresh store spends seconds in initdb: interrupt it there.
    from globallm_assets_tests.conftest import _shared_tmpdir

    base = _shared_tmpdir("gsec-int-")
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path), "GLOBALLM_DATA_DIR": str(base / "d")}
    proc = _console(["database", "init"], env)
    try:
        deadline = time.monotonic() + 60
        while not list(base.glob("d/.init-*/postgres")):
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.02)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
        from globallm_assets.store.embedded import EmbeddedServer

        EmbeddedServer(base / "d").stop()
        import shutil

        shutil.rmtree(base, ignore_errors=True)
    assert proc.returncode == code
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "interrupted" in lines[0] or "terminated" in lines[0]


def test_brackets_in_an_error_are_shown_not_taken_as_markup(capsys):
    # A key path like "filters.[x]" reaches the error line verbatim; rich must not eat "[x]".
    err = _one_line_exit_2(capsys, "config", "set", "filters.[python]", "1")
    assert "[python]" in err
