"""Report building blocks and section helpers: which update a report is, what is not yet
observable, the aggregates the impact report leaves for the summary (disclosure-safe, never used
when stale), the summary's fallbacks, accessible tables and the HTML clean-up."""

from __future__ import annotations

import html
import json
import re

import nbformat
import numpy as np
import pandas as pd
import pytest

from evaluation.disclosure import SUPPRESSED
from evaluation.programme import load_programme
from evaluation.report import charts, display, formatting, impact, matched_sections, process, render, summary
from evaluation.report.formatting import long_date, signed
from evaluation.report.record import ImpactRecord, read_results, record_path
from evaluation.runner import ACTIVITY_NOTEBOOKS, NOTEBOOK_DIR, SUMMARY_NOTEBOOK

# --------------------------------------------------------------------------- which update


def test_interim_update_is_named_by_months_since_the_programme_started(synthetic_folder):
    programme = load_programme(synthetic_folder, as_of="2025-09-30")
    assert process.programme_start(programme) == pd.Timestamp("2025-06-01")  # earliest planned start
    assert process.months_since_start(programme) == 4  # June, July, August, September
    assert (
        process.update_label(programme, interim=True)
        == "Interim 4-month update with data to 30 September 2025"
    )


def test_full_update_label_has_no_interim_and_names_the_data_date(synthetic_folder):
    programme = load_programme(synthetic_folder)
    label = process.update_label(programme, interim=False)
    assert not label.startswith("Interim")
    assert label.endswith(f"with data to {long_date(programme.as_of)}")
    assert re.match(r"\d+-month update", label)


def test_months_since_start_counts_whole_months_only(synthetic_folder):
    assert process.months_since_start(load_programme(synthetic_folder, as_of="2025-09-29")) == 3
    assert process.months_since_start(load_programme(synthetic_folder, as_of="2025-06-30")) == 1


def test_observed_by_counts_people_not_yet_followed_for_the_horizon():
    people = pd.DataFrame(
        {"referred_date": pd.to_datetime(["2025-09-15", "2025-10-02", "2025-11-30", "2026-01-01"])}
    )
    cutoff, later = matched_sections.observed_by(people, pd.Timestamp("2026-10-01"), 12)
    assert cutoff == pd.Timestamp("2025-10-01")  # referred in October 2025 or before: followed 12 months
    assert later == 2
    assert matched_sections.observed_by(people, pd.Timestamp("2026-10-01"), 6) == (
        pd.Timestamp("2026-04-01"),
        0,
    )


# --------------------------------------------------------------------------- formatting


@pytest.mark.parametrize(
    ("lower", "upper", "expected"),
    [
        (0.01, 0.05, "significant increase"),
        (-0.05, -0.01, "significant decrease"),
        (-0.01, 0.02, "not significant"),
    ],
)
def test_verdict_in_words(lower, upper, expected):
    assert formatting.verdict(lower, upper) == expected


def test_percentage_point_intervals_are_signed():
    assert formatting.pp_interval(0.032, -0.01, 0.074) == "+3.2 (-1.0 to +7.4)"
    assert formatting.signed(float("nan")) == "[x]"


# --------------------------------------------------------------------------- aggregates for the summary


@pytest.fixture(scope="module")
def matched_context(synthetic_folder):
    programme = load_programme(synthetic_folder)
    counts = programme.participants["activity_id"].value_counts()
    activity = counts.index[0]  # the largest activity with individual participants
    return impact.context(str(synthetic_folder), activity, None, seed=3)


def test_record_is_plain_json_with_rounded_counts_and_no_people(matched_context):
    data = impact.record(matched_context.result, matched_context.programme, seed=3, as_of=None).to_dict()
    text = json.dumps(data, allow_nan=False)  # no NaN, only JSON types
    assert data["activity_id"] == matched_context.activity_id
    assert data["computed_from"]["seed"] == 3
    counts = [data["n_participants"], *[h["n_followed"] for h in data["horizons"]]]
    for n in counts:
        assert n == SUPPRESSED or (n % 5 == 0 and (n == 0 or n >= 10)), f"count {n} is not disclosure-safe"
    people = matched_context.programme.participants["person_id"]
    assert not any(person in text for person in people), "a person identifier is in the record"


def test_summary_uses_a_matching_record_and_recomputes_a_stale_one(matched_context, tmp_path, monkeypatch):
    ctx = matched_context
    ctx.output_dir = str(tmp_path)
    impact.save_record(ctx)  # the impact report's explicit last step
    path = record_path(tmp_path, ctx.activity_id)
    assert path.exists() and read_results(tmp_path)[ctx.activity_id] == ImpactRecord.read(path)
    found, source = summary.impact_record(
        ctx.programme, ctx.activity_id, output_dir=str(tmp_path), seed=3, as_of=None
    )
    assert source == "impact report" and found == ImpactRecord.from_dict(json.loads(path.read_text()))

    calls = []

    def fake_estimate(*args, **kwargs):
        calls.append(kwargs["seed"])
        return ctx.result

    monkeypatch.setattr(summary, "estimate_activity", fake_estimate)
    _, source = summary.impact_record(
        ctx.programme, ctx.activity_id, output_dir=str(tmp_path), seed=4, as_of=None
    )
    assert source == "recomputed" and calls == [4], "a record made with another seed must not be reused"
    stale = json.loads(path.read_text())
    stale["computed_from"]["input_hashes"] = {"participants.csv": "0" * 64}
    path.write_text(json.dumps(stale))
    _, source = summary.impact_record(
        ctx.programme, ctx.activity_id, output_dir=str(tmp_path), seed=3, as_of=None
    )
    assert source == "recomputed", "a record made from other inputs must not be reused"


def test_summary_survives_an_activity_whose_estimate_fails(matched_context, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(summary, "estimate_activity", broken)
    rec, source = summary.impact_record(
        matched_context.programme, matched_context.activity_id, output_dir=None, seed=3, as_of=None
    )
    assert source == "failed" and rec.status == "failed" and "RuntimeError" in rec.reason
    assert summary.headline_of(rec) is None
    assert summary.forest_frame({"x": rec}).empty


def _record(name, design="matched_comparison", horizon=6, estimates=None):
    estimates = estimates or {6: (2.0, -1.0, 5.0)}
    head = estimates.get(horizon, (1.0, 0.5, 1.5))
    return ImpactRecord.from_dict(
        {
            "activity_id": name.lower(),
            "activity_name": name,
            "design": design,
            "status": "estimated",
            "headline": {
                "horizon": horizon,
                "estimate_pp": head[0],
                "ci_lower_pp": head[1],
                "ci_upper_pp": head[2],
                "significant": head[1] > 0 or head[2] < 0,
            },
            "horizons": [
                {"horizon": h, "reportable": True, "estimate_pp": e, "ci_lower_pp": lo, "ci_upper_pp": hi}
                for h, (e, lo, hi) in estimates.items()
            ],
        }
    )


def test_activities_are_compared_at_their_own_headline_follow_up():
    records = {
        "a": _record("A", horizon=12, estimates={6: (4.0, -1.0, 7.0), 12: (6.0, 2.0, 10.0)}),
        "b": _record("B", horizon=6, estimates={6: (-1.0, -3.0, 1.0)}),
        "c": ImpactRecord(
            activity_id="c", activity_name="C", design="matched_comparison", status="not_estimated"
        ),
        "d": _record("D", design="did", horizon=None),
    }
    frame = summary.forest_frame(records, "matched_comparison")
    assert frame["label"].tolist() == ["A (12 months)", "B (6 months)"]
    assert frame["estimate"].tolist() == [6.0, -1.0]  # A at 12 months, not at a horizon common to all
    assert frame["verdict"].tolist() == ["significant increase", "not significant"]
    area = summary.forest_frame(records, "did")
    assert area["label"].tolist() == ["D"]  # an area comparison has no follow-up in months
    assert summary.table_horizons(records) == [6, 12]


def test_summary_leads_with_the_impact_reports_headline(matched_context):
    ctx = matched_context
    matched = ctx.result.matched
    rec = impact.record(ctx.result, ctx.programme, seed=3, as_of=None)
    head = summary.headline_of(rec)
    assert head.horizon == matched.horizon == rec.headline.horizon
    assert head.estimate == pytest.approx(100 * matched.estimate)
    assert (head.ci_lower, head.ci_upper) == pytest.approx((100 * matched.ci_lower, 100 * matched.ci_upper))
    assert head.published == ctx.result.published
    lead = html.unescape(" ".join(part.data for part in impact.headline_section(ctx)))
    assert f"{signed(head.estimate)} " in lead and f"{head.horizon} months after referral" in lead
    if head.published:
        expected = "not significant"
        if matched.significant:
            expected = "significant increase" if matched.estimate > 0 else "significant decrease"
    else:
        expected = summary.WITHHELD
        assert "No verdict" in lead and head.withheld_reason
    assert head.verdict == expected
    assert summary.forest_frame({ctx.activity_id: rec})["label"].tolist() == [
        f"{ctx.name} ({matched.horizon} months)"
    ]


# --------------------------------------------------------------------------- tables, figures, HTML


def test_tables_scroll_inside_a_named_keyboard_region_and_align_text_left():
    frame = pd.DataFrame({"Activity": ["A"], "Verdict": ["not significant"], "People": [15]})
    html = display.table_html(frame, caption="Table 1: Test", table_id="table-1")
    assert '<div class="table-wrap" role="region" aria-labelledby="table-1-caption" tabindex="0">' in html
    assert '<caption id="table-1-caption">Table 1: Test</caption>' in html
    assert '<td class="text">not significant</td>' in html
    assert "<td>15</td>" in html


def test_numbered_figure_can_carry_its_data_as_a_table():
    import matplotlib.pyplot as plt

    numbering = display.Numbering()
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    html = numbering.figure(
        fig, title="Up", subtitle="s", alt="A line going up.", data=pd.DataFrame({"x": [1]})
    ).data
    assert numbering.figures == 1 and numbering.tables == 0
    assert 'alt="A line going up."' in html and "<details" in html and "Data for figure 1: Up" in html
    assert re.search(r'<img src="data:image/png;base64,[^"]+" alt="[^"]+" width="\d+" height="\d+">', html)


def test_headings_below_h1_only():
    with pytest.raises(ValueError, match="h1"):
        display.heading("Title", level=1)
    assert display.heading("What this update can show").data == (
        '<h2 id="what-this-update-can-show">What this update can show</h2>'
    )


def test_anchor_links_are_removed_and_bare_tables_wrapped():
    body = '<h2 id="Headline">Headline<a class="anchor-link" href="#Headline">¶</a></h2>'
    assert render.without_anchor_links(body) == '<h2 id="Headline">Headline</h2>'
    page = render.page(title="t", body="<table><caption>Table 1: x</caption><tr><td>1</td></tr></table>")
    assert 'role="region" aria-labelledby="wrapped-table-1-caption" tabindex="0"' in page
    assert "<script" not in page and "<link" not in page and "http" not in page


# --------------------------------------------------------------------------- notebooks stay thin


MODULES = {"process_evaluation.ipynb": process, "impact_evaluation.ipynb": impact, SUMMARY_NOTEBOOK: summary}


@pytest.mark.parametrize("name", sorted({*ACTIVITY_NOTEBOOKS.values(), SUMMARY_NOTEBOOK}))
def test_notebooks_only_call_section_functions_that_exist(name):
    notebook = nbformat.read(NOTEBOOK_DIR / name, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(c.cell_type == "code" for c in notebook.cells), "headings come from the sections, not markdown"
    assert "parameters" in code[0].metadata.get("tags", [])
    assert "section.context(" in code[1].source
    # Every report links its spreadsheets near its top and writes them as its explicit last step
    # (`evaluation.report.spreadsheets`), one call each.
    assert code[2].source.strip().splitlines()[-1] == "spreadsheets.download_links(ctx)"
    assert code[-1].source.strip().splitlines()[-1] == "spreadsheets.write(ctx)"
    code = [*code[:2], *code[3:-1]]
    if name == "impact_evaluation.ipynb":  # its explicit last step saves the machine-readable record
        assert code[-1].source.strip().splitlines()[-1] == "section.save_record(ctx)"
        code = code[:-1]
    for cell in code[2:]:
        match = re.fullmatch(r"display\(\*section\.(\w+)\(ctx\)\)", cell.source.strip())
        assert match, f"{name}: a cell does more than display a section: {cell.source!r}"
        assert callable(getattr(MODULES[name], match.group(1), None)), f"{name}: no section {match.group(1)}"
    assert len({c.id for c in notebook.cells}) == len(notebook.cells)


def test_love_plot_threshold_matches_the_matching_balance_threshold():
    from evaluation import matching

    assert getattr(matching, "SMD_THRESHOLD", 0.1) == pytest.approx(charts.SMD_THRESHOLD)
    assert np.isclose(charts.SMD_THRESHOLD, 0.1)
