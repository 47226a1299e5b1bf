"""The one Dagster ``Definitions`` object of the GlobaLLM code location: every domain's
definitions (`defs/<domain>/`) merged, with the shared resources.

Import stays cheap: building these objects touches neither the network nor the database.
"""

import warnings

import dagster as dg

from globallm_assets.defs import analysis, discovery, fleet, ranking
from globallm_assets.defs.automation import automation_sensor
from globallm_assets.defs.resources import resources

# Dagster 1.13 re-creates every sensor with ``owners=[]`` when it binds its jobs, and that
# internal call warns that the ``owners`` parameter is beta — on every load of this code location
# (`globallm run`, the UI, the daemon), though no sensor here sets owners.
warnings.filterwarnings(
    "ignore",
    message=r"Parameter `owners` of initializer `SensorDefinition\.__init__`",
    category=dg.BetaWarning,
)

defs = dg.Definitions.merge(
    discovery.defs,
    analysis.defs,
    ranking.defs,
    fleet.defs,
    # In-process: each chain is sequential anyway, a run loads heavy state (the embedding
    # model) once, steps skip a Python start-up each, and the run worker is one process that
    # run monitoring can watch.
    dg.Definitions(
        resources=resources(), executor=dg.in_process_executor, sensors=[automation_sensor]
    ),
)
