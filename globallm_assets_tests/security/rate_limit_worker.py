"""One process of the shared rate-limit tests: a GitHubSource on the PostgreSQL ledger.

Usage: python -m globallm_assets_tests.security.rate_limit_worker API_URL DSN TOKEN REPO N WAIT
Waits for a line on stdin (so every process has finished importing), then asks for REPO's
contributor count N times, stopping when the token's quota is spent for longer than WAIT
seconds. Prints how many succeeded.
"""

import sys

from globallm_assets.sources.github import GitHubSource, RateLimitBudgetExceeded
from globallm_assets.store.ratelimit import PostgresRateLimits


def main() -> None:
    api_url, dsn, token, repo, count, wait = sys.argv[1:7]
    sys.stdin.readline()
    done = 0
    with GitHubSource(
        [token],
        api_url=api_url,
        rate_limits=PostgresRateLimits(dsn),
        max_rate_limit_wait=float(wait),
        max_concurrency=2,
    ) as source:
        try:
            for _ in range(int(count)):
                source.contributors_count(repo)
                done += 1
        except RateLimitBudgetExceeded:
            pass
    print(done)


if __name__ == "__main__":
    main()
