"""The built-in synthetic programmes of three shapes (issue 9, item 13), as data.

Facts checked against ../shared/context/programmes.md: Rotherham's four components and budget
lines (total £1,705,007), its programme targets (engage 1,000, 400 into work) and its one local
authority; Manchester's one service, live June 2025 to 31 March 2026. The North East CA folder is
unchanged by the shapes (same seed, same tables).
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

from evaluation import synthetic
from evaluation.cli import main
from evaluation.programme import load_programme

# Source: programmes.md, "South Yorkshire 'Pathways to Work': Rotherham's share", budget lines.
ROTHERHAM_BUDGET = {
    "system_service_team": 242_767,
    "triage": 60_000,
    "employer_activation": 112_000 + 250_000 + 93_000,
    "case_management": 501_240 + 300_000 + 110_000 + 36_000,
}
ROTHERHAM = "E08000018"  # ONS code of Rotherham Metropolitan Borough
MANCHESTER = "E08000003"  # ONS code of Manchester


@pytest.fixture(scope="module", params=["south-yorkshire", "manchester"])
def shape_folder(request, tmp_path_factory):
    key = request.param
    return key, synthetic.write(tmp_path_factory.mktemp(key), 3, scale=0.3, programme=key)


def test_each_shape_writes_a_valid_folder_without_area_statistics(shape_folder):
    key, folder = shape_folder
    programme = load_programme(folder)
    shape = synthetic.shape_of(key)
    assert programme.name == shape.name and programme.as_of == shape.as_of
    assert not programme.has("area_panel")  # one local authority: nothing to compare areas with
    assert set(programme.participants["la_code"]) == set(shape.areas)
    assert set(programme.delivery_plan["impact_design"]) <= {"matched_comparison", "descriptive"}
    metadata = json.loads((folder / "programme.json").read_text(encoding="utf-8"))
    assert [u["as_of"] for u in metadata["updates"]] == [day for _, day in shape.updates]
    truth = pd.read_csv(folder / "true_effects.csv").set_index("activity_id")
    for activity_id, effect in shape.individual_truth.items():
        assert truth.loc[activity_id, "long_run_effect"] == effect.tau


def test_rotherham_has_its_real_components_budget_lines_and_targets():
    plan = synthetic.delivery_plan(synthetic.SOUTH_YORKSHIRE).set_index("activity_id")
    assert plan["budget_gbp"].to_dict() == ROTHERHAM_BUDGET
    assert plan["budget_gbp"].sum() == 1_705_007
    assert set(plan["geography"]) == {"Rotherham"}
    assert synthetic.SOUTH_YORKSHIRE.areas == {ROTHERHAM: "Rotherham"}
    assert synthetic.SOUTH_YORKSHIRE.targets == {"engaged": 1000, "job_outcomes": 400}
    assert plan["target_participants"].sum() == 1000  # the components' engagement targets add up
    assert plan["target_job_outcomes"].sum() == 400
    assert [day for _, day in synthetic.SOUTH_YORKSHIRE.updates] == ["2025-10-31", "2026-06-30"]


def test_rotherham_veterans_are_among_the_cohorts(shape_folder):
    key, folder = shape_folder
    if key != "south-yorkshire":
        pytest.skip("Rotherham only")
    people = load_programme(folder).participants
    veterans = people.groupby("activity_id")["veteran"].mean()
    assert veterans["case_management"] > 2 * veterans["triage"]  # case management reaches veterans


def test_manchester_runs_one_service_for_one_year(shape_folder):
    key, folder = shape_folder
    if key != "manchester":
        pytest.skip("Manchester only")
    programme = load_programme(folder)
    assert programme.activity_ids == ["employment_health_service"]
    referred = pd.to_datetime(programme.participants["referred_date"])
    assert referred.min() >= pd.Timestamp("2025-06-01") and referred.max() <= pd.Timestamp("2026-03-31")
    assert set(programme.participants["la_code"]) == {MANCHESTER}


def test_the_north_east_folder_keeps_its_data():
    first, second = synthetic.generate(5, scale=0.1), synthetic.generate(5, scale=0.1, programme="ne-ca")
    for name, frame in first.tables.items():
        pd.testing.assert_frame_equal(frame, second.tables[name])
    assert "area_panel" in first.tables


def test_cli_writes_each_shape_and_refuses_an_unknown_one(tmp_path, capsys):
    assert main(["synthetic", str(tmp_path / "m"), "--programme", "manchester", "--scale", "0.2"]) == 0
    assert "Manchester employment and health service (synthetic)" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["synthetic", str(tmp_path / "x"), "--programme", "west-midlands"])


def test_a_run_without_an_input_folder_leaves_no_generated_folder_behind(tmp_path, monkeypatch, capsys):
    """`evaluation run` with no folder generates a synthetic input for the run and removes it after."""
    from evaluation import runner
    from evaluation.runner import RunSummary

    seen = []

    def fake_run(path, out, **options):
        seen.append(path)
        assert (path / "participants.csv").exists()
        return RunSummary(out_dir=out)

    monkeypatch.setattr(runner, "run", fake_run)
    assert main(["run", "--out", str(tmp_path / "out"), "--programme", "manchester"]) == 0
    assert len(seen) == 1 and not seen[0].exists()
    assert "Manchester employment and health service (synthetic)" in capsys.readouterr().out
