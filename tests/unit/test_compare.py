"""`evaluation compare`: the tables and every sentence of the report across programmes, against
hand-built records whose numbers are known (issue 12, item 7)."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from html import unescape
from pathlib import Path

import pandas as pd
import pytest
import yaml

from evaluation import compare
from evaluation.cli import main
from evaluation.compare import (
    NOT_STATED,
    SUPPORT_TYPES,
    Activity,
    BenefitCost,
    ProgrammeRun,
    Reach,
    check_schemas,
    effect_frame,
    load_run,
    load_runs,
    ratio_frame,
    reach_frame,
    support_groups,
)
from evaluation.contracts import contracts_dir
from evaluation.errors import InputError, OptionError
from evaluation.programme import file_hash
from evaluation.report import compare as words
from evaluation.report.record import HeadlineRecord, ImpactRecord, record_path


def record(activity_id, name, *, design="matched_comparison", estimate=None, lower=None, upper=None,
           horizon=12, published=True, level=3, reason="", measure="participants") -> ImpactRecord:  # fmt: skip
    """A record with a headline (when `estimate` is given) whose numbers the tests know."""
    head = None
    if estimate is not None:
        head = HeadlineRecord(
            horizon=horizon,
            estimate_pp=estimate,
            ci_lower_pp=lower,
            ci_upper_pp=upper,
            significant=lower > 0 or upper < 0,
            measure=measure,
            published=published,
            withheld_reason="" if published else "it failed the placebo referral 12 months early",
        )
    return ImpactRecord(
        activity_id=activity_id,
        activity_name=name,
        design=design,
        status="estimated" if head is not None else "not_estimated",
        reason=reason,
        evidence_level=level if head is not None else None,
        headline=head,
        computed_from={"as_of": "2026-06-30", "interim_as_of": "", "input_hashes": {}, "seed": 1},
    )


def activity(programme, rec, support_type="", reach=None, ratio=None) -> Activity:
    return Activity(
        programme, rec.activity_id, rec.activity_name, support_type, rec, reach=reach, ratio=ratio
    )


def runs() -> list[ProgrammeRun]:
    """Two programmes: North (final, to 30 June 2026) and South (interim, to 31 October 2025)."""
    north = [
        activity("North", record("place", "Placements A", estimate=5.0, lower=1.0, upper=9.0), "placements",
                 Reach(200, "started", 150, 75), BenefitCost(True, 1.2, 2.0, 3.1, "positive")),
        activity("North", record("case", "Key workers", estimate=1.5, lower=-2.0, upper=5.0), "case_management",
                 Reach(100, "engaged", 120, 120), BenefitCost(False, None, None, None, "not_significant", "not a return")),
        activity("North", record("areas", "Service redesign", design="did", estimate=0.8, lower=-0.5, upper=2.1,
                                 horizon=None, measure="area employment rate"), "system_reform"),
        activity("North", record("hub", "Data hub", design="descriptive", reason="descriptive design")),
    ]  # fmt: skip
    south = [
        activity("South", record("triage", "Triage", estimate=-1.0, lower=-4.0, upper=2.0, horizon=6), "engagement",
                 Reach(450, "engaged", "[c]", "[c]")),
        activity("South", record("cm", "Case management", estimate=7.2, lower=0.6, upper=13.8, horizon=6,
                                 published=False, level=2), "case_management"),
    ]  # fmt: skip
    return [
        ProgrammeRun(Path("north_run"), "North", "2", "2026-06-30", False, tuple(north), "results", True, True,
                     {"engaged": 1000}, {"engaged": 45}),
        ProgrammeRun(Path("south_run"), "South", "2", "2025-10-31", True, tuple(south), "input delivery plan", True,
                     False),
    ]  # fmt: skip


def test_support_types_are_the_contracts_allowed_values():
    contract = yaml.safe_load((contracts_dir() / "delivery_plan.yaml").read_text(encoding="utf-8"))
    column = contract["columns"]["support_type"]
    assert column["allowed"] == list(SUPPORT_TYPES)
    assert column["required"] is False and column["nullable"] is True


def test_activities_are_grouped_by_type_of_support_in_the_stated_order():
    groups = support_groups(runs())
    assert [label for label, _ in groups] == [
        "Placements",
        "Case management",
        "Engagement",
        "System reform",
        NOT_STATED,
    ]
    assert [a.activity_name for a in dict(groups)["Case management"]] == ["Key workers", "Case management"]


def test_effect_frame_holds_each_headline_with_its_programme():
    frame = effect_frame(runs())
    assert list(frame["label"]) == [
        "North: Placements A (12 months)",
        "North: Key workers (12 months)",
        "South: Case management (6 months)",
        "South: Triage (6 months)",
        "North: Service redesign",
    ]
    row = frame.set_index("activity_name").loc["Placements A"]
    assert (row["estimate"], row["ci_lower"], row["ci_upper"]) == (5.0, 1.0, 9.0)
    assert row["verdict"] == "significant increase"
    verdicts = dict(zip(frame["activity_name"], frame["verdict"], strict=True))
    assert verdicts["Case management"] == "verdict withheld"
    assert verdicts["Triage"] == "not significant"
    assert set(frame["measure"]) == {"participants", "area employment rate"}
    assert "Data hub" not in set(frame["activity_name"])  # no estimate: no row


def test_ratio_and_reach_frames():
    ratios = ratio_frame(runs()).set_index("activity_name")
    assert list(ratios.index) == ["Placements A", "Key workers"]
    assert ratios.loc["Placements A", ["low", "central", "high"]].tolist() == [1.2, 2.0, 3.1]
    assert ratios.loc["Key workers", ["low", "central", "high"]].isna().all()  # not significant: no ratio
    reach = reach_frame(runs()).set_index("activity_name")
    assert list(reach.index) == ["Placements A", "Key workers", "Triage"]
    assert reach.loc["Key workers", "percent"] == 120 and reach.loc["Triage", "reached"] == "[c]"


def test_programmes_sentence():
    assert words.programmes_sentence(runs()) == (
        "This report compares 2 programmes: North (4 activities; data to 30 June 2026, final) and "
        "South (2 activities; data to 31 October 2025, interim update)."
    )


def test_design_limit_counts_each_design():
    # North: 2 matched, 1 area, 1 descriptive; South: 2 matched
    assert words.design_limit(runs()) == (
        "The results come from different designs: 4 activities by matched comparison (participants against similar "
        "non-participants), 1 activity by area comparison (areas where the activity ran against areas where it did "
        "not) and 1 activity descriptive only (no estimate of effect). Only the matched comparisons and area "
        "comparisons estimate an effect against a counterfactual."
    )
    only_matched = [
        replace(r, activities=tuple(a for a in r.activities if a.design == "matched_comparison"))
        for r in runs()
    ]
    assert words.design_limit(only_matched) == (
        "Every activity with results uses the same design, matched comparison (participants against similar "
        "non-participants)."
    )


def test_measure_and_horizon_limits():
    effects = effect_frame(runs())
    assert words.measure_limit(effects) == (
        "Outcome definitions differ: 4 effects measure the chance that a participant is in work and 1 effect "
        "measures the employment rate of the areas where the activity ran. These are not on the same scale, so each "
        "has its own forest plot and they should not be ranked against each other."
    )
    assert words.horizon_limit(effects) == (
        "Follow-up differs: each activity is judged at the longest time after referral its participants have been "
        "followed, which is 6 months for 2 activities (South) and 12 months for 2 activities (North). An effect at "
        "6 months is not comparable with one at 12."
    )
    same = effects[effects["programme"] == "North"]
    assert words.horizon_limit(same) == "Every effect on participants is measured 12 months after referral."
    assert words.measure_limit(same[same["measure"] == "participants"]) == (
        "Every effect shown measures the same outcome: the chance that a participant is in work."
    )
    assert words.measure_limit(effects.iloc[:0]) == "" and words.horizon_limit(effects.iloc[:0]) == ""


def test_date_limit_names_interim_updates():
    assert words.date_limit(runs()) == (
        "The data run to different dates: North to 30 June 2026 and South to 31 October 2025. South is an interim "
        "update: figures are provisional and will change as more people are followed for longer."
    )
    final = [replace(r, as_of="2026-06-30", interim=False) for r in runs()]
    assert words.date_limit(final) == "Every programme's data run to 30 June 2026."


def test_evidence_limit_counts_levels_of_estimates_only():
    # levels 3 (Placements A, Key workers, Service redesign, Triage) and 2 (Case management); Data hub has none
    assert words.evidence_limit(runs()) == (
        "The strength of evidence differs (Maryland Scientific Methods Scale, of 5): level 3 for 4 activities and "
        "level 2 for 1 activity. A weaker design can be biased in either direction."
    )


def test_verdict_and_not_estimated_limits_name_the_activities():
    said = words.verdict_limit(effect_frame(runs()))
    assert said == [
        "1 activity has its verdict withheld because the comparison group was not credible (Case management in "
        "South): their estimates are shown as evidence only and should not be compared.",
        "3 effects are not statistically significant (Key workers in North, Triage in South and Service redesign "
        "in North): an interval that includes zero is not evidence that the activity made no difference.",
    ]
    assert words.not_estimated_limit(runs()) == (
        "1 activity has no impact estimate (1 in North): descriptive by design, too few participants followed so "
        "far, or no record left by the run; the tables below give each one's reason."
    )
    two = [replace(r, activities=(*r.activities, replace(r.activities[-1], record=None))) for r in runs()]
    assert words.not_estimated_limit(two).startswith(
        "3 activities have no impact estimate (2 in North and 1 in South):"
    )


def test_type_money_and_reach_limits():
    assert words.type_limit(runs()) == (
        "1 activity does not state a type of support in the delivery plan and is listed as 'type not stated': "
        "Data hub in North."
    )
    unread = [runs()[0], replace(runs()[1], support_source="")]
    assert "The type of support could not be read for South" in words.type_limit(unread)
    assert words.money_limit(runs()) == (
        "No activity of South has a value-for-money appraisal in the results (there is none without an estimate of "
        "net additional people in work, or where the verdict is withheld), so benefit-cost ranges are compared only "
        "for the others."
    )
    assert words.money_limit([replace(r, has_value_for_money=False) for r in runs()]) == (
        "No programme's results hold a value-for-money appraisal, so no benefit-cost ranges are compared."
    )
    reach = reach_frame(runs())  # targets: 1 started (Placements A), 2 engaged (Key workers, Triage)
    assert words.reach_limit(runs(), reach) == (
        "Participant targets count different stages: people engaged for 2 activities and started support for "
        "1 activity."
    )
    none = [replace(r, has_reach=False) for r in runs()]
    assert words.reach_limit(none, reach.iloc[:0]) == (
        "The results of North and South hold no reach figures (they were written before results files), so no "
        "reach against target is shown."
    )


def test_group_sentence_counts_verdicts():
    groups = dict(support_groups(runs()))
    assert words.group_sentence("Case management", groups["Case management"]) == (
        "Case management: 2 activities in 2 programmes (North and South). 2 have an impact estimate "
        "(1 not significant and 1 verdict withheld)."
    )
    assert words.group_sentence("Type not stated", groups[NOT_STATED]) == (
        "Type not stated: 1 activity in 1 programme (North). None has an impact estimate."
    )


def test_ratio_sentence_places_each_range_against_1():
    ratios = ratio_frame(runs())  # Placements A 1.2 to 3.1 (a ratio); Key workers none (not significant)
    assert words.ratio_sentence(ratios) == (
        "2 activities have a value-for-money appraisal. 1 has a ratio presented: the range from the low to the high "
        "case is wholly at or above 1 (benefits at least equal costs) for 1, wholly below 1 for 0 and spans 1 for 0. "
        "Ranges come first: a ratio is not a pass or fail (Green Book)."
    )
    more = pd.concat(
        [ratios, ratios.assign(low=[0.4, None], high=[0.9, None]), ratios.assign(low=[0.7, None])]
    )
    assert (
        "3 have a ratio presented: the range from the low to the high case is wholly at or above 1 (benefits at "
        "least equal costs) for 1, wholly below 1 for 1 and spans 1 for 1." in words.ratio_sentence(more)
    )
    none = ratios[~ratios["presented"]]
    assert words.ratio_sentence(none) == (
        "1 activity has a value-for-money appraisal. None has a benefit-cost ratio presented: each effect valued is "
        "not statistically significant or is negative, so a ratio would imply a return the evidence does not show. "
        "Ranges come first: a ratio is not a pass or fail (Green Book)."
    )


def test_chart_labels_put_the_programme_on_its_own_line():
    assert words.chart_label("North: Placements A (12 months)", "North") == "Placements A (12 months)\nNorth"
    long = "South Yorkshire Pathways to Work: Rotherham (synthetic)"
    label = words.chart_label(f"{long}: Intensive case management and personalised support (6 months)", long)
    assert label.split("\n") == [
        "Intensive case management and personalised",
        "support (6 months)",
        "South Yorkshire Pathways to Work: Rotherham",
        "(synthetic)",
    ]


def test_ratio_and_reach_text():
    assert words.ratio_text(1.2, 2.0, 3.1, True) == "1.2 to 3.1 (central 2.0)"
    assert (
        words.ratio_text(None, None, None, False, "not_significant")
        == "[z] no ratio (effect not significant)"
    )
    assert words.ratio_text(None, None, None, False, "negative") == "[z] no ratio (negative effect)"
    # a record written with a range from zero is still shown without a ratio
    assert (
        words.ratio_text(0.0, None, 1.8, False, "not_significant") == "[z] no ratio (effect not significant)"
    )
    north, south = runs()
    assert words.reach_text(north.activities[1]) == "120% of 100 engaged"
    assert words.reach_text(south.activities[0]) == "[c] of 450 engaged"
    assert words.reach_text(north.activities[3]) == "[x]"


def test_group_table_shows_each_activitys_own_headline():
    table = words.group_table(dict(support_groups(runs()))["Case management"]).set_index("Activity")
    assert table.loc["Key workers", "Effect, percentage points (95% CI)"] == "+1.5 (-2.0 to +5.0)"
    assert (
        table.loc["Key workers", "Benefit-cost ratio (low to high)"]
        == "[z] no ratio (effect not significant)"
    )
    assert table.loc["Case management", "Verdict"] == "verdict withheld"
    assert table.loc["Case management", "Strength of evidence (Maryland scale)"] == "Level 2 of 5"
    hub = words.group_table(dict(support_groups(runs()))[NOT_STATED]).iloc[0]
    assert (
        hub["Verdict"] == "Not estimated: descriptive design"
        and hub["Strength of evidence (Maryland scale)"] == "[z]"
    )


def test_alt_texts_state_every_number():
    effects = effect_frame(runs())
    participants = effects[effects["measure"] == "participants"]
    alt = words.forest_alt(participants, "the chance that a participant is in work")
    assert alt.startswith("Forest plot of 4 effects on the chance that a participant is in work")
    for row in participants.itertuples():
        assert f"{row.label} " in alt
    assert "Placements: North: Placements A (12 months) +5.0 (+1.0 to +9.0), significant increase." in alt
    assert "South: Case management (6 months) +7.2 (+0.6 to +13.8), verdict withheld" in alt
    ratio = words.ratio_alt(ratio_frame(runs()))
    assert "North: Placements A 1.2 to 3.1 (central 2.0)" in ratio
    assert "Key workers" not in ratio  # not significant: no ratio, so no range drawn


def page_text(html: str) -> str:
    html = re.sub(r"<style>.*?</style>", " ", html, flags=re.S)
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)))


def test_the_page_has_every_section_and_accessible_charts():
    html = words.compare_page(runs())
    text = page_text(html)
    for heading in ("What limits comparison", "Comparable activities side by side, by type of support",
                    "Effects on employment by type of support", "Value for money: benefit-cost ranges",
                    "Reach against targets", "Where these results come from"):  # fmt: skip
        assert heading in text
    images = re.findall(r"<img [^>]*>", html)
    assert len(images) == 4  # two forest plots (two measures), the benefit-cost ranges, reach
    assert all(re.search(r'alt="[^"]{40,}"', img) for img in images)
    assert "North: programme target of 1,000 residents engaged, 45% reached." in text
    # the titles count per measure: 1 of the 4 effects on participants, none of the 1 on areas
    assert (
        "1 activity of 4 compared shows a significant increase in the chance that a participant is in work"
        in text
    )
    assert "No activity compared shows a significant increase in the employment rate of the areas" in text
    assert "1 of 3 activities with a participant target had reached it" in text  # Key workers: 120%
    assert words.ratio_sentence(ratio_frame(runs())) in text
    assert html.count("<h1") == 1 and 'lang="en-GB"' in html


def test_different_schema_versions_are_refused_naming_folders_and_versions():
    north, south = runs()
    with pytest.raises(InputError) as caught:
        check_schemas([north, replace(south, schema="1")])
    message = str(caught.value)
    assert "north_run: schema 2" in message and "south_run: schema 1" in message
    check_schemas([north, south])  # the same version: no error


def test_folders_are_checked_before_anything_is_read(tmp_path):
    with pytest.raises(OptionError, match="at least two"):
        load_runs([tmp_path])
    with pytest.raises(OptionError, match="given twice"):
        load_runs([tmp_path, tmp_path / "."])
    with pytest.raises(InputError, match="is not a folder"):
        load_run(tmp_path / "missing")
    with pytest.raises(InputError, match="holds no results"):
        load_run(tmp_path)


def write_folder(
    folder: Path, records: list[ImpactRecord], *, plan: str | None = None, name: str = ""
) -> Path:
    """A run's output folder holding `records` and a run.json; with `plan`, an input folder beside it
    whose delivery plan the run recorded (by hash)."""
    folder.mkdir(parents=True)
    for rec in records:
        rec.save(record_path(folder, rec.activity_id))
    about = {"programme": name or folder.name, "input_hashes": {}, "parameters": {}}
    if plan is not None:
        source = folder.parent / f"{folder.name}_input"
        source.mkdir()
        (source / "delivery_plan.csv").write_text(plan, encoding="utf-8")
        about["input_hashes"] = {"delivery_plan.csv": file_hash(source / "delivery_plan.csv")}
        about["parameters"] = {"programme_path": f"../{source.name}"}
    (folder / "run.json").write_text(json.dumps(about), encoding="utf-8")
    return folder


PLAN = (
    "activity_id,activity_name,priority,budget_gbp,target_participants,geography,planned_start,impact_design,"
    "support_type\n"
    "place,Placements A,1,1000,10,X,2025-07-01,matched_comparison,placements\n"
    "hub,Data hub,1,1000,,X,2025-07-01,descriptive,\n"
)


def test_the_type_of_support_comes_from_the_runs_own_delivery_plan(tmp_path):
    recs = [record("place", "Placements A", estimate=5.0, lower=1.0, upper=9.0), record("hub", "Data hub")]
    run = load_run(write_folder(tmp_path / "north", recs, plan=PLAN, name="North"))
    assert run.name == "North" and run.support_source == "input delivery plan"
    assert {a.activity_id: a.support_label for a in run.activities} == {
        "place": "Placements",
        "hub": NOT_STATED,
    }
    # the plan changed since the run: its hash differs, so it is not used
    (tmp_path / "north_input" / "delivery_plan.csv").write_text(
        PLAN.replace("placements", "engagement"), encoding="utf-8"
    )
    changed = load_run(tmp_path / "north")
    assert changed.support_source == "" and {a.support_type for a in changed.activities} == {""}


def test_cli_writes_one_page_and_refuses_mixed_schemas(tmp_path, monkeypatch, capsys):
    a = write_folder(
        tmp_path / "a", [record("place", "Placements A", estimate=5.0, lower=1.0, upper=9.0)], plan=PLAN
    )
    b = write_folder(tmp_path / "b", [record("hub", "Data hub")], name="B programme")
    out = tmp_path / "out"
    assert main(["compare", str(a), str(b), "--out", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["compare.html"]
    assert sorted(p.name for p in a.iterdir()) == ["_aggregates", "run.json"]  # nothing written in the inputs
    text = page_text((out / "compare.html").read_text(encoding="utf-8"))
    assert (
        "Placements: 1 activity in 1 programme (a). 1 has an impact estimate (1 significant increase)."
        in text
    )
    assert "B programme" in text

    real = compare.load_run
    monkeypatch.setattr(
        compare, "load_run", lambda f: replace(real(f), schema="1" if Path(f).name == "a" else "2")
    )
    capsys.readouterr()
    assert main(["compare", str(a), str(b), "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert f"{a}: schema 1" in error and f"{b}: schema 2" in error
    assert main(["compare", str(a), "--out", str(out)]) == 2
    assert main(["compare", str(a), str(tmp_path / "nowhere"), "--out", str(out)]) == 2
    assert "nowhere is not a folder" in capsys.readouterr().err


def test_two_runs_of_one_programme_are_named_apart_by_their_data_date():
    north = runs()[0]
    interim = replace(north, folder=Path("north_interim"), as_of="2025-10-31", interim=True)
    named = compare.label_programmes([north, interim])
    assert [r.name for r in named] == ["North (to 30 June 2026)", "North (to 31 October 2025)"]
    assert {a.programme for a in named[1].activities} == {"North (to 31 October 2025)"}
    assert compare.label_programmes(runs()) == runs()  # different names: unchanged


def test_a_support_type_in_the_results_is_used_before_the_input_plan(tmp_path):
    """When the results' delivery entries carry `support_type` (asked of the results file), it is read
    from there and the input folder is not looked at."""
    from types import SimpleNamespace

    class Results(dict):
        delivery = {
            "place": SimpleNamespace(support_type="placements"),
            "hub": SimpleNamespace(support_type=""),
        }

    run_json = {"parameters": {"programme_path": "../nowhere"}}
    found, source = compare._support_types(tmp_path, Results(), run_json, {})
    assert (found, source) == ({"place": "placements", "hub": ""}, "results")
    assert compare._support_types(tmp_path, {}, run_json, {}) == ({}, "")  # neither: not stated
