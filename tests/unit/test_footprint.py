"""The memory estimate printed before a run (issue 13, item 5): rows counted or estimated from
the files, and a sentence built from the numbers."""

from __future__ import annotations

import re

import pandas as pd

from evaluation import footprint
from evaluation.footprint import GB, estimate, table_rows


def test_rows_are_exact_for_parquet_and_close_for_csv(synthetic_folder, tmp_path):
    outcomes = pd.read_csv(synthetic_folder / "outcomes_monthly.csv")
    outcomes.to_parquet(tmp_path / "outcomes_monthly.parquet", index=False)
    assert table_rows(tmp_path / "outcomes_monthly.parquet") == len(outcomes)
    guessed = table_rows(synthetic_folder / "outcomes_monthly.csv")
    assert abs(guessed - len(outcomes)) <= 0.05 * len(outcomes)
    small = tmp_path / "small.csv"
    small.write_text("a,b\n1,2\n3,4\n")
    assert table_rows(small) == 2


def test_the_estimate_grows_with_the_outcome_table_and_the_workers(synthetic_folder):
    found = estimate(synthetic_folder, workers=2)
    assert found.rows["outcomes_monthly"] > 10_000 and found.rows["participants"] > 100
    assert found.peak == max(found.validation, found.reports) > footprint.RUNNER_BASE
    assert estimate(synthetic_folder, workers=4).reports > found.reports
    sentence = found.sentence()
    shown = [float(x) for x in re.findall(r"(\d+\.\d) GB", sentence)]
    assert shown == [round(found.peak / GB, 1), round(found.validation / GB, 1), round(found.reports / GB, 1)]
    assert f"{found.rows['outcomes_monthly']:,} outcome rows" in sentence


def test_the_engine_memory_setting_is_read_in_any_unit():
    assert footprint._bytes("3GB") == 3 * GB and footprint._bytes("512MB") == 512 * 2**20
    assert footprint._bytes("2 GiB") == 2 * GB
