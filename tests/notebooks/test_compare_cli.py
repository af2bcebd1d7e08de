"""`evaluation compare` on the output folders of real runs of the three built-in programmes (issue 12,
item 7): North East CA (the session's end-to-end run, `rendered_run`), South Yorkshire's Rotherham
plan and Manchester (the programme-shape tests' runs, at 0.3 of their size).

The page is checked against what each run wrote (its impact records, read here as plain JSON) and
against the support types of the shipped delivery plans, counted here independently.
"""

from __future__ import annotations

import json
import re
import shutil
from collections import Counter
from html import unescape
from pathlib import Path

import pytest

from evaluation import synthetic
from evaluation.cli import main
from evaluation.compare import NOT_STATED, SUPPORT_TYPES
from evaluation.report.formatting import pp_interval
from tests.notebooks.test_programme_shapes import shape_runs

pytestmark = [pytest.mark.notebook, pytest.mark.slow, pytest.mark.xdist_group("e2e")]
_CACHE: dict[str, object] = {}


def shape_folder(key: str, tmp_path_factory) -> Path:
    """The output folder of the full run of a built-in programme, shared with the programme-shape
    tests (`shape_runs` runs each programme once per session; both modules are in the "e2e" group,
    so on one worker)."""
    return shape_runs(key, tmp_path_factory)[1]["full"].out_dir


def compare_folders(rendered_run, tmp_path_factory) -> list[Path]:
    return [
        rendered_run.out_dir,
        shape_folder("south-yorkshire", tmp_path_factory),
        shape_folder("manchester", tmp_path_factory),
    ]


def compare_report(rendered_run, tmp_path_factory) -> Path:
    """compare.html for the three programmes, written once for the session."""
    if "page" not in _CACHE:
        out = tmp_path_factory.mktemp("compare_out")
        folders = compare_folders(rendered_run, tmp_path_factory)
        code = main(["compare", *map(str, folders), "--out", str(out)])
        assert code == 0
        _CACHE["page"] = out / "compare.html"
    return _CACHE["page"]  # type: ignore[return-value]


@pytest.fixture(scope="module")
def page(rendered_run, tmp_path_factory) -> Path:
    return compare_report(rendered_run, tmp_path_factory)


@pytest.fixture(scope="module")
def folders(rendered_run, tmp_path_factory) -> list[Path]:
    return compare_folders(rendered_run, tmp_path_factory)


def text(path: Path) -> str:
    raw = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", path.read_text(encoding="utf-8"), flags=re.S)
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.sub(r"<img[^>]*>", " ", raw))))


def raw_records(folder: Path) -> list[dict]:
    return [
        json.loads(p.read_text(encoding="utf-8"))
        for p in sorted((folder / "_aggregates").glob("*_impact.json"))
    ]


def test_compare_writes_one_self_contained_page(page):
    assert [p.name for p in page.parent.iterdir()] == ["compare.html"]
    html = page.read_text(encoding="utf-8")
    assert not re.search(r'(src|href)="(?!data:|#)', html), "the page links to something outside itself"
    images = re.findall(r"<img [^>]*>", html)
    assert len(images) >= 3  # effects (participants, areas), reach; benefit-cost ranges when appraised
    assert all(re.search(r'alt="Forest plot|alt="Range chart|alt="Bar chart', img) for img in images)


def test_every_headline_effect_is_shown_as_its_record_has_it(page, folders):
    words = text(page)
    shown = 0
    for folder in folders:
        for rec in raw_records(folder):
            head = rec.get("headline")
            assert rec["activity_name"] in words
            if rec["status"] == "estimated" and head and head.get("estimate_pp") is not None:
                interval = pp_interval(
                    head["estimate_pp"], head["ci_lower_pp"], head["ci_upper_pp"], scale=1.0
                )
                assert interval in words, (rec["activity_id"], interval)
                shown += 1
    assert shown >= 3


def test_activities_are_grouped_by_the_support_types_of_the_shipped_plans(page):
    words = text(page)
    per_type: Counter = Counter()
    programmes: dict[str, set] = {}
    for key in ("ne-ca", "south-yorkshire", "manchester"):
        plan = synthetic.delivery_plan(synthetic.shape_of(key))
        for value in plan["support_type"]:
            label = SUPPORT_TYPES.get(value, NOT_STATED) if isinstance(value, str) else NOT_STATED
            per_type[label] += 1
            programmes.setdefault(label, set()).add(key)
    assert per_type == {"Placements": 2, "Case management": 6, "Engagement": 3, "Employer-facing": 2,
                        "System reform": 4, NOT_STATED: 1}  # fmt: skip
    for label, n in per_type.items():
        k = len(programmes[label])
        heading = label[:1].upper() + label[1:]
        expected = (
            f"{heading}: {n} {'activity' if n == 1 else 'activities'} in {k} programme{'' if k == 1 else 's'}"
        )
        assert expected in words, expected


def test_the_limits_name_the_designs_and_dates_of_these_runs(page, folders):
    words = text(page)
    designs = Counter(rec["design"] for folder in folders for rec in raw_records(folder))
    assert f"{designs['matched_comparison']} activities by matched comparison" in words
    assert f"{designs['did']} activities by area comparison" in words
    assert f"{designs['descriptive']} activities descriptive only" in words
    assert (
        "The data run to different dates: North East CA Economic Inactivity Trailblazer (synthetic) to"
        in words
    )
    assert "'type not stated': External evaluation in North East CA" in words


def test_results_of_different_schema_versions_are_refused(folders, tmp_path, capsys):
    from evaluation.report import record as record_module

    readable = getattr(record_module, "READABLE_SCHEMAS", (record_module.RECORD_SCHEMA,))
    older = [s for s in readable if s != record_module.RECORD_SCHEMA]
    if not older:
        pytest.skip("this toolkit reads one record schema only")
    # an older run: the Manchester folder with records only, of the older schema
    old = tmp_path / "manchester_old"
    shutil.copytree(folders[2] / "_aggregates", old / "_aggregates")
    for path in (old / "_aggregates").glob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        data = {k: v for k, v in data.items() if k not in ("value_for_money", "value_for_money_reason")}
        path.write_text(json.dumps({**data, "schema": older[0]}), encoding="utf-8")
    capsys.readouterr()
    assert main(["compare", str(folders[1]), str(old), "--out", str(tmp_path / "out")]) == 2
    error = capsys.readouterr().err
    assert f"{old}: schema {older[0]}" in error and f"{folders[1]}: schema " in error
    assert not (tmp_path / "out").exists()  # nothing written


def test_reach_and_benefit_cost_ranges_are_shown_as_each_run_published_them(page, folders):
    words = text(page)
    stages = {"referred": "referred", "engaged": "engaged", "started": "started support"}
    checked = {"reach": 0, "ratio": 0}
    for folder in folders:
        results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
        for entry in results["activities"].values():
            delivery = entry["delivery"]
            if delivery["target"]:
                percent = delivery["percent_of_target"]
                shown = f"{percent:.0f}%" if isinstance(percent, int | float) else percent
                assert f"{shown} of {delivery['target']:,} {stages[delivery['target_stage']]}" in words
                checked["reach"] += 1
            ratio = ((entry["impact"] or {}).get("value_for_money") or {}).get("benefit_cost_ratio")
            if ratio and ratio["low"] is not None and ratio["high"] is not None:
                span = f"{ratio['low']:.1f} to {ratio['high']:.1f}"
                assert (
                    span + (f" (central {ratio['central']:.1f})" if ratio["presented"] else ", no ratio")
                    in words
                )
                checked["ratio"] += 1
    assert checked["reach"] >= 10 and checked["ratio"] >= 1, checked
