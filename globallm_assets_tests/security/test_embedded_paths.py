"""The embedded server's data dir is user input: no shell ever sees it, and paths the server
cannot take are refused in one line before anything is created."""

from pathlib import Path

import psycopg
import pytest

from globallm_assets.settings import ConfigError
from globallm_assets.store.embedded import EmbeddedServer, EmbeddedServerError
from globallm_assets_tests.cli_runner import cli


def test_shell_metacharacters_in_the_data_dir_are_never_executed(base):
    marker = base / "out"
    # `$(…)` with an absolute target spans directories; both forms must stay plain names.
    for data_dir in (base / "data$(id>out)dir", base / f"d$(id>{marker})`id>{marker}`"):
        server = EmbeddedServer(data_dir)
        server.ensure_running()
        with psycopg.connect(server.dsn("postgres")) as conn:
            assert conn.execute("SELECT 1").fetchone() == (1,)
        server.stop()
    assert not marker.exists()
    assert not list(base.rglob("out"))
    assert not Path("/out").exists()


@pytest.mark.parametrize(
    ("name", "fragment"),
    [("it's", "quote"), ('say"cheese', "quote"), ("two\nlines", "control character")],
)
def test_characters_the_server_cannot_take_are_refused_in_one_line(base, name, fragment):
    data_dir = base / name
    with pytest.raises(ConfigError) as info:
        EmbeddedServer(data_dir).ensure_running()
    message = str(info.value)
    assert fragment in message
    assert "\n" not in message
    assert not data_dir.exists()


def test_a_data_dir_too_long_for_a_socket_path_is_refused(base):
    data_dir = base / ("x" * 90)
    with pytest.raises(ConfigError, match="too long for a unix socket"):
        EmbeddedServer(data_dir).ensure_running()
    assert not data_dir.exists()


def test_cli_refusal_is_one_line_and_exit_2(base, capsys):
    assert cli("--data-dir", str(base / "it's"), "database", "init") == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert "quote" in err


def test_server_errors_are_one_line_with_the_cause(base):
    server = EmbeddedServer(base / "data")
    server.ensure_running()
    server.stop()
    # Break the cluster's configuration: the error must say what the server said.
    conf = server.pgdata / "postgresql.conf"
    conf.write_text(conf.read_text() + "\nshared_buffers = 'lots'\n")
    with pytest.raises(EmbeddedServerError) as info:
        server.ensure_running()
    message = str(info.value)
    assert "shared_buffers" in message
    assert "Examine the log output" not in message
    assert "\n" not in message


def test_a_port_changed_while_the_server_runs_names_the_cause(base):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    EmbeddedServer(base / "data").ensure_running()
    with pytest.raises(EmbeddedServerError) as info:
        EmbeddedServer(base / "data", port=port).ensure_running()
    message = str(info.value)
    assert f"settings ask for port {port}" in message
    assert "globallm database close" in message
    # After a close the new port applies, and the old socket-only default works again later.
    EmbeddedServer(base / "data").stop()
    server = EmbeddedServer(base / "data", port=port)
    server.ensure_running()
    password = server.password_file.read_text().strip()
    with psycopg.connect(f"postgresql://globallm:{password}@127.0.0.1:{port}/postgres") as conn:
        assert conn.execute("SELECT 1").fetchone() == (1,)
    server.stop()
    default = EmbeddedServer(base / "data")
    default.ensure_running()
    with psycopg.connect(default.dsn("postgres")) as conn:
        assert conn.execute("SHOW listen_addresses").fetchone() == ("",)
