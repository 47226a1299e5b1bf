"""Names the CLI needs before any settings are loaded, kept free of pydantic so that building the
command-line parser (and `globallm --help`) stays cheap; settings.py re-exports them."""

from __future__ import annotations


class ConfigError(ValueError):
    """Bad configuration or bad input to ``config set``; the CLI exits with code 2."""


# The integers every consumer (PostgreSQL's bigint, polars, C libraries) can hold.
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

# The simulated world is generated in memory, per language, in superlinear time (1,000: 2 s,
# 4,000: 20 s on 2 cores): beyond this a demo would take hours. The settings and the demo's
# option share the bound, so both refuse the same sizes.
MAX_REPOS_PER_LANGUAGE = 10_000
