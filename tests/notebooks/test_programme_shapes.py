"""The built-in programmes of other shapes, end to end with their interim updates (issue 9, item 13).

South Yorkshire's Rotherham plan (one local authority; four components with their real budget
lines; engage 1,000 and 400 into work as programme targets; 4- and 12-month updates asked for by
scrutiny; veterans visible) and Manchester's one-year employment and health service (June 2025 to
31 March 2026). Facts from ../shared/context/programmes.md. Each is generated at half size, run in
full and at the latest interim update its programme asks for (bench/bench_programme_shapes.py runs
every update at full scale), and its reports are read for what its
shape makes sensible: no area comparison with one area, job targets reported, the update named.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from html import unescape

import pytest

from evaluation import synthetic
from evaluation.runner import run

# In the "e2e" group: `evaluation compare` (test_compare_cli, the browser tests) reads these runs too.
pytestmark = [pytest.mark.notebook, pytest.mark.slow, pytest.mark.xdist_group("e2e")]
SCALE = 0.3
RUNS: dict = {}


def text(page) -> str:
    raw = page.read_text(encoding="utf-8")
    raw = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", raw, flags=re.S)
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", re.sub(r"<img[^>]*>", " ", raw))))


def shape_runs(key: str, tmp_path_factory) -> dict:
    """The programme written once, then run in full and at each of its interim updates."""
    if key not in RUNS:
        shape = synthetic.shape_of(key)
        folder = synthetic.write(tmp_path_factory.mktemp(key), 11, scale=SCALE, programme=key)
        out = tmp_path_factory.mktemp(f"{key}_reports")
        here = os.getcwd()
        try:
            runs = {"full": run(folder, out, seed=11, progress=False)}
            interim = [(w, d) for w, d in shape.updates if d != shape.as_of.date().isoformat()]
            for what, day in interim[-1:]:  # the latest interim update (CI time); bench runs them all
                runs[what] = run(folder, out, as_of=day, seed=11, progress=False)
        finally:
            os.chdir(here)
        RUNS[key] = (folder, runs)
    return RUNS[key]


@pytest.fixture(scope="module")
def rotherham(tmp_path_factory):
    return shape_runs("south-yorkshire", tmp_path_factory)


@pytest.fixture(scope="module")
def manchester(tmp_path_factory):
    return shape_runs("manchester", tmp_path_factory)


def test_rotherham_runs_in_full_and_at_its_4_month_update(rotherham):
    folder, runs = rotherham
    assert set(runs) == {"full", "4-month update to scrutiny"}
    for result in runs.values():
        assert result.ok, result.text()
        assert Counter(result.reports) == {"process": 4, "impact": 4, "summary": 1}, result.text()
    interim = text(runs["4-month update to scrutiny"].out_dir / "summary.html")
    assert "Interim 4-month update with data to 31 October 2025" in interim
    full = text(runs["full"].out_dir / "summary.html")
    assert "12-month update with data to 30 June 2026" in full


def test_rotherham_reports_its_programme_targets_and_budget(rotherham):
    folder, runs = rotherham
    metadata = json.loads((folder / "programme.json").read_text(encoding="utf-8"))
    assert metadata["targets"] == {"engaged": 1000, "job_outcomes": 400}
    for result in runs.values():
        summary = text(result.out_dir / "summary.html")
        assert "Programme target of 1,000 residents engaged" in summary
        assert "Against the programme target of 400 job outcomes" in summary
        assert "£1,705,007 budget" in summary  # the four components' budget lines add up to £1,705,007
    case = text(runs["full"].out_dir / "case_management_process.html")
    assert "Veterans" in case  # scrutiny asked that veterans are visible


def test_one_area_programmes_make_no_area_comparison(rotherham, manchester):
    for _, runs in (rotherham, manchester):
        for result in runs.values():
            for page in result.out_dir.glob("*.html"):
                words = text(page)
                assert "comparable areas where it did not run" not in words, page.name
                assert "local authorities where the activity ran" not in words, page.name
    process = text(rotherham[1]["full"].out_dir / "system_service_team_process.html")
    assert "records no individual participants" in process


def test_manchester_runs_over_its_one_year_service(manchester):
    folder, runs = manchester
    assert set(runs) == {"full", "end-of-service update"}
    for result in runs.values():
        assert result.ok, result.text()
        assert Counter(result.reports) == {"process": 1, "impact": 1, "summary": 1}, result.text()
    end = text(runs["end-of-service update"].out_dir / "employment_health_service_process.html")
    assert "Interim 10-month update with data to 31 March 2026" in end
    process = text(runs["full"].out_dir / "employment_health_service_process.html")
    assert "Against the target of 90 job outcomes" in process  # the plan's job target is reported
    assert "16-month update with data to 30 September 2026" in process
    plan = synthetic.delivery_plan(synthetic.MANCHESTER)
    assert str(plan.loc[0, "planned_start"].date()) == "2025-06-01"


def test_sentences_read_right_for_one_activity_and_for_zero(rotherham, manchester):
    """Found running the shapes: "about 0 had been in work" and "None of the 1 activities"."""
    for _, runs in (rotherham, manchester):
        for result in runs.values():
            for page in result.out_dir.glob("*.html"):
                words = text(page)
                assert not re.search(r"\babout 0(?![.,\d])", words), page.name
                assert not re.search(r"\bthe 1 activities\b|\bof 1 activities\b", words), page.name
