"""The Spark engine reads and checks a folder exactly as DuckDB does (`--engine spark`).

One local Spark session serves the module (starting one costs seconds; the file takes about a
minute); the engine uses the session already running, as it would in a notebook on a Spark
platform. Both engines load the clean small programme into the same typed tables, and refuse a
folder carrying twenty faults of the fault catalogue at once with the same findings and
warnings; the faults are chosen so that every kind of check runs: cells that cannot be typed (a
bad date, a bad number, a placeholder), column rules, the primary key and every kind of
cross-table rule (foreign key, dates in order, minimum gap, required together, constant within,
disjoint, covered by, pseudonymised). Each fault's own catalogued finding is checked too, so the
two engines cannot agree on something wrong. The tests without Spark check the errors when it
cannot start and the command line's `--engine`.
"""

from __future__ import annotations

import json
import os
import sys
import time
import warnings

import pandas as pd
import pytest

from evaluation.cli import main
from evaluation.engine import engines
from evaluation.errors import ContractError, Finding, OptionError
from evaluation.programme import load_programme
from tests.contracts.test_engines import _comparable
from tests.contracts.test_fault_catalogue import FAULTS, Expect, assert_found, set_cells

CELL_FAULTS = (  # each on columns of its own, so that each fault's findings stay as catalogued
    "impossible-date",
    "placeholder-date",
    "excel-serial-dates",
    "month-not-first",
    "missing-value-words",
    "fraction-in-integer-column",
    "number-too-large",
    "percent-sign",
    "boolean-other-word",
    "negative-budget",
    "invalid-person-id",
    "invalid-la-code",
)
RULE_FAULTS = (
    "unknown-activity",
    "stage-dates-out-of-order",
    "sustained-too-soon",
    "withdrawal-reason-without-date",
    "area-start-not-constant",
    "pool-overlaps-participants",
    "participant-without-outcomes",
    "duplicate-identifiers",
)


@pytest.fixture(scope="module")
def spark():
    """A local Spark session for the module, sized for small tables (one shuffle partition)."""
    try:
        engines.check_spark()
    except OptionError as error:  # pyspark is a test dependency and Java is on the CI machine
        pytest.fail(f"The Spark tests need pyspark and Java: {error}")
    from pyspark.sql import SparkSession

    session = (
        SparkSession.builder.master("local[2]")
        .appName("evaluation-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
        .config("spark.sql.adaptive.enabled", "false")
        .config("spark.sql.codegen.wholeStage", "false")
        .getOrCreate()
    )
    yield session
    session.stop()


@pytest.fixture
def london_time():
    """This process on UK time: a date that Spark held with a time zone would come back into
    pandas moved by the local zone's offset (an hour in British Summer Time)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "Europe/London"
    time.tzset()
    yield
    if before is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = before
    time.tzset()


def _refused(path, engine: str) -> tuple[tuple[Finding, ...], list]:
    """The findings of a folder the engine refuses, and its findings and warnings as compared."""
    with pytest.raises(ContractError) as error:
        load_programme(path, engine=engine)
    return error.value.findings, _load_outcome(error.value.findings)


def _load_outcome(findings) -> list:
    """Findings as `test_engines` compares them (NaN equal to NaN)."""
    return [
        (f.table, f.column, f.rule, f.n_rows, f.rows, tuple(map(_comparable, f.values)), f.advice)
        for f in findings
    ]


def _planted_personal_ids(folder) -> tuple[Expect, ...]:
    """An NI number, a name and an email address as identifiers in the outcome table."""
    people = {100: "QQ123456C", 101: "John_Smith", 102: "jo@example.com"}
    rows = set_cells(folder, "outcomes_monthly", "person_id", people)
    masked = ("QQ****56C", "J*** S****", "j***@***")
    return (Expect("outcomes_monthly", "person_id", "person_id_pseudonymised", rows, masked),)


@pytest.mark.slow
def test_spark_loads_the_same_tables_as_duckdb(spark, small_synthetic_folder, london_time):
    by_duckdb = load_programme(small_synthetic_folder, engine="duckdb")
    by_spark = load_programme(small_synthetic_folder, engine="spark")
    assert by_spark.as_of == by_duckdb.as_of
    assert by_spark.input_hashes == by_duckdb.input_hashes
    assert set(by_spark.tables) == set(by_duckdb.tables)
    for name, frame in by_duckdb.tables.items():
        assert len(frame) > 0, name
        # Rows in file order, as both engines return them: no sorting needed.
        pd.testing.assert_frame_equal(by_spark.tables[name], frame, obj=name)
    assert spark.getActiveSession() is spark, "the engine leaves a session it did not start running"


@pytest.mark.slow
def test_a_run_validated_in_spark_gives_duckdbs_snapshot_and_interim_cut(
    spark, small_synthetic_folder, tmp_path, london_time, monkeypatch
):
    """`evaluation run --engine spark` end to end up to the reports: the runner validates the
    folder in Spark into the run's snapshot (the typed tables leaving Spark through Arrow, in
    batches of 500 rows here so that the outcome table is written in many pieces) and cuts it
    for an interim update. The reports read only the snapshot, so equal snapshots are equal
    reports: every file's table, and the snapshot's record, equal DuckDB's."""
    from evaluation import runner
    from evaluation.engine import folder as engine_folder
    from evaluation.snapshot import SNAPSHOT_FILE

    monkeypatch.setattr(engine_folder, "BATCH_ROWS", 500)
    for as_of in (None, "2026-01-31"):
        found, expected = tmp_path / f"spark-{as_of}", tmp_path / f"duckdb-{as_of}"
        runner.validated_programme(small_synthetic_folder, found, as_of=as_of, engine="spark")
        runner.validated_programme(small_synthetic_folder, expected, as_of=as_of, engine="duckdb")
        assert json.loads((found / SNAPSHOT_FILE).read_text()) == json.loads(
            (expected / SNAPSHOT_FILE).read_text()
        )
        names = sorted(path.name for path in expected.glob("*.parquet"))
        assert names == sorted(path.name for path in found.glob("*.parquet")) and len(names) >= 5
        for name in names:
            pd.testing.assert_frame_equal(
                pd.read_parquet(found / name), pd.read_parquet(expected / name), obj=name
            )
    assert spark.getActiveSession() is spark


@pytest.mark.slow
def test_spark_refuses_a_faulty_folder_with_duckdbs_findings(spark, small_input_copy):
    # Rule faults first: one removes outcome rows, and the cell faults name rows by position.
    expected = [e for fault_id in RULE_FAULTS for e in FAULTS[fault_id].apply(small_input_copy).findings]
    expected += _planted_personal_ids(small_input_copy)
    expected += [e for fault_id in CELL_FAULTS for e in FAULTS[fault_id].apply(small_input_copy).findings]
    with warnings.catch_warnings(record=True) as by_duckdb_warned:
        warnings.simplefilter("always")
        _, by_duckdb = _refused(small_input_copy.path, "duckdb")
    with warnings.catch_warnings(record=True) as by_spark_warned:
        warnings.simplefilter("always")
        findings, by_spark = _refused(small_input_copy.path, "spark")
    assert [str(w.message) for w in by_spark_warned] == [str(w.message) for w in by_duckdb_warned]
    assert by_spark == by_duckdb
    for finding in expected:
        assert_found(findings, finding)


# --- without Spark ---------------------------------------------------------------------------


def test_spark_without_pyspark_is_an_option_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyspark.sql", None)  # import fails as if not installed
    with pytest.raises(OptionError, match=r"needs pyspark.*pip install 'evaluation\[spark\]'"):
        engines.check_spark()


def test_spark_without_java_is_an_option_error(monkeypatch, tmp_path):
    from pyspark.sql import SparkSession

    monkeypatch.setattr(SparkSession, "getActiveSession", staticmethod(lambda: None))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(OptionError, match=r"needs Java .*--engine duckdb"):
        engines.check_spark()


def test_validate_with_spark_but_no_java_exits_2_with_the_advice(monkeypatch, small_synthetic_folder, capsys):
    from pyspark.sql import SparkSession

    monkeypatch.setattr(SparkSession, "getActiveSession", staticmethod(lambda: None))
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", "")
    code = main(["validate", "--engine", "spark", str(small_synthetic_folder)])
    _, err = capsys.readouterr()
    assert code == 2
    assert "needs Java" in err and "Traceback" not in err


def test_an_unknown_engine_is_refused_by_the_command_line(small_synthetic_folder, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["validate", "--engine", "polars", str(small_synthetic_folder)])
    assert stopped.value.code == 2
    assert "invalid choice: 'polars'" in capsys.readouterr().err


def test_run_passes_the_engine_to_the_runner(monkeypatch, small_synthetic_folder, tmp_path):
    from evaluation import runner

    seen: dict = {}

    def fake_run(path, out, **options):
        seen.update(options)
        return runner.RunSummary(out_dir=out)

    monkeypatch.setattr(runner, "run", fake_run)
    command = ["run", str(small_synthetic_folder), "--out", str(tmp_path), "--engine", "spark"]
    assert main(command) == 0
    assert seen["engine"] == "spark"


def test_validate_passes_the_engine_to_load_programme(monkeypatch, small_synthetic_folder, capsys):
    import evaluation.cli

    seen: dict = {}

    def fake_load(path, **options):
        seen.update(options)
        return load_programme(path)

    monkeypatch.setattr(evaluation.cli, "load_programme", fake_load)
    assert main(["validate", "--engine", "spark", str(small_synthetic_folder)]) == 0
    assert seen == {"engine": "spark"}
    assert "all data-contract rules pass" in capsys.readouterr().out
