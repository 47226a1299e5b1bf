"""The parser."""


def parse(text):
    """Settings from ``key = value`` lines; ``#`` starts a comment line."""
    settings = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, _, value = line.partition("=")
        settings[key.strip()] = value.strip()
    return settings


def load(path):
    with open(path, encoding="utf-8") as handle:
        return parse(handle.read())
