"""`RunParameters`: the notebooks' plain parameters read once into one frozen object."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from evaluation.errors import InputError
from evaluation.run_parameters import RunParameters


def test_a_full_update_has_no_cut_date_however_it_is_passed():
    for empty in ("", "  ", None):
        run = RunParameters.from_notebook("snap", "women", empty, seed=7, output_dir="")
        assert run.as_of is None and not run.interim and run.as_of_text == ""
        assert run.output_dir is None and run.activity_id == "women" and run.seed == 7


def test_an_interim_date_is_read_day_first_or_iso_into_one_timestamp():
    iso = RunParameters.from_notebook("snap", "women", "2025-11-30")
    uk = RunParameters.from_notebook("snap", "women", "30/11/2025")
    stamp = RunParameters.from_notebook("snap", "women", pd.Timestamp("2025-11-30 13:45"))
    assert iso == uk == stamp
    assert iso.as_of == pd.Timestamp("2025-11-30") and iso.interim and iso.as_of_text == "2025-11-30"


def test_a_month_first_date_is_refused_not_guessed():
    with pytest.raises(InputError, match="day first"):
        RunParameters.from_notebook("snap", "women", "11/30/2025")


def test_it_round_trips_through_the_plain_values_papermill_passes():
    run = RunParameters.from_notebook("snap", "women", "30/11/2025", seed=3, output_dir="out")
    passed = run.as_notebook()
    assert passed == {"programme_path": "snap", "activity_id": "women", "as_of": "2025-11-30", "seed": 3,
                      "output_dir": "out"}  # fmt: skip
    assert RunParameters.from_notebook(**{k: v for k, v in passed.items() if k != "programme_path"},
                                       programme_path="snap") == run  # fmt: skip
    summary = RunParameters.from_notebook("snap", "", "", seed=3)
    assert "activity_id" not in summary.as_notebook() and summary.activity_id is None
    assert run.provenance() == {
        "programme_path": "snap",
        "activity_id": "women",
        "as_of": "2025-11-30",
        "seed": 3,
    }


def test_it_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        RunParameters.from_notebook("snap").seed = 1  # type: ignore[misc]
