"""The fleet's resources: PostgreSQL as the fleet sees it, and the fixer fix runs use."""

import dagster as dg

from globallm_assets.defs.resources import StoreResource
from globallm_assets.services import claim as claims
from globallm_assets.services.agent import FixFunction, default_fix_function


class FleetResource(StoreResource):
    """Budget, free slots, claimable issues and stale claims, read from the run's store (found
    through the environment, like every resource's)."""

    def max_fix_runs(self) -> int:
        return self.settings().agents.max_concurrent_fix_runs

    def snapshot(self, limit: int) -> claims.FleetSnapshot:
        return claims.fleet_snapshot(self.settings(), self.dsn(), limit)

    def stale_claims(self) -> list[dict]:
        return claims.stale_claims(self.settings(), self.dsn())

    def cleanup_stale(self) -> list[claims.StaleRelease]:
        return claims.cleanup_stale(self.settings(), self.dsn())

    def open_pull_requests(self) -> int:
        from globallm_assets.services.agent import open_pull_requests

        return open_pull_requests(self.dsn())


class FixerResource(dg.ConfigurableResource):
    """The fix a fix run performs: the project's fixer (``services/fix.py``). Tests swap in a
    subclass returning a test double, so the run's code never knows which it got."""

    def fix_function(self) -> FixFunction:
        return default_fix_function()
