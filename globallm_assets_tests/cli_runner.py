"""Run the real `globallm` entry point in-process and return its exit code."""

import pytest

from globallm_assets.cli.main import run


def cli(*args: str) -> int:
    with pytest.raises(SystemExit) as info:
        run(list(args))
    return info.value.code


def simulated_db(dsn: str) -> str:
    """The simulated world's database beside ``dsn`` (what ``--database-url dsn --source
    simulated`` works in)."""
    from globallm_assets.store.db import DEMO_SUFFIX, dbname_of, with_dbname

    return with_dbname(dsn, dbname_of(dsn) + DEMO_SUFFIX)
