"""Names the CLI needs before any settings are loaded, kept free of pydantic so that building the
command-line parser (and `globallm --help`) stays cheap; settings.py re-exports them."""

from __future__ import annotations


class ConfigError(ValueError):
    """Bad configuration or bad input to ``config set``; the CLI exits with code 2."""


# The integers every consumer (PostgreSQL's bigint, polars, C libraries) can hold.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
