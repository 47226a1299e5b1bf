"""The redundancy asset: one run covers every language partition and loads the model once."""

import dagster as dg
import psycopg
import pytest

from globallm_assets.core.models import LANGUAGES
from globallm_assets.defs.pipeline import DISCOVERY, REDUNDANCY, language_ranges, run_pipeline


@pytest.mark.parametrize(
    ("languages", "ranges"),
    [
        (list(LANGUAGES), [list(LANGUAGES)]),
        (["rust"], [["rust"]]),
        # Partition order, not the order given; python…rust would also cover go and the rest.
        (["rust", "python"], [["python"], ["rust"]]),
        (["go", "typescript", "python"], [["python"], ["typescript", "go"]]),
        ([], []),
    ],
)
def test_languages_split_into_runs_of_adjacent_partitions(languages, ranges):
    assert language_ranges(languages) == ranges


@pytest.mark.slow
def test_one_redundancy_run_covers_every_language_and_loads_the_model_once(
    dsn, demo_dsn, use_store, monkeypatch
):
    import sentence_transformers

    from globallm_assets.services import redundancy as service

    use_store(dsn, kind="simulated", seed=5, repos_per_language=40)
    # As in a fresh run worker: no model loaded yet in this process.
    monkeypatch.setattr(service, "_embedders", {})
    loads: list[str] = []

    class CountingModel(sentence_transformers.SentenceTransformer):
        def __init__(self, *args, **kwargs):
            loads.append(str(args[0]))
            super().__init__(*args, **kwargs)

    # Embedder._load imports the class from the package when it loads, so it gets this one.
    monkeypatch.setattr(sentence_transformers, "SentenceTransformer", CountingModel)

    with dg.DagsterInstance.ephemeral() as instance:
        results = run_pipeline(instance, list(LANGUAGES), stages=[DISCOVERY, REDUNDANCY])
        redundancy_runs = [r for r in results if r.job_def.name == "redundancy_job"]
        assert len(redundancy_runs) == 1
        [run] = redundancy_runs
        assert run.success
        tags = instance.get_run_by_id(run.run_id).tags
        assert tags["dagster/asset_partition_range_start"] == LANGUAGES[0]
        assert tags["dagster/asset_partition_range_end"] == LANGUAGES[-1]
    assert len(loads) == 1

    with psycopg.connect(demo_dsn) as conn:
        stored = dict(
            conn.execute("SELECT language, count(*) FROM redundancy GROUP BY language").fetchall()
        )
        repos = dict(
            conn.execute("SELECT language, count(*) FROM repositories GROUP BY language").fetchall()
        )
    assert set(repos) == set(LANGUAGES)
    assert stored == repos

    # One materialization per language, each with that language's own figures.
    materializations = run.asset_materializations_for_node("redundancy")
    by_partition = {m.partition: m.metadata for m in materializations}
    assert sorted(by_partition) == sorted(LANGUAGES)
    for language, metadata in by_partition.items():
        assert metadata["dagster/row_count"].value == repos[language]
    # One check result per language partition, none left unpartitioned.
    evaluations = run.get_asset_check_evaluations()
    assert sorted(e.partition for e in evaluations) == sorted(LANGUAGES)
    assert all(e.passed and e.check_name == "one_keeper_per_cluster" for e in evaluations)
