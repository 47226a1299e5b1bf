"""Credentials go only to the configured API's origin, whatever a redirect says."""

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

import pytest

from globallm_assets.sources.github import GitHubSource
from globallm_assets_tests.fakes.github_server import FakeGitHub, random_repos

TOKEN = "ghp_" + "R" * 36


class _Redirector:
    """Another origin that answers every request with a 301 to ``target`` + the same path."""

    def __init__(self, target: str) -> None:
        outer = self
        self.seen: list[dict[str, str]] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.seen.append({k.lower(): v for k, v in self.headers.items()})
                self.send_response(301)
                self.send_header("location", target + self.path)
                self.send_header("content-length", "0")
                self.end_headers()

            do_POST = do_GET

            def log_message(self, *args: object) -> None:
                return None

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        Thread(target=self._server.serve_forever, daemon=True).start()
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def fake() -> Iterator[FakeGitHub]:
    with FakeGitHub(random_repos(3, seed=1)) as server:
        yield server


def test_a_redirect_to_another_origin_never_receives_the_token(fake: FakeGitHub) -> None:
    api = _Redirector(fake.url)
    try:
        name = fake.repos[0].full_name
        with GitHubSource([TOKEN], api_url=api.url, max_retries=0) as source:
            source.repository_file(name, "README.md")
    finally:
        api.close()
    assert api.seen and all(h.get("authorization") == f"Bearer {TOKEN}" for h in api.seen)
    # The other origin was asked (the redirect was followed) but never with the token.
    assert fake.stats.log
    assert all(entry.token is None for entry in fake.stats.log)


def test_a_redirect_within_the_api_keeps_the_token(fake: FakeGitHub) -> None:
    repo = next(r for r in fake.repos if r.files.get("README.md"))
    fake.moved["old-owner/old-name"] = repo.full_name
    with GitHubSource([TOKEN], api_url=fake.url) as source:
        text = source.repository_file("old-owner/old-name", "README.md")
    assert text == repo.files["README.md"]
    assert [e.status for e in fake.stats.log] == [301, 200]
    assert all(e.token == TOKEN for e in fake.stats.log)
