"""Optional tables (issue 9, item 7).

A programme with no spend returns yet, no area statistics, or no system-level activity must still
run: the contracts declare which tables are required (a top-level `required:`), a folder without
an optional table loads, and each report says what is missing instead of printing zeros or
failing. Before this, a folder without spend.csv or area_panel.csv was refused ("file present"),
and a header-only spend file was refused as empty.
"""

from __future__ import annotations

import pandas as pd
import pytest

from evaluation.cli import main
from evaluation.contracts import load_contracts
from evaluation.errors import ContractError
from evaluation.impact import estimate_activity
from evaluation.programme import load_programme
from evaluation.report import impact as impact_report
from evaluation.report import process, summary
from tests.unit.test_targets import text_of

OPTIONAL = {"spend", "area_panel"}
MATCHED, AREA = "vcse_small_grants", "service_redesign"


def test_every_contract_says_whether_its_table_is_required():
    contracts = load_contracts()
    assert {name for name, c in contracts.items() if not c.required} == OPTIONAL
    for contract in contracts.values():
        text = (contract_path := next(p for p in _contract_files() if p.stem == contract.table)).read_text()
        assert "\nrequired: " in text, f"{contract_path.name} does not declare whether it is required"


def _contract_files():
    from evaluation.contracts import contracts_dir

    return sorted(contracts_dir().glob("*.yaml"))


@pytest.fixture
def without_optional(small_input_copy):
    """The small synthetic programme with no spend returns and no area statistics."""
    for table in OPTIONAL:
        small_input_copy.file(table).unlink()
    return small_input_copy.path


def test_a_folder_without_optional_tables_loads_and_validate_names_them(without_optional, capsys):
    programme = load_programme(without_optional)
    assert programme.missing_tables == OPTIONAL
    assert not programme.has("spend") and programme.has("participants")
    assert programme.spend.empty and list(programme.spend.columns) == ["activity_id", "month", "spend_gbp"]
    assert main(["validate", str(without_optional)]) == 0
    out = capsys.readouterr().out
    assert "spend not supplied (optional)" in out and "area_panel not supplied (optional)" in out


def test_a_required_table_is_still_required(small_input_copy):
    small_input_copy.file("participants").unlink()
    with pytest.raises(ContractError) as raised:
        load_programme(small_input_copy.path)
    first = raised.value.findings[0]  # the cause first, then the rows of other tables it breaks
    assert (first.table, first.rule) == ("participants", "file present")


def test_an_optional_table_with_a_header_and_no_rows_yet_is_accepted(small_input_copy):
    small_input_copy.edit("spend", lambda frame: frame.iloc[:0])
    programme = load_programme(small_input_copy.path)
    assert programme.has("spend") and programme.spend.empty


def test_reports_say_what_is_missing(without_optional):
    folder = str(without_optional)
    ctx = process.context(folder, MATCHED)
    text = text_of(process.spend(ctx))
    assert "Spend is not reported: the input holds no spend returns" in text
    assert "£0" not in text and "Spent to date" not in text
    assert "no spend returns" in text_of(process.update_scope(ctx))

    ctx = impact_report.context(folder, MATCHED, seed=1)
    text = text_of(impact_report.net_outcomes(ctx))
    assert "No spend returns were supplied" in text and "Spend on" not in text

    area = estimate_activity(load_programme(without_optional), AREA, seed=1)
    assert not area.estimated and "no area statistics were supplied" in area.reason

    ctx = summary.context(folder, seed=1)
    assert ctx.delivery["spend"].isna().all()
    text = text_of(summary.headline_section(ctx))
    assert "Spend is not reported: no spend returns were supplied" in text


def test_a_programme_without_system_level_activities_runs_its_summary(small_input_copy):
    plan = small_input_copy.edit("delivery_plan", lambda plan: plan[plan["impact_design"] != "did"])
    kept = set(pd.read_csv(plan)["activity_id"])
    small_input_copy.edit("spend", lambda spend: spend[spend["activity_id"].isin(kept)])
    small_input_copy.file("area_panel").unlink()
    ctx = summary.context(str(small_input_copy.path), seed=1)
    assert set(ctx.delivery["design"]) <= {"matched_comparison", "descriptive"}
    text = text_of(summary.headline_section(ctx))
    assert "system-level" not in text
    assert isinstance(ctx.delivery, pd.DataFrame)
