"""The results DWP loads: impact records of schema 2 (with value for money), the run's results file
checked against the shipped JSON Schema, typed reading, refusal of unknown schemas and doctored
files, records of schema 1 still read, disclosure control on every published count, atomic writing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pandas as pd
import pytest

import evaluation
from evaluation import run_results
from evaluation.disclosure import SUPPRESSED, safe_count
from evaluation.errors import EvaluationError
from evaluation.programme import load_programme
from evaluation.report import summary, vfm_words
from evaluation.report.record import (
    RECORD_SCHEMA,
    SCHEMA_1_NO_VALUE_FOR_MONEY,
    ImpactRecord,
    RecordError,
    ValueForMoneyRecord,
    appraisal_dict,
    record_path,
)
from evaluation.vfm import EmploymentEffect, appraise

SCHEMA_1 = Path(__file__).parent / "fixtures" / "schema1"


def _appraisal(estimate=20.0, lower=5.0, upper=35.0, spend=400_000.0, label="Women"):
    effect = EmploymentEffect(
        estimate=estimate, lower=lower, upper=upper, observed_years=1, measured_months=12
    )
    return appraise(effect, spend_gbp=spend, label=label)


def _record(activity_id, name, appraisal=None, computed_from=None, status="estimated") -> ImpactRecord:
    data = {
        "activity_id": activity_id,
        "activity_name": name,
        "design": "matched_comparison",
        "status": status,
        "headline": {
            "horizon": 12,
            "estimate_pp": 4.0,
            "ci_lower_pp": 1.0,
            "ci_upper_pp": 7.0,
            "significant": True,
        },
        "value_for_money": appraisal_dict(appraisal) if appraisal is not None else None,
        "value_for_money_reason": "" if appraisal is not None else "there is no impact estimate to value",
        "computed_from": computed_from or {},
    }
    return ImpactRecord.from_dict(json.loads(json.dumps(data)))


# ---------------------------------------------------------------- records: schema 1 and 2


@pytest.mark.parametrize("path", sorted(SCHEMA_1.glob("*_impact.json")), ids=lambda p: p.stem)
def test_a_schema_1_record_written_by_the_first_version_still_reads(path):
    raw = json.loads(path.read_text())
    assert raw["schema"] == 1 and "value_for_money" not in raw
    found = ImpactRecord.read(path)
    assert found.schema == 1 and found.activity_id == raw["activity_id"] and found.status == raw["status"]
    assert found.value_for_money is None and found.value_for_money_reason == SCHEMA_1_NO_VALUE_FOR_MONEY
    if raw["headline"]:
        assert found.headline.estimate_pp == raw["headline"]["estimate_pp"]
        assert found.headline.p_value is None  # schema 1 had none: not made up
    assert [h.n_followed for h in found.horizons] == [h["n_followed"] for h in raw["horizons"]]
    assert ImpactRecord.from_dict(found.to_dict()) == found


def test_the_summary_recomputes_a_schema_1_record_rather_than_show_it_without_value_for_money(tmp_path):
    path = tmp_path / "lmi_hub_impact.json"
    shutil.copy(SCHEMA_1 / path.name, path)
    expected = ImpactRecord.read(path).computed_from
    assert summary.read_record(path, dict(expected)) is None
    current = json.loads(path.read_text()) | {"schema": RECORD_SCHEMA}
    path.write_text(json.dumps(current))
    assert summary.read_record(path, dict(expected)) is not None  # the same record in schema 2 is used


@pytest.mark.parametrize("schema", [3, 0, "2", True])
def test_a_record_of_a_schema_it_cannot_read_is_refused_naming_it(tmp_path, schema):
    data = json.loads((SCHEMA_1 / "lmi_hub_impact.json").read_text()) | {"schema": schema}
    path = tmp_path / "x_impact.json"
    path.write_text(json.dumps(data))
    with pytest.raises(EvaluationError, match=rf"schema {schema!r}; this toolkit reads schemas 1 and 2"):
        ImpactRecord.read(path)


def test_value_for_money_in_a_record_rebuilds_the_appraisal_the_report_printed():
    original = _appraisal()
    again = ValueForMoneyRecord.from_dict(json.loads(json.dumps(appraisal_dict(original))))
    rebuilt = again.appraisal()
    assert vfm_words.sentences(rebuilt) == vfm_words.sentences(original)
    assert vfm_words.values_table(rebuilt).equals(vfm_words.values_table(original))
    for case in ("low", "central", "high"):
        mine, theirs = again.cases[case], original.cases[case]
        assert mine.npsv == pytest.approx(theirs.pv_benefits - theirs.pv_costs)
        assert mine.bcr == pytest.approx(theirs.pv_benefits / theirs.pv_costs)
        assert mine.pv_by_group["fiscal"] == pytest.approx(
            theirs.pv("uc_saving", "income_tax", "employee_ni", "employer_ni")
        )
        assert mine.years_needed == pytest.approx(theirs.years_needed)
        assert {a.agency: a.net for a in mine.by_agency} == pytest.approx(
            dict(zip(theirs.by_agency()["agency"], theirs.by_agency()["net"], strict=True))
        )
    ratio = again.benefit_cost_ratio
    assert ratio.presented and (ratio.low, ratio.central, ratio.high) == pytest.approx(
        (original.low.bcr, original.central.bcr, original.high.bcr)
    )


def test_an_effect_that_is_not_significant_is_recorded_with_no_ratio():
    original = _appraisal(estimate=10.0, lower=-5.0, upper=25.0)
    found = ValueForMoneyRecord.from_dict(appraisal_dict(original))
    assert found.verdict == "not_significant"
    ratio = found.benefit_cost_ratio  # none: a ratio from the top of the interval would imply a return
    assert (ratio.presented, ratio.low, ratio.central, ratio.high) == (False, None, None, None)
    assert "not statistically significant" in ratio.reason
    assert found.high.pv_benefits == pytest.approx(original.high.pv_benefits)  # the range in pounds
    assert all(case.bcr is None and case.fiscal_return is None for case in found.cases.values())
    assert found.low.pv_benefits == 0.0


# ---------------------------------------------------------------- the results file


@pytest.fixture(scope="module")
def programme(synthetic_folder):
    return load_programme(synthetic_folder)


@pytest.fixture
def run_folder(programme, tmp_path):
    """An output folder with records as a run leaves them: two current (one with value for money,
    one not significant), one computed with another seed (stale), the rest missing."""
    expected = json.loads(json.dumps(summary.computed_from(programme, seed=7, as_of="")))
    first, second, third = programme.activity_ids[:3]
    _record(first, "First", _appraisal(label="First"), expected).save(record_path(tmp_path, first))
    _record(second, "Second", _appraisal(10.0, -5.0, 25.0, 200_000.0, "Second"), expected).save(
        record_path(tmp_path, second)
    )
    _record(third, "Third", _appraisal(label="Third"), expected | {"seed": 8}).save(
        record_path(tmp_path, third)
    )
    return tmp_path


def test_a_run_writes_results_that_validate_against_the_shipped_schema(programme, run_folder):
    path = run_results.write_results(programme, run_folder, seed=7, interim=False)
    data = json.loads(path.read_text())
    schema = json.loads((Path(evaluation.__file__).parent / "data" / "results.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(data, schema)  # the library's own check, not the toolkit's reader
    assert data["schema"] == 2 and data["programme"]["schema"] == 2
    assert data["programme"]["input_hashes"] == dict(programme.input_hashes)
    assert data["programme"]["toolkit_version"] == evaluation.__version__
    assert list(data["activities"]) == list(programme.activity_ids)
    assert not list(run_folder.glob(".tmp-*")), "a temporary file was left behind"


def test_results_load_typed_and_keep_only_records_of_this_run(programme, run_folder):
    run_results.write_results(programme, run_folder, seed=7, interim=False)
    results = evaluation.read_results(run_folder)
    first, second, third = programme.activity_ids[:3]
    assert isinstance(results, evaluation.Results) and list(results) == [first, second]
    assert results[first] == ImpactRecord.read(record_path(run_folder, first))  # a Mapping, as before
    assert third in results.missing and "computed from this run" in results.missing[third]
    assert results.programme.slug == programme.slug and results.programme.seed == 7
    assert (
        results.programme.interim is False and results.programme.as_of == programme.as_of.date().isoformat()
    )
    assert results.schema == 2
    combined = results.value_for_money
    assert combined.kind == "programme" and combined.activities == ("First", "Second")
    parts = [results[first].value_for_money, results[second].value_for_money]
    for case in ("low", "central", "high"):
        assert combined.cases[case].pv_costs == pytest.approx(sum(p.cases[case].pv_costs for p in parts))
        assert combined.cases[case].npsv == pytest.approx(sum(p.cases[case].npsv for p in parts))
    assert combined.verdict == "mixed"


def test_delivery_counts_in_the_results_are_the_reports_published_counts(programme, run_folder):
    run_results.write_results(programme, run_folder, seed=7, interim=False)
    results = evaluation.read_results(run_folder)
    for activity_id in programme.activity_ids:
        people = programme.participants_of(activity_id)
        delivery = results.delivery[activity_id]
        assert delivery.stages["referred"] == safe_count(len(people))
        assert delivery.stages["started"] == safe_count(int(people["started_date"].notna().sum()))
        for count in [*delivery.stages.values(), *delivery.job_outcomes.values(), delivery.job_cohort.people]:
            assert count == SUPPRESSED or (count % 5 == 0 and (count == 0 or count >= 10)), (
                activity_id,
                count,
            )
    reach = results.reach
    assert reach.people == safe_count(programme.participants["person_id"].nunique())


def test_each_activitys_type_of_support_is_the_delivery_plans(programme, run_folder):
    """`support_type` (what `evaluation compare` groups by) as the plan states it, "" where blank;
    the schema allows the contract's values only; a file written before it reads as None."""
    import yaml

    from evaluation.compare import _support_types
    from evaluation.contracts import contracts_dir

    path = run_results.write_results(programme, run_folder, seed=7, interim=False)
    results = evaluation.read_results(run_folder)
    plan = programme.delivery_plan.set_index("activity_id")["support_type"]
    expected = {a: "" if pd.isna(plan[a]) else str(plan[a]) for a in programme.activity_ids}
    assert {a: d.support_type for a, d in results.delivery.items()} == expected
    assert set(expected.values()) - {""}, "the synthetic plan states no type: the test means nothing"
    assert "" in expected.values()  # the external evaluation is not a type of support
    assert _support_types(run_folder, results, {}, {}) == (expected, "results")
    contract = yaml.safe_load((contracts_dir() / "delivery_plan.yaml").read_text())
    schema = json.loads((Path(evaluation.__file__).parent / "data" / "results.schema.json").read_text())
    allowed = schema["$defs"]["delivery"]["properties"]["support_type"]["enum"]
    assert allowed == ["", *contract["columns"]["support_type"]["allowed"]]
    data = json.loads(path.read_text())
    first = programme.activity_ids[0]
    data["activities"][first]["delivery"]["support_type"] = "training"
    with pytest.raises(RecordError, match="support_type"):
        run_results.from_dict(data)
    for entry in data["activities"].values():
        del entry["delivery"]["support_type"]
    older = run_results.from_dict(data)
    assert {d.support_type for d in older.delivery.values()} == {None}
    assert _support_types(run_folder, older, {}, {}) == ({}, "")  # then compare reads the input plan


def test_a_doctored_results_file_is_refused_with_where_and_why(programme, run_folder):
    path = run_results.write_results(programme, run_folder, seed=7, interim=False)
    data = json.loads(path.read_text())
    first = programme.activity_ids[0]
    data["activities"][first]["delivery"]["stages"]["referred"] = 7.5  # neither a count nor a marker
    path.write_text(json.dumps(data))
    with pytest.raises(
        EvaluationError,
        match=rf"results.json does not follow the results schema .*activities > {first} > delivery > stages > referred",
    ):
        evaluation.read_results(run_folder)
    data["schema"] = 3
    path.write_text(json.dumps(data))
    with pytest.raises(RecordError, match="results.json has results schema 3; this toolkit reads schema 2"):
        evaluation.read_results(run_folder)
    path.write_text('{"schema": 2, "activities": ')  # half a file
    with pytest.raises(RecordError, match="not a readable results file"):
        evaluation.read_results(run_folder)


def test_a_failed_write_leaves_the_previous_results_whole(programme, run_folder, monkeypatch):
    path = run_results.write_results(programme, run_folder, seed=7, interim=False)
    before = path.read_text()

    def half(data, file, **kwargs):
        file.write('{"schema": 2, "activ')
        raise OSError("disk full")

    monkeypatch.setattr(run_results.json, "dump", half)
    with pytest.raises(OSError, match="disk full"):
        run_results.write_results(programme, run_folder, seed=7, interim=False)
    assert path.read_text() == before and not list(run_folder.glob(".tmp-*"))


def test_a_folder_without_a_results_file_reads_its_records_and_a_missing_folder_is_refused(tmp_path):
    rec = _record("a", "A")
    rec.save(record_path(tmp_path, "a"))
    results = evaluation.read_results(tmp_path)
    assert results == {"a": rec} and results.programme is None
    with pytest.raises(RecordError, match="does not exist"):
        evaluation.read_results(tmp_path / "nowhere")


def _property_names(node) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        found |= set(node.get("properties", {}))
        for value in node.values():
            found |= _property_names(value)
    elif isinstance(node, list):
        for value in node:
            found |= _property_names(value)
    return found


def test_every_field_of_the_schema_is_documented_in_docs_results():
    docs = (Path(__file__).resolve().parents[2] / "docs" / "results.md").read_text(encoding="utf-8")
    undocumented = sorted(n for n in _property_names(run_results.results_schema()) if f"`{n}`" not in docs)
    assert not undocumented, f"docs/results.md does not document {undocumented}"
