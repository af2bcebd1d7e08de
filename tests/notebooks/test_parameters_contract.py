"""Each notebook template has exactly one `parameters` cell whose names match what the runner passes
(papermill only warns when the tag is missing, so this is checked here)."""

from __future__ import annotations

import json

import pytest

from evaluation.runner import ACTIVITY_NOTEBOOKS, NOTEBOOK_DIR, SUMMARY_NOTEBOOK, notebook_parameters

RUNNER_PARAMETERS = {"programme_path", "activity_id", "as_of", "output_dir", "seed", "programme_name"}
TEMPLATES = sorted({*ACTIVITY_NOTEBOOKS.values(), SUMMARY_NOTEBOOK})


def _present(name: str) -> bool:
    return (NOTEBOOK_DIR / name).exists()


@pytest.mark.parametrize("name", [t for t in TEMPLATES if _present(t)])
def test_exactly_one_parameters_cell(name):
    cells = json.loads((NOTEBOOK_DIR / name).read_text(encoding="utf-8"))["cells"]
    tagged = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{name}: {len(tagged)} cells tagged 'parameters'"


@pytest.mark.parametrize("name", [t for t in TEMPLATES if _present(t)])
def test_parameters_match_runner(name):
    declared = set(notebook_parameters(NOTEBOOK_DIR / name))
    expected = RUNNER_PARAMETERS - ({"activity_id"} if name == SUMMARY_NOTEBOOK else set())
    assert declared >= expected, f"{name} lacks {expected - declared}"
    assert declared <= RUNNER_PARAMETERS, (
        f"{name} declares parameters the runner never sets: {declared - RUNNER_PARAMETERS}"
    )


@pytest.mark.parametrize("name", [t for t in TEMPLATES if _present(t)])
def test_stored_without_outputs(name):
    cells = json.loads((NOTEBOOK_DIR / name).read_text(encoding="utf-8"))["cells"]
    code = [c for c in cells if c["cell_type"] == "code"]
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code)
