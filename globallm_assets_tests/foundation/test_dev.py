"""`globallm dev`: the Dagster UI comes up with the code location and a PostgreSQL instance."""

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from globallm_assets_tests.conftest import _shared_tmpdir

QUERY = """
{
  instance { info }
  repositoriesOrError {
    ... on RepositoryConnection {
      nodes { name location { name } assetNodes { assetKey { path } } }
    }
  }
}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.slow
def test_dev_serves_the_code_location_with_postgres_storage(dsn):
    port = _free_port()
    data_dir = _shared_tmpdir("globallm-dev-")
    script = Path(sys.executable).parent / "globallm"
    env = {key: value for key, value in os.environ.items() if key != "DAGSTER_HOME"}
    process = subprocess.Popen(
        [
            str(script),
            "--database-url",
            dsn,
            "--data-dir",
            str(data_dir),
            "dev",
            "--port",
            str(port),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        payload = None
        while time.monotonic() < deadline:
            assert process.poll() is None, process.stderr.read().decode()[-2000:]
            try:
                response = httpx.post(
                    f"http://127.0.0.1:{port}/graphql", json={"query": QUERY}, timeout=5
                )
                data = response.json()["data"]
                if data["repositoriesOrError"].get("nodes"):
                    payload = data
                    break
            except (httpx.HTTPError, KeyError, ValueError, TypeError):
                pass
            time.sleep(1)
        assert payload is not None, "Dagster UI did not come up"
        info = payload["instance"]["info"]
        # Dagster's PostgreSQL storages, or the project's pooled subclasses of them.
        assert "PostgresRunStorage" in info or "PooledRunStorage" in info
        assert "PostgresEventLogStorage" in info
        assert "PostgresScheduleStorage" in info or "PooledScheduleStorage" in info
        nodes = payload["repositoriesOrError"]["nodes"]
        assert nodes[0]["location"]["name"] == "globallm"
        assets = {"/".join(n["assetKey"]["path"]) for n in nodes[0]["assetNodes"]}
        assert {"repositories", "repository_health", "impact_scores"} <= assets
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.mark.slow
def test_dagster_typed_in_the_project_root_finds_its_postgres_instance(dsn):
    """`dagster dev` / `dg dev` in the project root read ./dagster.yaml with no variables set:
    the instance resolves the store as the CLI does instead of failing on a missing variable."""
    root = Path(__file__).resolve().parents[2]
    env = {
        key: value
        for key, value in os.environ.items()
        if key != "DAGSTER_HOME" and not key.startswith("GLOBALLM_DAGSTER")
    }
    env["GLOBALLM_DATABASE_URL"] = dsn
    dagster = Path(sys.executable).parent / "dagster"
    validate = subprocess.run(
        [str(dagster), "definitions", "validate"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = validate.stdout + validate.stderr
    assert validate.returncode == 0, output[-3000:]
    assert "Traceback" not in output
    assert "Validation successful for code location globallm" in output

    # The same instance `dagster dev` builds there stores runs in PostgreSQL.
    probe = (
        "from dagster._cli.utils import get_possibly_temporary_instance_for_cli\n"
        "from dagster_postgres import PostgresRunStorage\n"
        "with get_possibly_temporary_instance_for_cli('dagster dev') as instance:\n"
        "    print(isinstance(instance.run_storage, PostgresRunStorage))\n"
    )
    built = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    assert built.stdout.strip().splitlines()[-1] == "True"
