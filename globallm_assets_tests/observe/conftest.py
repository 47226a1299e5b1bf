"""One world with history per test session, shared read-only by the observe tests (building it
runs the pipeline, two sandboxed fixes and a forge's checks: seconds, not milliseconds)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from globallm_assets.store.db import DEMO_SUFFIX, close_pools, with_dbname
from globallm_assets.store.world import release_all
from globallm_assets_tests.conftest import _create_database, _drop_database
from globallm_assets_tests.observe.world import World, build_world


@pytest.fixture(scope="session")
def world(admin_dsn: str, template_db: str) -> Iterator[World]:
    """Read-only: tests that change the store build their own data on ``dsn``."""
    name = _create_database(admin_dsn, template_db)
    data_dir = Path(tempfile.mkdtemp(prefix="globallm-observe-"))
    try:
        yield build_world(with_dbname(admin_dsn, name), data_dir)
    finally:
        close_pools()
        release_all()
        _drop_database(admin_dsn, name)
        _drop_database(admin_dsn, name + DEMO_SUFFIX)
        shutil.rmtree(data_dir, ignore_errors=True)
