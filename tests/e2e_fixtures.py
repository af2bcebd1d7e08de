"""The one end-to-end run shared by every test that reads rendered reports (notebook and browser tests).

The run uses a small synthetic programme in which a few distinctive identifiers and values are
planted (see `PLANTED`), so privacy tests can scan every output for them. Both
`tests/notebooks/conftest.py` and `tests/browser/conftest.py` import these fixtures; the results
are cached in this module, so the input is written and the reports rendered once per test session
(per xdist worker) however many directories use them. Mark such tests
`@pytest.mark.xdist_group("e2e")` so they share one worker.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from evaluation import synthetic
from evaluation.runner import run

E2E_SEED = 11
E2E_SCALE = 0.5
PLANTED = {
    "person_ids": ["ZQXPLANTED0001", "ZQXPLANTED0002", "ZQXPLANTED0003"],
    "referred_date": "2025-12-25",
}

_CACHE: dict[str, object] = {}


def plant_identifiers(folder: Path) -> None:
    """Give three participants distinctive pseudonyms and one a distinctive referral date."""
    people = pd.read_csv(folder / "participants.csv", dtype=str, keep_default_na=False)
    outcomes = pd.read_csv(folder / "outcomes_monthly.csv", dtype=str, keep_default_na=False)
    women = people.index[people["activity_id"] == "women"][:3]
    renames = dict(zip(people.loc[women, "person_id"], PLANTED["person_ids"], strict=True))
    people["person_id"] = people["person_id"].replace(renames)
    outcomes["person_id"] = outcomes["person_id"].replace(renames)
    later = [c for c in people.columns if c.endswith("_date") and c != "referred_date"]
    fits = people[later].apply(lambda col: (col == "") | (col >= PLANTED["referred_date"])).all(axis=1)
    candidates = people.index[fits & (people["activity_id"] == "women")]
    people.loc[candidates[0], "referred_date"] = PLANTED["referred_date"]
    people.to_csv(folder / "participants.csv", index=False)
    outcomes.to_csv(folder / "outcomes_monthly.csv", index=False)


def e2e_input(tmp_path_factory) -> Path:
    """The session's small synthetic input folder, written once."""
    if "input" not in _CACHE:
        folder = synthetic.write(tmp_path_factory.mktemp("e2e_input"), E2E_SEED, scale=E2E_SCALE)
        plant_identifiers(folder)
        _CACHE["input"] = folder
    return _CACHE["input"]  # type: ignore[return-value]


def e2e_run(input_folder: Path, tmp_path_factory):
    """The session's full run of every report, rendered once."""
    if "run" not in _CACHE:
        out = tmp_path_factory.mktemp("e2e_reports")
        here = os.getcwd()
        try:
            _CACHE["run"] = run(input_folder, out, seed=E2E_SEED, workers=2, progress=False)
        finally:
            # papermill's cwd= changes the process's working directory; with several threads the
            # restores can interleave and leave it in a deleted staging folder. Put it back so
            # later tests are not affected (a runner bug, reported; remove once the runner is fixed).
            os.chdir(here)
    return _CACHE["run"]


@pytest.fixture(scope="session")
def synthetic_input(tmp_path_factory) -> Path:
    """A small synthetic input folder (half the delivery plan's sizes) with planted identifiers."""
    return e2e_input(tmp_path_factory)


@pytest.fixture(scope="session")
def rendered_run(synthetic_input, tmp_path_factory):
    """Every report rendered once for the session; returns the RunSummary."""
    return e2e_run(synthetic_input, tmp_path_factory)
