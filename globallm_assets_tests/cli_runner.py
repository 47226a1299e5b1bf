"""Run the real `globallm` entry point in-process and return its exit code."""

import pytest

from globallm_assets.cli.main import run


def cli(*args: str) -> int:
    with pytest.raises(SystemExit) as info:
        run(list(args))
    return info.value.code
