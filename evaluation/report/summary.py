"""Sections of the programme summary: every activity side by side.

For each activity: reach against target, progression into work (cohort rate from referral to a
job start), the impact estimate with its interval (forest plot), net additional outcomes, spend
per person and per net additional outcome, and the strength of evidence, so DWP can see what
worked, for whom and at what cost.

Impact estimates come from the small aggregate files each impact report leaves in the output
folder (`evaluation.report.impact.write_record`), used only when they were computed from the same
inputs, as-of date and seed. When a file is missing or stale (an impact report failed, or was not
rerun), the summary recomputes that activity's estimate itself; if that fails too, the activity is
listed with the reason and the rest of the summary is unaffected.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from IPython.display import HTML

from evaluation import funnel as funnel_module
from evaluation.disclosure import (
    DEFAULT_POLICY,
    SHORTHAND_NOTE,
    SUPPRESSED,
    DisclosurePolicy,
    safe_count,
    safe_percent,
)
from evaluation.impact import estimate_activity
from evaluation.programme import Programme, load_programme
from evaluation.report import charts
from evaluation.report.display import (
    Numbering,
    bullets,
    escape,
    heading,
    headline,
    link_list,
    paragraph,
    warning,
)
from evaluation.report.formatting import long_date, money, month_year
from evaluation.report.impact import ALPHA, HORIZONS, RECORD_SCHEMA, record, record_path, signed, verdict
from evaluation.report.process import (
    COHORT_WEEKS,
    PRIORITY_COHORTS,
    months_since_start,
    programme_start,
    update_label,
)
from evaluation.report.provenance import provenance

SUMMARY_COHORTS = (
    "Long-term health condition",
    "Disabled",
    "Carers",
    "Young people (16 to 24)",
    "Aged 50 and over",
    "Women",
    "Ethnic minority groups",
)
DESIGN_LABELS = {
    "matched_comparison": "Matched comparison",
    "did": "Area comparison",
    "descriptive": "Descriptive",
}


@dataclass
class SummaryContext:
    """The programme, every activity's delivery figures and impact record, and report settings."""

    programme: Programme
    delivery: pd.DataFrame
    records: dict[str, dict]
    sources: dict[str, str]
    policy: DisclosurePolicy = DEFAULT_POLICY
    numbering: Numbering = field(default_factory=Numbering)
    interim: bool = False
    parameters: dict = field(default_factory=dict)
    output_dir: str | None = None

    @property
    def as_of(self) -> pd.Timestamp:
        return self.programme.as_of


def context(
    programme_path: str,
    as_of: str | None = None,
    *,
    output_dir: str | None = None,
    seed: int | None = 2025,
    policy: DisclosurePolicy = DEFAULT_POLICY,
) -> SummaryContext:
    """Load the programme and gather every activity's delivery figures and impact record."""
    programme = load_programme(programme_path, as_of=as_of or None)
    records, sources = {}, {}
    for activity_id in programme.activity_ids:
        records[activity_id], sources[activity_id] = impact_record(
            programme, activity_id, output_dir=output_dir, seed=seed, as_of=as_of, policy=policy
        )
    return SummaryContext(
        programme=programme,
        delivery=delivery_table(programme, policy=policy),
        records=records,
        sources=sources,
        policy=policy,
        interim=bool(as_of),
        parameters={"programme_path": programme_path, "as_of": as_of or "", "seed": seed},
        output_dir=output_dir,
    )


def computed_from(programme: Programme, *, seed: int | None, as_of: str | None) -> dict:
    return {
        "input_hashes": dict(programme.input_hashes),
        "as_of": programme.as_of.date().isoformat(),
        "interim_as_of": as_of or "",
        "seed": seed,
    }


def read_record(path: Path, expected: dict) -> dict | None:
    """An impact record from `path` if it exists, parses and was computed from `expected`."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if (
        not isinstance(data, dict)
        or data.get("schema") != RECORD_SCHEMA
        or data.get("computed_from") != expected
    ):
        return None
    return data


def impact_record(
    programme: Programme,
    activity_id: str,
    *,
    output_dir: str | None,
    seed: int | None,
    as_of: str | None,
    policy: DisclosurePolicy = DEFAULT_POLICY,
) -> tuple[dict, str]:
    """One activity's impact record and where it came from ("impact report", "recomputed" or "failed")."""
    expected = computed_from(programme, seed=seed, as_of=as_of)
    if output_dir:
        found = read_record(record_path(output_dir, activity_id), json.loads(json.dumps(expected)))
        if found is not None:
            return found, "impact report"
    plan = programme.plan(activity_id)
    try:
        impact = estimate_activity(
            programme, activity_id, policy=policy, seed=seed, alpha=ALPHA, horizons=HORIZONS
        )
        return record(impact, programme, seed=seed, as_of=as_of, policy=policy), "recomputed"
    except Exception as error:  # noqa: BLE001 - one activity must not stop the summary
        return {
            "activity_id": activity_id,
            "activity_name": str(plan["activity_name"]),
            "design": str(plan["impact_design"]),
            "status": "failed",
            "reason": f"the estimate could not be computed ({type(error).__name__})",
            "evidence_level": None,
            "evidence_label": "",
            "headline": None,
            "horizons": [],
            "n_participants": None,
            "spend_gbp": None,
        }, "failed"


def delivery_table(programme: Programme, *, policy: DisclosurePolicy = DEFAULT_POLICY) -> pd.DataFrame:
    """Exact delivery figures per activity (published only through disclosure control):
    target, referred, started support, cohort job-start rate and interval, budget, spend."""
    rows = []
    stages = [(s.name, s.column, s.label) for s in programme.stages]
    for _, plan in programme.delivery_plan.iterrows():
        activity_id = plan["activity_id"]
        people = programme.participants_of(activity_id)
        spend = programme.spend_of(activity_id)
        row = {
            "activity_id": activity_id,
            "activity_name": str(plan["activity_name"]),
            "priority": str(plan["priority"]),
            "design": str(plan["impact_design"]),
            "target": float(plan["target_participants"]) if pd.notna(plan["target_participants"]) else np.nan,
            "referred": len(people),
            "started": int(people["started_date"].notna().sum()) if not people.empty else 0,
            "budget": float(plan["budget_gbp"]),
            "spend": float(pd.to_numeric(spend["spend_gbp"]).sum()) if not spend.empty else 0.0,
            "job_cohort_n": 0,
            "job_cohort_reached": 0,
            "job_rate": np.nan,
            "job_lower": np.nan,
            "job_upper": np.nan,
        }
        for cohort in SUMMARY_COHORTS:
            row[cohort] = int(PRIORITY_COHORTS[cohort](people).sum()) if not people.empty else 0
        if not people.empty:
            try:
                table = funnel_module.funnel(people, stages=stages, as_of=programme.as_of).table
                job = table[(table["group"] == funnel_module.ALL) & (table["stage"] == "job_start")]
                if not job.empty:
                    first = job.iloc[0]
                    row |= {
                        "job_cohort_n": int(first["cohort_n"]),
                        "job_cohort_reached": int(first["cohort_reached"]),
                        "job_rate": float(first["cohort_rate"]),
                        "job_lower": float(first["cohort_lower"]),
                        "job_upper": float(first["cohort_upper"]),
                    }
            except Exception:  # noqa: BLE001, S110 - a funnel problem leaves the rate not available
                pass
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- helpers


def common_horizon(records: dict[str, dict]) -> int | None:
    """The longest follow-up (months) reportable for every participant-level estimate, so that
    activities are compared at the same point; None when no activity has an estimate."""
    heads = [r["headline"]["horizon"] for r in records.values() if _estimated_matched(r)]
    return min(heads) if heads else None


def _estimated_matched(rec: dict) -> bool:
    return (
        rec.get("design") == "matched_comparison"
        and rec.get("status") == "estimated"
        and bool(rec.get("headline"))
    )


def _estimated_area(rec: dict) -> bool:
    return rec.get("design") == "did" and rec.get("status") == "estimated" and bool(rec.get("headline"))


def _at(rec: dict, horizon: int | None) -> dict | None:
    for entry in rec.get("horizons", []):
        if (
            entry.get("horizon") == horizon
            and entry.get("reportable")
            and entry.get("estimate_pp") is not None
        ):
            return entry
    return None


def forest_frame(records: dict[str, dict], horizon: int | None) -> pd.DataFrame:
    """Participant-level estimates at `horizon` (percentage points) for the forest plot."""
    rows = []
    for rec in records.values():
        entry = _at(rec, horizon) if _estimated_matched(rec) else None
        if entry is not None:
            rows.append(
                {
                    "label": rec["activity_name"],
                    "estimate": entry["estimate_pp"],
                    "ci_lower": entry["ci_lower_pp"],
                    "ci_upper": entry["ci_upper_pp"],
                }
            )
    return pd.DataFrame(rows, columns=["label", "estimate", "ci_lower", "ci_upper"])


def area_frame(records: dict[str, dict]) -> pd.DataFrame:
    rows = [
        {
            "label": rec["activity_name"],
            "estimate": rec["headline"]["estimate_pp"],
            "ci_lower": rec["headline"]["ci_lower_pp"],
            "ci_upper": rec["headline"]["ci_upper_pp"],
        }
        for rec in records.values()
        if _estimated_area(rec)
    ]
    return pd.DataFrame(rows, columns=["label", "estimate", "ci_lower", "ci_upper"])


def _names(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _interval(entry: dict) -> str:
    return (
        f"{signed(entry['estimate_pp'])} ({signed(entry['ci_lower_pp'])} to {signed(entry['ci_upper_pp'])})"
    )


# --------------------------------------------------------------------------- sections


def title_block(ctx: SummaryContext) -> list:
    return [
        HTML(f"<h1>Programme summary: {escape(ctx.programme.name)}</h1>"),
        paragraph(
            f"Every activity side by side · {update_label(ctx.programme, ctx.interim)} · {ctx.programme.name}",
            css_class="note",
        ),
    ]


def headline_section(ctx: SummaryContext) -> list:
    records, delivery = ctx.records, ctx.delivery
    horizon = common_horizon(records)
    forest = charts.forest_data(forest_frame(records, horizon)) if horizon else pd.DataFrame()
    individual = [r for r in records.values() if r.get("design") == "matched_comparison"]
    up = forest[forest["verdict"] == "significant increase"]["label"].tolist() if len(forest) else []
    down = forest[forest["verdict"] == "significant decrease"]["label"].tolist() if len(forest) else []
    flat = forest[forest["verdict"] == "not significant"]["label"].tolist() if len(forest) else []
    not_estimated = [r["activity_name"] for r in individual if not _estimated_matched(r)]
    texts = []
    if horizon:
        texts.append(
            f"Of {len(individual)} activities working with individual residents, {len(forest)} had enough participants "
            f"for an impact estimate. At {horizon} months after referral, "
            + (
                f"{len(up)} raised the chance of being in work by a statistically significant amount ({_names(up)})"
                if up
                else "none raised the chance of being in work by a statistically significant amount"
            )
            + (f", {len(down)} lowered it ({_names(down)})" if down else "")
            + f", and {len(flat)} showed no statistically significant difference."
        )
    else:
        texts.append(
            f"None of the {len(individual)} activities working with individual residents has enough participants "
            "followed for long enough for an impact estimate yet."
        )
    areas = [r for r in records.values() if _estimated_area(r)]
    if areas:
        significant = [r["activity_name"] for r in areas if r["headline"]["significant"]]
        texts.append(
            f"{len(areas)} system-level {'activity was' if len(areas) == 1 else 'activities were'} assessed by comparing "
            "areas: "
            + (
                f"{_names(significant)} showed a statistically significant change in the area employment rate."
                if significant
                else "none showed a statistically significant change in the area employment rate, but with few areas "
                "only large changes could be detected."
            )
        )
    with_target = delivery[delivery["target"].notna()]
    referred, started = int(delivery["referred"].sum()), int(delivery["started"].sum())
    target = int(with_target["target"].sum())
    bullets_ = [
        f"Reach: about {safe_count(referred, ctx.policy):,} referrals and about {safe_count(started, ctx.policy):,} "
        f"support starts by {long_date(ctx.as_of)}, against a combined target of {target:,} residents supported "
        f"({safe_percent(int(with_target['started'].sum()), target, ctx.policy)}% of the target).",
        f"Spend: {money(delivery['spend'].sum())} of the {money(delivery['budget'].sum())} budget to the latest "
        "month recorded.",
    ]
    if not_estimated:
        bullets_.append(
            f"No impact estimate yet for {_names(not_estimated)}: too few participants, or too few followed for long "
            "enough (see the table of impact estimates)."
        )
    failed = [r["activity_name"] for r in records.values() if r.get("status") == "failed"]
    out = [heading("Headline"), headline(*texts), bullets(bullets_)]
    if failed:
        out.append(
            warning(f"The impact estimate could not be computed for {_names(failed)}; see the table below.")
        )
    return out


def update_scope(ctx: SummaryContext) -> list:
    start = long_date(programme_start(ctx.programme))
    outcomes = ctx.programme.outcomes_monthly
    last = pd.Timestamp(outcomes["month"].max()) if not outcomes.empty else ctx.as_of
    people = ctx.programme.participants
    items = [
        f"This summary counts {months_since_start(ctx.programme)} months from the programme's start on {start} and "
        f"uses data known on {long_date(ctx.as_of)}; employment records run to {month_year(last)}."
    ]
    if ctx.interim:
        items.append(
            "It is an interim update: figures are provisional and will change as more people are referred and "
            "followed for longer."
        )
    for horizon in HORIZONS:
        cutoff = (last.to_period("M") - horizon).to_timestamp()
        months = people["referred_date"].dt.to_period("M").dt.to_timestamp()
        later = int((months > cutoff).sum())
        if later and len(people):
            share = safe_percent(later, len(people), ctx.policy)
            items.append(
                f"{horizon}-month employment outcomes are not yet observable for people referred after "
                f"{month_year(cutoff)} ({'a few' if share == SUPPRESSED else f'{share}%'} of all referrals)."
            )
    items.append(
        f"Progression into work uses cohort rates: only people referred at least {COHORT_WEEKS} weeks before "
        f"{long_date(ctx.as_of)} count, so recent referrals do not pull the rates down."
    )
    return [heading("What this update can and cannot show yet"), bullets(items)]


def reach_and_conversion(ctx: SummaryContext) -> list:
    delivery = ctx.delivery
    rows = []
    for row in delivery.itertuples():
        has_target = np.isfinite(row.target) and row.target > 0
        rate = "[z]"
        if row.referred:
            if not np.isfinite(row.job_rate) or row.job_cohort_n == 0:
                rate = "[x]"
            elif safe_percent(row.job_cohort_reached, row.job_cohort_n, ctx.policy) == SUPPRESSED:
                rate = SUPPRESSED
            else:
                rate = f"{100 * row.job_rate:.0f} ({100 * row.job_lower:.0f} to {100 * row.job_upper:.0f})"
        rows.append(
            {
                "Activity": row.activity_name,
                "Target (residents supported)": f"{int(row.target):,}" if has_target else "[z]",
                "People referred": safe_count(row.referred, ctx.policy),
                "People who started support": safe_count(row.started, ctx.policy),
                "Per cent of target started support": safe_percent(row.started, int(row.target), ctx.policy)
                if has_target
                else "[z]",
                f"Per cent starting a job within {COHORT_WEEKS} weeks (95% CI)": rate,
            }
        )
    table = pd.DataFrame(rows).set_index("Activity")
    chart = delivery[delivery["target"].notna() & (delivery["target"] > 0)].copy()
    chart["share"] = [
        np.nan if isinstance(v := safe_percent(s, int(t), ctx.policy), str) else float(v)
        for s, t in zip(chart["started"], chart["target"], strict=True)
    ]
    chart = chart.sort_values("share", ascending=False, na_position="last")
    out = [heading("Reach and progression into work")]
    if not chart.empty:
        met = int((chart["share"] >= 100).sum())
        if met:
            title = (
                f"{met} of {len(chart)} activities with a target had started support for their full target"
            )
        else:
            best = chart.dropna(subset=["share"])
            title = "No activity had yet started support for its full target" + (
                f"; the closest was {best['activity_name'].iloc[0]} at {best['share'].iloc[0]:.0f}%"
                if not best.empty
                else ""
            )
        fig = charts.horizontal_bars(
            chart["activity_name"],
            chart["share"],
            xlabel="People who started support, per cent of the delivery-plan target",
            value_format="{:.0f}%",
            reference=100,
            reference_label="Target (100%)",
        )
        out.append(
            ctx.numbering.figure(
                fig,
                title=title,
                subtitle=f"People who started support as a per cent of the target residents supported, by activity, "
                f"{ctx.programme.name}, to {long_date(ctx.as_of)}",
                alt=(
                    f"Bar chart, one bar per activity, of people who started support as a per cent of the target, with "
                    f"a dashed line at 100%. {title}. "
                    + "; ".join(
                        f"{name}: {'[c]' if not np.isfinite(v) else f'{v:.0f}%'}"
                        for name, v in zip(chart["activity_name"], chart["share"], strict=True)
                    )
                    + ". The numbers are in the next table."
                ),
            )
        )
    out.append(
        ctx.numbering.table(
            table,
            index=True,
            title=f"Reach against target and progression into work by activity, to {long_date(ctx.as_of)}",
            note=(
                f"People rounded to the nearest 5. The job-start rate is a cohort rate: among people referred at least "
                f"{COHORT_WEEKS} weeks before {long_date(ctx.as_of)}, the per cent who started a job within {COHORT_WEEKS} "
                "weeks of referral, with a Wilson 95% interval. [z]: no target, or no individual participants. "
                + SHORTHAND_NOTE
            ),
        )
    )
    return out


def impact_comparison(ctx: SummaryContext) -> list:
    records = ctx.records
    horizon = common_horizon(records)
    out = [heading("Impact on employment: every activity side by side")]
    if horizon:
        frame = forest_frame(records, horizon)
        data = charts.forest_data(frame)
        up = int((data["verdict"] == "significant increase").sum())
        title = (
            f"{'None' if up == 0 else up} of the {len(data)} activities raised the chance of being in work {horizon} "
            "months after referral by a statistically significant amount"
        )
        out.append(
            paragraph(
                f"Each activity is compared at the same point, {horizon} months after referral, so the estimates line "
                "up. The estimate is the difference in the chance of being in work between participants and matched "
                "similar people who did not take part, in percentage points; the line through each square is its 95% "
                "confidence interval. An interval that crosses zero is not statistically significant."
            )
        )
        out.append(
            ctx.numbering.figure(
                charts.forest_plot(
                    frame, xlabel="Difference in chance of being in work (percentage points)", scale=1.0
                ),
                title=title,
                subtitle=f"Effect on the per cent in work {horizon} months after referral, percentage points with 95% "
                f"intervals, by activity, largest first, {ctx.programme.name}",
                alt=(
                    "Forest plot of the estimated effect of each activity, largest first, with a line at zero. "
                    + "; ".join(
                        f"{r.label}: {r.estimate:+.1f} points ({r.ci_lower:+.1f} to {r.ci_upper:+.1f}), {r.verdict}"
                        for r in data.itertuples()
                    )
                    + "."
                ),
            )
        )
    areas = area_frame(records)
    if not areas.empty:
        data = charts.forest_data(areas)
        sig = int((data["verdict"] != "not significant").sum())
        title = (
            f"{'Neither' if len(data) == 2 and sig == 0 else ('None' if sig == 0 else sig)} of the {len(data)} "
            "system-level activities changed the area employment rate by a statistically significant amount"
        )
        out.append(
            ctx.numbering.figure(
                charts.forest_plot(
                    areas, xlabel="Difference in area employment rate (percentage points)", scale=1.0
                ),
                title=title,
                subtitle="Effect on the local-authority employment rate after the start, percentage points with 95% "
                f"intervals, system-level activities, {ctx.programme.name}",
                alt=(
                    "Forest plot of the estimated effect of each system-level activity on the area employment rate, "
                    "with a line at zero. "
                    + "; ".join(
                        f"{r.label}: {r.estimate:+.1f} points ({r.ci_lower:+.1f} to {r.ci_upper:+.1f}), {r.verdict}"
                        for r in data.itertuples()
                    )
                    + ". These are effects on a rate for whole areas, not on participants, so they are not on the "
                    "same scale as the chart above."
                ),
            )
        )
    rows = []
    for rec in records.values():
        design = DESIGN_LABELS.get(rec.get("design"), str(rec.get("design")))
        level = rec.get("evidence_level")
        evidence = f"Level {level} of 5" if level else "No impact estimate"
        if _estimated_matched(rec):
            entry = _at(rec, horizon) or {}
            effect = _interval(entry) if entry else "[x]"
            rows.append([rec["activity_name"], design, f"{horizon} months after referral", effect,
                         verdict(entry.get("ci_lower_pp", np.nan), entry.get("ci_upper_pp", np.nan)), evidence])  # fmt: skip
        elif _estimated_area(rec):
            rows.append([rec["activity_name"], design, "Quarters after the start (area employment rate)",
                         _interval(rec["headline"]), verdict(rec["headline"]["ci_lower_pp"],
                                                             rec["headline"]["ci_upper_pp"]), evidence])  # fmt: skip
        else:
            reason = str(rec.get("reason", "")).rstrip(".")
            rows.append(
                [rec["activity_name"], design, "[z]", "[z]", f"Not estimated: {reason}", "No impact estimate"]
            )
    table = pd.DataFrame(
        rows,
        columns=[
            "Activity",
            "Design",
            "Follow-up",
            "Effect, percentage points (95% CI)",
            "Verdict",
            "Strength of evidence (Maryland scale)",
        ],  # fmt: skip
    ).set_index("Activity")
    out.append(
        ctx.numbering.table(
            table,
            index=True,
            title="Impact estimate, verdict and strength of evidence for every activity",
            note=(
                "Matched comparison: participants against matched similar non-participants before and after referral "
                "(effect on the chance of being in work). Area comparison: areas where the activity ran against areas "
                "where it did not (effect on the employment rate). Level 3 of 5 on the Maryland Scientific Methods "
                "Scale: a justified comparison group with before-and-after data. [z]: not applicable. Counts of "
                f"people are rounded, so an activity shown with {ctx.policy.min_impact_n} people referred can have "
                f"fewer than the {ctx.policy.min_impact_n} needed for an estimate."
            ),
        )
    )
    recomputed = [records[a]["activity_name"] for a, s in ctx.sources.items() if s == "recomputed"]
    failed = [records[a]["activity_name"] for a, s in ctx.sources.items() if s == "failed"]
    notes = []
    if recomputed and ctx.output_dir:
        notes.append(
            f"Estimates for {_names(recomputed)} were recomputed for this summary because their impact report did not "
            "leave results from this run (for example because it failed); they use the same method and seed."
        )
    if failed:
        notes.append(f"No estimate could be computed for {_names(failed)}.")
    if notes:
        out.append(paragraph(*notes, css_class="note"))
    return out


def value_for_money(ctx: SummaryContext) -> list:
    records, delivery = ctx.records, ctx.delivery.set_index("activity_id")
    horizon = common_horizon(records)
    rows = []
    for activity_id, rec in records.items():
        d = delivery.loc[activity_id]
        per_start = money(d["spend"] / d["started"]) if d["started"] >= ctx.policy.threshold else "[z]"
        net_text, cost_text = "[z]", "[z]"
        entry = _at(rec, horizon) if _estimated_matched(rec) else None
        if entry is not None and entry.get("net_additional") is not None:
            net_text = (
                f"{entry['net_additional']:+,.0f} ({entry['net_additional_ci_lower']:+,.0f} to "
                f"{entry['net_additional_ci_upper']:+,.0f})"
            )
            cost_text = (
                f"{money(entry['cost_per_net_additional'])} ({money(entry['cost_ci_lower'])} to "
                f"{money(entry['cost_ci_upper'])})"
                if entry.get("cost_meaningful")
                else "[z] not meaningful"
            )
        rows.append(
            [rec["activity_name"], money(d["budget"]), money(d["spend"]), per_start, net_text, cost_text]
        )
    table = pd.DataFrame(
        rows,
        columns=[
            "Activity",
            "Budget",
            "Spent to date",
            "Spend per person who started support",
            f"Net additional people in work at {horizon or '[x]'} months (95% CI)",
            "Cost per net additional person in work (95% CI)",
        ],
    ).set_index("Activity")
    return [
        heading("Cost and net additional outcomes"),
        paragraph(
            "Net additional outcomes are the people in work because of the activity: the effect applied to everyone "
            "who took part, after taking off those who would have been in work anyway (deadweight, estimated from the "
            "comparison group). Cost per net additional outcome divides all spend to date by that number."
        ),
        ctx.numbering.table(
            table,
            index=True,
            title=f"Spend, net additional people in work and cost per net additional person, by activity, to "
            f"{long_date(ctx.as_of)}",
            note=(
                "Net additional outcomes are model estimates, not counts, and are not rounded. [z]: not applicable or "
                "not meaningful: no estimate, fewer than 10 people started support, or the interval of the effect "
                "includes zero, so the cost per net additional outcome could be anything up to infinite. Leakage, "
                "displacement and substitution are taken as zero and the multiplier as one."
            ),
        ),
    ]


def who_was_reached(ctx: SummaryContext) -> list:
    delivery = ctx.delivery[ctx.delivery["referred"] > 0]
    if delivery.empty:
        return []
    rows = []
    for row in delivery.to_dict("records"):
        shares = [safe_percent(int(row[c]), int(row["referred"]), ctx.policy) for c in SUMMARY_COHORTS]
        rows.append([row["activity_name"], *shares])
    table = pd.DataFrame(rows, columns=["Activity", *[f"{c} (%)" for c in SUMMARY_COHORTS]]).set_index(
        "Activity"
    )
    return [
        heading("Who each activity reached"),
        ctx.numbering.table(
            table,
            index=True,
            title=f"Per cent of each activity's participants in priority groups, to {long_date(ctx.as_of)}",
            note="A person can be in several groups. Percentages are of people referred, computed before rounding. "
            "[c]: hidden because the group is small. Effects for these groups are not estimated separately: the "
            "groups are too small at this stage.",
        ),
    ]


def methods_and_caveats(ctx: SummaryContext) -> list:
    return [
        heading("Methods, evidence and caveats"),
        bullets(
            [
                "Each activity's impact report sets out its method, the checks on its comparison group and its caveats; "
                "this summary repeats the headline estimates.",
                "Activities differ in who they serve: an activity working with people further from work can show a "
                "smaller effect and still be worthwhile. Compare like with like.",
                "Matched comparison estimates (level 3 of 5 on the Maryland Scientific Methods Scale) can still be "
                "biased by differences the data do not record, such as motivation.",
                "Area comparisons rest on few local authorities, so only large changes in the employment rate could "
                "be detected.",
                "Estimates for several activities are shown together: with many comparisons, one may look significant "
                "by chance.",
                ctx.policy.describe(),
            ]
        ),
    ]


def reports(ctx: SummaryContext) -> list:
    """Links to each activity's reports that exist in the output folder."""
    if not ctx.output_dir:
        return []
    folder = Path(ctx.output_dir)
    links = []
    for row in ctx.delivery.itertuples():
        for kind in ("process", "impact"):
            name = f"{row.activity_id}_{kind}.html"
            if (folder / name).exists():
                links.append((name, f"{kind.capitalize()} report: {row.activity_name}"))
    if not links:
        return []
    return [heading("Reports for each activity"), link_list(links)]


def about(ctx: SummaryContext) -> list:
    return [heading("About this report"), provenance(ctx.programme, parameters=dict(ctx.parameters))]
