"""One end-to-end run shared by every test that reads rendered reports.

The run uses a small synthetic programme (planted identifiers included) and runs once per
test session on one xdist worker: mark such tests `@pytest.mark.xdist_group("e2e")`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from evaluation import synthetic
from evaluation.runner import run

E2E_SEED = 11
E2E_SCALE = 0.5


@pytest.fixture(scope="session")
def synthetic_input(tmp_path_factory) -> Path:
    """A small synthetic input folder (half the delivery plan's sizes)."""
    return synthetic.write(tmp_path_factory.mktemp("e2e_input"), E2E_SEED, scale=E2E_SCALE)


@pytest.fixture(scope="session")
def rendered_run(synthetic_input, tmp_path_factory):
    """Every report rendered once for the session; returns the RunSummary."""
    out = tmp_path_factory.mktemp("e2e_reports")
    summary = run(synthetic_input, out, seed=E2E_SEED, workers=2, progress=False)
    return summary
