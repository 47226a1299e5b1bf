"""dependency_graph against real HTTP registries: one failing ecosystem skips only itself."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dagster as dg
import psycopg
import pytest

from globallm_assets.core.models import RepoMetadata
from globallm_assets.defs.pipeline import run_job
from globallm_assets.store import repositories as repo_store
from globallm_assets_tests.fakes.registries import python_project


def _index_server(projects: dict[str, dict]):
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = self.path.strip("/").split("/")
            payload = projects.get(parts[1].lower()) if len(parts) == 3 else None
            body = json.dumps(payload or {"message": "Not Found"}).encode()
            self.send_response(200 if payload else 404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.slow
def test_unreachable_registry_skips_only_its_ecosystem(dsn, monkeypatch, use_store):
    projects = {
        "requests": python_project(
            "requests",
            "2.32.3",
            requires_dist=["urllib3<3,>=1.21.1", "PySocks!=1.5.7; extra == 'socks'"],
            project_urls={"Source": "https://github.com/psf/requests"},
        ),
        "urllib3": python_project(
            "urllib3", "2.2.2", project_urls={"Code": "https://github.com/urllib3/urllib3"}
        ),
    }
    server = _index_server(projects)
    try:
        monkeypatch.setenv(
            "GLOBALLM_REGISTRIES__PYPI_URL", f"http://127.0.0.1:{server.server_port}"
        )
        monkeypatch.setenv("GLOBALLM_REGISTRIES__CRATES_URL", "http://127.0.0.1:1")
        with psycopg.connect(dsn) as conn:
            repo_store.upsert_repositories(
                conn,
                [
                    (RepoMetadata(full_name="psf/requests", stars=50000), "python"),
                    (RepoMetadata(full_name="urllib3/urllib3", stars=3000), "python"),
                    (RepoMetadata(full_name="serde-rs/serde", stars=9000), "rust"),
                ],
                source="github",
            )
        use_store(dsn, kind="github")
        with dg.DagsterInstance.ephemeral() as instance:
            result = run_job(instance, "dependency_graph_job")
    finally:
        server.shutdown()
    assert result.success
    metadata = result.asset_materializations_for_node("dependency_graph")[0].metadata
    assert metadata["edges_by_ecosystem"].value["pypi"] == 1
    assert set(metadata["skipped_ecosystems"].value) == {"crates"}
    with psycopg.connect(dsn) as conn:
        assert conn.execute("SELECT dependent, dependency FROM dependency_edges").fetchall() == [
            ("psf/requests", "urllib3/urllib3")
        ]
