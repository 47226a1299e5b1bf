"""``can_attempt``: with ``cloneable_only`` (the simulated world), picking the best issue skips
repositories no forge hosts; a claim of a named issue is still the caller's decision."""

from __future__ import annotations

import psycopg

from globallm_assets.services.claim import claim_limits
from globallm_assets.settings import load_settings
from globallm_assets.store import claims
from globallm_assets_tests.fleet.seed import seed
from globallm_assets_tests.fleet.test_claims import OPEN

HOSTED = OPEN.__class__(**{**OPEN.__dict__, "cloneable_only": True})


def _world(conn: psycopg.Connection) -> None:
    seed(
        conn,
        {"sim/a": "python", "planted/textstats": "python", "sim/b": "go"},
        [("sim/a", 1, 0.9), ("planted/textstats", 12, 0.5), ("sim/b", 1, 0.95)],
    )
    conn.execute(
        "INSERT INTO local_forge_repositories (name, bare_path) "
        "VALUES ('planted/textstats', '/nowhere/textstats.git')"
    )
    conn.commit()


def test_picking_skips_repositories_that_cannot_be_cloned(conn: psycopg.Connection) -> None:
    _world(conn)
    assert claims.top_available(conn, HOSTED, 5) == [("planted/textstats", 12, 0)]
    assert [r for r, _, _ in claims.top_available(conn, OPEN, 5)] == [
        "sim/b",
        "sim/a",
        "planted/textstats",
    ]
    taken = claims.claim(conn, "agent-1", HOSTED)
    conn.commit()
    assert taken is not None and taken.key == "planted/textstats#12"
    # Nothing cloneable is left: the diagnosis says so rather than "no available issues".
    assert claims.claim(conn, "agent-2", HOSTED) is None
    reason = claims.diagnose(conn, HOSTED).reason
    assert reason == "no available issues in a repository this world can clone"
    # A named issue is claimed as asked (the caller chose it).
    named = claims.claim(conn, "agent-3", HOSTED, target=("sim/a", 1))
    conn.commit()
    assert named is not None and named.key == "sim/a#1"


def test_only_the_simulated_world_limits_claims_to_cloneable_repositories() -> None:
    simulated = load_settings(overrides={"source.kind": "simulated"}, env_file=None)
    real = load_settings(overrides={"source.kind": "github"}, env_file=None)
    assert claim_limits(simulated).cloneable_only
    assert not claim_limits(real).cloneable_only
