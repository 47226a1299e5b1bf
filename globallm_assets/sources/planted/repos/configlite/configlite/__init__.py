"""Read simple ``key = value`` configuration files."""

from configlite.parser import load, parse

__all__ = ["load", "parse"]
