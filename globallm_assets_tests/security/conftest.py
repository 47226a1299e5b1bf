"""Fixtures for the security tests."""

import shutil

import pytest

from globallm_assets.store.embedded import EmbeddedServer
from globallm_assets_tests.conftest import _shared_tmpdir


@pytest.fixture
def base():
    path = _shared_tmpdir("gsec-")
    # World-writable, so an injected command running as the server's user could leave a mark.
    path.chmod(0o777)
    yield path
    for server_dir in [p for p in path.rglob("postgres") if (p / "PG_VERSION").exists()]:
        EmbeddedServer(server_dir.parent).stop()
    shutil.rmtree(path, ignore_errors=True)
