"""The DuckDB engine reads and checks a folder exactly as the pandas reader does.

For every fault of the fault catalogue (and the clean folder), `load_programme` runs once with
each engine: both must refuse with the same findings in the same order (table, column, rule,
number of rows, first rows, example values, advice) and the same warnings, or both must load the
same typed tables. The checks are generated from the contracts (`evaluation.engine.sql`), so this
also shows the generated SQL reads each rule as the pandas checks do.
"""

from __future__ import annotations

import math
import warnings

import pandas as pd
import pytest

from evaluation.errors import ContractError
from evaluation.programme import load_programme
from tests.contracts.test_fault_catalogue import FAULTS


def _comparable(value):
    """NaN equals NaN here (a blank number shown as an example)."""
    if isinstance(value, float) and math.isnan(value):
        return "nan"
    if value is pd.NaT:
        return "NaT"
    if value is pd.NA:
        return "NA"
    return value


def _load(path, engine):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            outcome = load_programme(path, engine=engine)
        except ContractError as error:
            outcome = [
                (f.table, f.column, f.rule, f.n_rows, f.rows, tuple(map(_comparable, f.values)), f.advice)
                for f in error.findings
            ]
    return outcome, sorted({str(w.message) for w in caught})


@pytest.mark.parametrize("fault_id", ["clean", *FAULTS])
def test_both_engines_give_the_same_findings_or_tables(fault_id, small_input_copy):
    if fault_id != "clean":
        FAULTS[fault_id].apply(small_input_copy)
    by_pandas, pandas_warnings = _load(small_input_copy.path, "pandas")
    by_duckdb, duckdb_warnings = _load(small_input_copy.path, "duckdb")
    assert duckdb_warnings == pandas_warnings
    if isinstance(by_pandas, list):
        assert by_duckdb == by_pandas
        return
    assert not isinstance(by_duckdb, list), by_duckdb
    assert by_duckdb.as_of == by_pandas.as_of
    assert by_duckdb.input_hashes == by_pandas.input_hashes
    for name, frame in by_pandas.tables.items():
        pd.testing.assert_frame_equal(by_duckdb.tables[name], frame, obj=name)


def test_duckdb_registers_a_table_after_a_one_row_query(tmp_path):
    """A table typed by pandas (an Excel file) is registered after one-row queries; DuckDB
    refuses to register while a result is left open (seen without a terminal, where the
    engine's first query is its last before the first table)."""
    from evaluation.engine.engines import DuckDBEngine

    engine = DuckDBEngine(str(tmp_path))
    assert engine.row("SELECT 41 + 1") == (42,)
    engine.register("typed_plan", pd.DataFrame({"activity_id": ["women", "youth"]}))
    assert engine.rows("SELECT activity_id FROM typed_plan ORDER BY 1") == [("women",), ("youth",)]
    engine.close()
