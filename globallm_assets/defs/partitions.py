"""The one language partitioning every per-language asset shares."""

import dagster as dg

from globallm_assets.core.models import LANGUAGES

language_partitions = dg.StaticPartitionsDefinition(list(LANGUAGES))
