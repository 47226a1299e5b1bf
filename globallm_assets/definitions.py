"""The one Dagster ``Definitions`` object of the GlobaLLM code location: every domain's
definitions (`defs/<domain>/`) merged, with the shared resources.

Import stays cheap: building these objects touches neither the network nor the database.
"""

import dagster as dg

from globallm_assets.defs import analysis, discovery, fleet, ranking
from globallm_assets.defs.resources import resources

defs = dg.Definitions.merge(
    discovery.defs,
    analysis.defs,
    ranking.defs,
    fleet.defs,
    # In-process: each chain is sequential anyway, a run loads heavy state (the embedding
    # model) once, steps skip a Python start-up each, and the run worker is one process that
    # run monitoring can watch.
    dg.Definitions(resources=resources(), executor=dg.in_process_executor),
)
