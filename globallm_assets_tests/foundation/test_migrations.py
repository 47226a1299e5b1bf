import threading
from pathlib import Path

import psycopg
import pytest

from globallm_assets.store import migrations
from globallm_assets.store.migrations import MigrationError, discover, migrate


def _dir(tmp_path: Path, files: dict[str, str]) -> Path:
    directory = tmp_path / "sql"
    directory.mkdir()
    for name, text in files.items():
        (directory / name).write_text(text)
    return directory


def test_project_migrations_start_at_one_in_increasing_order():
    # Numbers are reserved by area (briefing): gaps between areas are expected.
    versions = [m.version for m in discover()]
    assert versions[0] == 1 and versions == sorted(set(versions))


def test_applies_in_order_each_recorded_with_checksum(empty_dsn, tmp_path):
    directory = _dir(
        tmp_path,
        {
            "0002_add_b.sql": "ALTER TABLE t ADD COLUMN b int DEFAULT 2;",
            "0001_create_t.sql": "CREATE TABLE t (a int); INSERT INTO t VALUES (1);",
            "0003_fill.sql": "UPDATE t SET b = a + 10;",
        },
    )
    applied = migrate(empty_dsn, directory)
    assert [m.version for m in applied] == [1, 2, 3]
    with psycopg.connect(empty_dsn) as conn:
        assert conn.execute("SELECT a, b FROM t").fetchall() == [(1, 11)]
        rows = migrations.applied(conn)
    assert [(r.version, r.name) for r in rows] == [(1, "create_t"), (2, "add_b"), (3, "fill")]
    assert [r.checksum for r in rows] == [m.checksum for m in discover(directory)]
    assert migrate(empty_dsn, directory) == []


def test_changed_applied_file_is_an_error(empty_dsn, tmp_path):
    directory = _dir(tmp_path, {"0001_create.sql": "CREATE TABLE t (a int);"})
    migrate(empty_dsn, directory)
    (directory / "0001_create.sql").write_text("CREATE TABLE t (a bigint);")
    with pytest.raises(MigrationError, match="checksum mismatch"):
        migrate(empty_dsn, directory)


def test_failed_migration_rolls_back_and_is_not_recorded(empty_dsn, tmp_path):
    directory = _dir(
        tmp_path,
        {
            "0001_ok.sql": "CREATE TABLE ok (a int);",
            "0002_broken.sql": "CREATE TABLE half (a int); SELECT * FROM missing_table;",
        },
    )
    with pytest.raises(MigrationError, match=r"0002_broken\.sql failed"):
        migrate(empty_dsn, directory)
    with psycopg.connect(empty_dsn) as conn:
        assert [r.version for r in migrations.applied(conn)] == [1]
        assert conn.execute("SELECT to_regclass('half')").fetchone() == (None,)


def test_badly_named_or_duplicate_files_are_refused(tmp_path):
    with pytest.raises(MigrationError, match="NNNN_description"):
        discover(_dir(tmp_path, {"create.sql": "SELECT 1;"}))
    other = tmp_path / "other"
    other.mkdir()
    (other / "0001_a.sql").write_text("SELECT 1;")
    (other / "0001_b.sql").write_text("SELECT 1;")
    with pytest.raises(MigrationError, match="version 1 is used"):
        discover(other)


def test_concurrent_migrate_calls_serialize(empty_dsn):
    errors: list[BaseException] = []
    applied: list[int] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        try:
            barrier.wait()
            applied.extend(m.version for m in migrate(empty_dsn))
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(applied) == [m.version for m in discover()]
    with psycopg.connect(empty_dsn) as conn:
        assert len(migrations.applied(conn)) == len(discover())


def test_rows_written_at_version_1_survive_migrating_to_head(empty_dsn):
    migrate(empty_dsn, target=1)
    with psycopg.connect(empty_dsn) as conn:
        conn.execute(
            "INSERT INTO repositories (name, language, data, health_score) "
            "VALUES ('octo/lib', 'python', '{\"stars\": 1200}', 0.75)"
        )
        conn.execute(
            "INSERT INTO issues (repository, number, data, title, assignment_status, "
            "assigned_to) VALUES ('octo/lib', 7, '{\"title\": \"crash\"}', 'crash', "
            "'assigned', 'agent-1')"
        )
    applied = migrate(empty_dsn)
    assert [m.version for m in applied] == [m.version for m in discover()][1:]
    with psycopg.connect(empty_dsn) as conn:
        repo = conn.execute(
            "SELECT name, language, data, health_score FROM repositories"
        ).fetchall()
        issue = conn.execute(
            "SELECT repository, number, title, assignment_status, assigned_to FROM issues"
        ).fetchall()
    assert repo == [("octo/lib", "python", {"stars": 1200}, 0.75)]
    assert issue == [("octo/lib", 7, "crash", "assigned", "agent-1")]


def test_schema_enforces_assignment_states(dsn):
    with psycopg.connect(dsn) as conn:
        conn.execute("INSERT INTO repositories (name, language) VALUES ('a/b', 'go')")
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute(
                "INSERT INTO issues (repository, number, assignment_status) "
                "VALUES ('a/b', 1, 'stolen')"
            )
