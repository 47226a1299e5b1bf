"""A scored world written straight into the store with COPY: repositories with scores, verdicts,
metadata and redundancy, open and closed issues with every ranking input (some missing, some
do-not-touch), and learned acceptance. For the ranking tests (small) and bench_pipeline (10^6)."""

from __future__ import annotations

import json

import numpy as np
import psycopg

LANGUAGES = ("python", "javascript", "typescript", "go", "rust", "java")
CATEGORIES = ("bug", "feature", "documentation", "performance", "question", "security")
# Titles a CSV round trip must survive.
AWKWARD_TITLES = ('Crash, "quoted" and comma', "line\nbreak", "naïve ünïcode ✓", "back\\slash", "")


def repository_name(i: int) -> str:
    return f"org{i // 40}/repo-{i}"


def _metadata(name: str, language: str, stars: int, forks: int) -> str:
    """A source metadata record of the size GitHub's is (what `repos list` used to parse)."""
    return json.dumps(
        {
            "full_name": name,
            "description": f"{name}: a library that does one thing well, " * 3,
            "language": language,
            "stars": stars,
            "forks": forks,
            "open_issues": 42,
            "closed_issues": 17,
            "languages": [language],
            "license": "MIT",
            "topics": ["library", language, "tooling", "cli"],
            "archived": False,
            "is_fork": False,
            "default_branch": "main",
            "pushed_at": "2026-05-01T00:00:00Z",
            "created_at": "2019-01-01T00:00:00Z",
            "homepage": f"https://{name.replace('/', '.')}.example",
            "readme": None,
        }
    )


def build_world(conn: psycopg.Connection, repositories: int, issues: int, seed: int = 0) -> None:
    """Write ``repositories`` repositories and ``issues`` issues (numbered per repository)."""
    rng = np.random.default_rng(seed)
    stars = rng.zipf(1.6, repositories).clip(0, 400_000)
    health = rng.random(repositories)
    impact = rng.random(repositories)
    verdict = rng.choice(3, repositories, p=[0.6, 0.25, 0.15])  # approved, rejected, unanalyzed
    health_missing = rng.random(repositories) < 0.03
    with conn.cursor() as cur:
        with cur.copy(
            "COPY repositories (name, language, data, stars, forks, health_score, impact_score, "
            "worth_working_on, verdict_reason, health, impact, analyzed_at) FROM STDIN"
        ) as copy:
            for i in range(repositories):
                name, language = repository_name(i), LANGUAGES[i % len(LANGUAGES)]
                s = int(stars[i])
                worth = (True, False, None)[verdict[i]]
                copy.write_row(
                    (
                        name,
                        language,
                        _metadata(name, language, s, s // 10),
                        s,
                        s // 10,
                        None if health_missing[i] else float(health[i]),
                        float(impact[i]),
                        worth,
                        None if worth is None else "thresholds",
                        json.dumps({"score": float(health[i]), "activity": 0.5, "tests": 0.7}),
                        json.dumps({"score": float(impact[i]), "direct_dependents": s % 97}),
                        None if worth is None else "2026-05-01T00:00:00Z",
                    )
                )
        redundant = np.flatnonzero(rng.random(repositories) < 0.3)
        with cur.copy("COPY redundancy (repository, language, penalty) FROM STDIN") as copy:
            for i in redundant:
                copy.write_row(
                    (repository_name(i), LANGUAGES[i % len(LANGUAGES)], float(rng.random() * 0.5))
                )
        learned = np.flatnonzero(rng.random(repositories) < 0.05)
        with cur.copy(
            "COPY repository_acceptance (repository, merged, closed, acceptance, signal) FROM STDIN"
        ) as copy:
            for i in learned:
                signal = float(rng.random())
                # Spelled in upper case: acceptance is joined case-insensitively.
                copy.write_row((repository_name(i).upper(), 1, 1, signal, signal))

        repo_of = np.sort(rng.integers(0, repositories, issues))
        # Issue numbers count up within each repository.
        starts = np.searchsorted(repo_of, repo_of, side="left")
        numbers = np.arange(issues) - starts + 1
        closed = rng.random(issues) < 0.05
        unscored = rng.random(issues) < 0.03
        dnt = rng.random(issues) < 0.1
        solvability = rng.random(issues)
        urgency = rng.random(issues)
        complexity = rng.integers(1, 11, issues)
        cost = rng.integers(1_000, 200_000, issues)
        cost_penalty = rng.random(issues)
        category = rng.integers(0, len(CATEGORIES), issues)
        # A few exact ties: the same inputs in one repository give the same priority.
        tie = rng.random(issues) < 0.02
        solvability[tie], urgency[tie], cost_penalty[tie] = 0.5, 0.5, 0.25
        with cur.copy(
            "COPY issues (repository, number, data, title, state, category, solvability, "
            "urgency, complexity, cost_estimate, do_not_touch, do_not_touch_reason, scores, "
            "labels) FROM STDIN"
        ) as copy:
            for n in range(issues):
                name, number = repository_name(int(repo_of[n])), int(numbers[n])
                title = (
                    AWKWARD_TITLES[n % len(AWKWARD_TITLES)]
                    if n % 11 == 0
                    else f"Issue {number}: parser fails on input {n}"
                )
                scored = not unscored[n]
                copy.write_row(
                    (
                        name,
                        number,
                        json.dumps({"number": number, "repository": name}),
                        title,
                        "closed" if closed[n] else "open",
                        CATEGORIES[category[n]] if scored else None,
                        float(solvability[n]) if scored else None,
                        float(urgency[n]) if scored else None,
                        int(complexity[n]) if scored else None,
                        int(cost[n]) if scored else None,
                        bool(dnt[n]),
                        "assigned upstream" if dnt[n] else None,
                        json.dumps({"cost_penalty": float(cost_penalty[n])}) if scored else None,
                        "{bug}",
                    )
                )
    conn.execute("ANALYZE")
