"""Curated search queries per domain for ``globallm discover --domain``.

Each domain is a list of GitHub search terms (topics and keywords). Several narrow queries beat one
broad query: each search is capped at 1,000 results, and topics are what maintainers self-label.
"""

from __future__ import annotations

DOMAINS: dict[str, tuple[str, ...]] = {
    "ai_ml": (
        "topic:machine-learning",
        "topic:deep-learning",
        "topic:llm",
        "topic:nlp",
        "topic:computer-vision",
    ),
    "web_dev": ("topic:web-framework", "topic:http", "topic:frontend", "topic:css", "topic:api"),
    "data_science": (
        "topic:data-science",
        "topic:dataframe",
        "topic:visualization",
        "topic:statistics",
        "topic:jupyter",
    ),
    "cloud_devops": (
        "topic:kubernetes",
        "topic:docker",
        "topic:devops",
        "topic:infrastructure-as-code",
        "topic:monitoring",
    ),
    "mobile": ("topic:android", "topic:ios", "topic:react-native", "topic:flutter"),
    "security": ("topic:security", "topic:cryptography", "topic:authentication", "topic:fuzzing"),
    "games": ("topic:game-engine", "topic:gamedev", "topic:graphics"),
    "overall": ("",),
}


def queries_for(domain: str) -> tuple[str, ...]:
    try:
        return DOMAINS[domain]
    except KeyError:
        raise ValueError(
            f"unknown domain {domain!r} (choose from {', '.join(sorted(DOMAINS))})"
        ) from None
