"""The report across programmes (`evaluation compare FOLDER... --out OUT`): every word and chart.

The page is built directly as HTML with the report layer's helpers (`display.Numbering` for
numbered tables and charts with alt text, `render.page` for the accessible page around them),
not through a notebook: it reads only the small results of finished runs, so there is nothing to
execute and nothing a notebook would add, and one function (`compare_page`) returns the page.

What it shows, from `evaluation.compare`: what limits comparison (first, generated from the
results: designs, outcome measures, follow-ups, data dates, strength of evidence, verdicts withheld
or not significant, activities without an estimate or a stated type, value for money and reach
missing, disclosure rules); the activities side by side by type of support; forest plots of the
headline effects (one per measure, grouped by type of support, each row naming its programme);
a forest plot of benefit-cost ranges where the results hold value for money; and reach against
targets. Every sentence is built from the numbers it states.
"""

from __future__ import annotations

import textwrap
from collections import Counter
from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from evaluation.compare import (  # noqa: E402
    NOT_STATED,
    SUPPORT_TYPES,
    Activity,
    ProgrammeRun,
    effect_frame,
    ratio_frame,
    reach_frame,
    support_groups,
)
from evaluation.disclosure import SHORTHAND_NOTE  # noqa: E402
from evaluation.impact import DESIGNS  # noqa: E402
from evaluation.report import charts  # noqa: E402
from evaluation.report.display import (  # noqa: E402
    Numbering,
    bullets,
    escape,
    heading,
    headline,
    paragraph,
)
from evaluation.report.formatting import and_list, long_date, pp_interval  # noqa: E402
from evaluation.report.render import page  # noqa: E402
from evaluation.report.summary import WITHHELD, headline_of  # noqa: E402

TITLE = "Comparison across programmes"
MEASURE_WORDS = {
    "participants": "the chance that a participant is in work",
    "area employment rate": "the employment rate of the areas where the activity ran",
}
DESIGN_WORDS = {
    "matched_comparison": "matched comparison (participants against similar non-participants)",
    "did": "area comparison (areas where the activity ran against areas where it did not)",
    "descriptive": "descriptive only (no estimate of effect)",
}
STAGE_WORDS = {"referred": "referred", "engaged": "engaged", "started": "started support"}


# ----------------------------------------------------------------------------- words


def _count(n: int, one: str, many: str | None = None) -> str:
    """ "1 activity", "3 activities"."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _named(items: Sequence[Activity]) -> str:
    return and_list([f"{a.activity_name} in {a.programme}" for a in items])


def update_words(run: ProgrammeRun) -> str:
    """ "data to 30 June 2026, final" or "data to 31 October 2025, interim update"."""
    when = long_date(run.as_of) if run.as_of else "an unrecorded date"
    return f"data to {when}, {'interim update' if run.interim else 'final'}"


def programmes_sentence(runs: Sequence[ProgrammeRun]) -> str:
    """What is compared: the programmes, their data dates and how many activities each has."""
    parts = [
        f"{run.name} ({_count(len(run.activities), 'activity', 'activities')}; {update_words(run)})"
        for run in runs
    ]
    return f"This report compares {len(runs)} programmes: {and_list(parts)}."


def design_limit(runs: Sequence[ProgrammeRun]) -> str:
    """How many activities each design covers (and how many have no impact record)."""
    found = [a for run in runs for a in run.activities]
    counts = Counter(a.design for a in found if a.record is not None)
    listed = [f"{_count(n, 'activity', 'activities')} {'' if d == 'descriptive' else 'by '}{DESIGN_WORDS.get(d, DESIGNS[d].label if d in DESIGNS else d)}"
              for d, n in sorted(counts.items(), key=lambda kv: list(DESIGN_WORDS).index(kv[0]) if kv[0] in DESIGN_WORDS else 9)]  # fmt: skip
    if len(counts) == 1:
        (design,) = counts
        text = f"Every activity with results uses the same design, {DESIGN_WORDS.get(design, design)}."
    else:
        text = f"The results come from different designs: {and_list(listed)}."
    counterfactual = [DESIGNS[d].label.lower() for d in ("matched_comparison", "did") if d in counts]
    if counterfactual and "descriptive" in counts:
        text += f" Only the {and_list([f'{c}s' for c in counterfactual])} estimate an effect against a counterfactual."
    return text


def measure_limit(effects: pd.DataFrame) -> str:
    """The outcome each effect measures; empty when there are no effects."""
    if effects.empty:
        return ""
    counts = Counter(effects["measure"])
    if len(counts) == 1:
        (measure,) = counts
        return f"Every effect shown measures the same outcome: {MEASURE_WORDS.get(measure, measure)}."
    parts = [
        f"{_count(n, 'effect')} {'measures' if n == 1 else 'measure'} {MEASURE_WORDS.get(m, m)}"
        for m, n in counts.items()
    ]
    return (
        f"Outcome definitions differ: {and_list(parts)}. These are not on the same scale, so each has its own "
        "forest plot and they should not be ranked against each other."
    )


def horizon_limit(effects: pd.DataFrame) -> str:
    """The follow-ups (months after referral) the headline effects are measured at."""
    timed = effects[effects["horizon"].notna()] if not effects.empty else effects
    if timed.empty:
        return ""
    by_horizon = {int(float(str(h))): group for h, group in timed.groupby("horizon")}
    if len(by_horizon) == 1:
        (months,) = by_horizon
        return f"Every effect on participants is measured {months} months after referral."
    parts = [
        f"{months} months for {_count(len(group), 'activity', 'activities')} ({and_list(sorted(set(group['programme'])))})"
        for months, group in sorted(by_horizon.items())
    ]
    return (
        f"Follow-up differs: each activity is judged at the longest time after referral its participants have been "
        f"followed, which is {and_list(parts)}. An effect at 6 months is not comparable with one at 12."
    )


def date_limit(runs: Sequence[ProgrammeRun]) -> str:
    """The data dates, and which runs are interim updates."""
    dates = {run.as_of for run in runs}
    interim = [run.name for run in runs if run.interim]
    if len(dates) == 1:
        text = f"Every programme's data run to {long_date(next(iter(dates)))}."
    else:
        text = (
            "The data run to different dates: "
            + and_list([f"{run.name} to {long_date(run.as_of)}" for run in runs])
            + "."
        )
    if interim:
        text += (
            f" {and_list(interim)} {'is an interim update' if len(interim) == 1 else 'are interim updates'}: "
            "figures are provisional and will change as more people are followed for longer."
        )
    return text


def evidence_limit(runs: Sequence[ProgrammeRun]) -> str:
    """The strength of evidence (Maryland scale levels) of the estimates compared."""
    levels = Counter(
        int(a.record.evidence_level)
        for run in runs
        for a in run.activities
        if a.record is not None and a.record.evidence_level and headline_of(a.record) is not None
    )
    if not levels:
        return "No activity has an impact estimate with a rating on the Maryland Scientific Methods Scale."
    parts = [
        f"level {level} for {_count(n, 'activity', 'activities')}"
        for level, n in sorted(levels.items(), reverse=True)
    ]
    if len(levels) == 1:
        return f"Every estimate rated has the same strength of evidence: {parts[0]} (of 5 on the Maryland Scientific Methods Scale)."
    return (
        f"The strength of evidence differs (Maryland Scientific Methods Scale, of 5): {and_list(parts)}. A weaker "
        "design can be biased in either direction."
    )


def verdict_limit(effects: pd.DataFrame) -> list[str]:
    """Verdicts withheld and effects not significant, named."""
    if effects.empty:
        return []
    said = []
    withheld = effects[effects["verdict"] == WITHHELD]
    if len(withheld):
        said.append(
            f"{_count(len(withheld), 'activity has its', 'activities have their')} verdict withheld because the "
            f"comparison group was not credible ({and_list([f'{r.activity_name} in {r.programme}' for r in _rows(withheld)])}): "
            "their estimates are shown as evidence only and should not be compared."
        )
    not_significant = effects[effects["verdict"] == "not significant"]
    if len(not_significant):
        said.append(
            f"{_count(len(not_significant), 'effect is', 'effects are')} not statistically significant "
            f"({and_list([f'{r.activity_name} in {r.programme}' for r in _rows(not_significant)])}): "
            "an interval that includes zero is not evidence that the activity made no difference."
        )
    return said


def not_estimated_limit(runs: Sequence[ProgrammeRun]) -> str:
    """Activities without a headline effect (descriptive, too few people, failed or missing)."""
    without = [a for run in runs for a in run.activities if a.record is None or headline_of(a.record) is None]
    if not without:
        return ""
    by_programme = Counter(a.programme for a in without)
    parts = [f"{n} in {programme}" for programme, n in by_programme.items()]
    return (
        f"{_count(len(without), 'activity has', 'activities have')} no impact estimate ({and_list(parts)}): "
        "descriptive by design, too few participants followed so far, or no record left by the run; the tables "
        "below give each one's reason."
    )


def type_limit(runs: Sequence[ProgrammeRun]) -> str:
    """Activities whose type of support is not stated, and programmes whose types could not be read."""
    unread = [run.name for run in runs if not run.support_source]
    blank = [a for run in runs if run.support_source for a in run.activities if not a.support_type]
    said = []
    if blank:
        said.append(
            f"{_count(len(blank), 'activity does', 'activities do')} not state a type of support in the delivery plan "
            f"and {'is' if len(blank) == 1 else 'are'} listed as '{NOT_STATED}': {_named(blank)}."
        )
    if unread:
        said.append(
            f"The type of support could not be read for {and_list(unread)}: the results do not hold it and the input "
            "folder the run used is no longer there or has changed since, so every activity there is listed as "
            f"'{NOT_STATED}'."
        )
    return " ".join(said)


def money_limit(runs: Sequence[ProgrammeRun]) -> str:
    """Which programmes' results hold value for money."""
    without = [run.name for run in runs if not run.has_value_for_money]
    if not without:
        return ""
    if len(without) == len(runs):
        return (
            "No programme's results hold a value-for-money appraisal, so no benefit-cost ranges are compared."
        )
    return (
        f"No activity of {and_list(without)} has a value-for-money appraisal in the results (there is none without "
        "an estimate of net additional people in work, or where the verdict is withheld), so benefit-cost ranges "
        "are compared only for the others."
    )


def reach_limit(runs: Sequence[ProgrammeRun], reach: pd.DataFrame) -> str:
    """Programmes without reach figures, and targets that count different stages."""
    said = []
    without = [run.name for run in runs if not run.has_reach]
    if without:
        said.append(
            f"The results of {and_list(without)} hold no reach figures (they were written before results files), so "
            + (
                "no reach against target is shown."
                if len(without) == len(runs)
                else "reach against target is shown only for the others."
            )
        )
    if not reach.empty and reach["target_stage"].nunique() > 1:
        parts = [
            f"{STAGE_WORDS.get(str(stage), str(stage))} for {_count(len(group), 'activity', 'activities')}"
            for stage, group in reach.groupby("target_stage", sort=True)
        ]
        said.append(f"Participant targets count different stages: people {and_list(parts)}.")
    return " ".join(said)


def disclosure_limit(runs: Sequence[ProgrammeRun]) -> str:
    rules = {run.disclosure for run in runs if run.disclosure}
    if len(rules) > 1:
        return (
            "The runs used different disclosure rules, so small counts are hidden or rounded differently: "
            + "; ".join(f"{run.name}: {run.disclosure}" for run in runs if run.disclosure)
        )
    return ""


def limits(runs: Sequence[ProgrammeRun]) -> list[str]:
    """The plain statement of what limits comparison, one sentence (or two) per limit that applies."""
    effects, reach = effect_frame(runs), reach_frame(runs)
    found = [
        design_limit(runs),
        measure_limit(effects),
        horizon_limit(effects),
        date_limit(runs),
        evidence_limit(runs),
        *verdict_limit(effects),
        not_estimated_limit(runs),
        type_limit(runs),
        money_limit(runs),
        reach_limit(runs, reach),
        disclosure_limit(runs),
        "Programmes serve different people in different places: an activity working with people further from work "
        "can show a smaller effect and still be worthwhile.",
    ]
    return [s for s in found if s]


def group_sentence(label: str, found: Sequence[Activity]) -> str:
    """One type of support in words: how many activities in which programmes, and their verdicts."""
    programmes = list(dict.fromkeys(a.programme for a in found))
    heads = [headline_of(a.record) for a in found if a.record is not None]
    verdicts = Counter(h.verdict for h in heads if h is not None)
    estimated = sum(verdicts.values())
    text = (
        f"{label}: {_count(len(found), 'activity', 'activities')} in "
        f"{_count(len(programmes), 'programme')} ({and_list(programmes)})."
    )
    if not estimated:
        return text + " None has an impact estimate."
    order = ["significant increase", "significant decrease", "not significant", WITHHELD]
    parts = [f"{verdicts[v]} {v}" for v in order if verdicts[v]]
    none = len(found) - estimated
    return (
        text
        + f" {estimated} {'has an' if estimated == 1 else 'have an'} impact estimate ({and_list(parts)})"
        + (f"; {none} {'has' if none == 1 else 'have'} none." if none else ".")
    )


def ratio_text(
    low: float | None, central: float | None, high: float | None, presented: bool, verdict: str = ""
) -> str:
    """A benefit-cost range as a table shows it: "1.2 to 3.4 (central 2.1)", or why there is none
    (`verdict`, the effect's): "[z] no ratio (effect not significant)", "[z] no ratio (negative
    effect)". A ratio from the top of an interval that includes zero would imply a return."""
    if not presented or low is None or central is None or high is None:
        why = "effect not significant" if verdict == "not_significant" else "negative effect"
        return f"[z] no ratio ({why})"
    return f"{low:.1f} to {high:.1f} (central {central:.1f})"


# ----------------------------------------------------------------------------- tables


def reach_text(activity: Activity) -> str:
    reach = activity.reach
    if reach is None:
        return "[x]"
    if not reach.target:
        return "[z]"
    percent = reach.percent
    shown = f"{percent:.0f}%" if isinstance(percent, int | float) else str(percent)
    return f"{shown} of {reach.target:,} {STAGE_WORDS.get(reach.target_stage, reach.target_stage)}"


def group_table(found: Sequence[Activity]) -> pd.DataFrame:
    """The activities of one type of support side by side."""
    rows = []
    for a in found:
        rec = a.record
        head = headline_of(rec) if rec is not None else None
        design = DESIGNS[a.design].label if a.design in DESIGNS else "[x]"
        if head is not None and rec is not None:
            effect, verdict, follow_up = head.interval, head.verdict, head.follow_up
        else:
            reason = (rec.reason if rec is not None else a.missing_reason) or "no impact record"
            effect, verdict, follow_up = "[z]", f"Not estimated: {reason.rstrip('.')}", "[z]"
        level = rec.evidence_level if rec is not None and head is not None else None
        ratio = (
            ratio_text(a.ratio.low, a.ratio.central, a.ratio.high, a.ratio.presented, a.ratio.verdict)
            if a.ratio is not None
            else "[z]"
        )
        rows.append(
            {
                "Programme": a.programme,
                "Activity": a.activity_name,
                "Design": design,
                "Headline follow-up": follow_up,
                "Effect, percentage points (95% CI)": effect,
                "Verdict": verdict,
                "Strength of evidence (Maryland scale)": f"Level {level} of 5" if level else "[z]",
                "Benefit-cost ratio (low to high)": ratio,
                "Reach: per cent of participant target": reach_text(a),
            }
        )
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- charts


def _rows(frame: pd.DataFrame) -> list[Any]:
    """A frame's rows as named tuples (their fields have several types)."""
    return list(frame.itertuples())


def _grouped_positions(frame: pd.DataFrame, sort: str) -> tuple[pd.DataFrame, list[tuple[float, str]]]:
    """Rows ordered by type of support (then `sort`, largest first) with a y position each, top down,
    and the group headings' positions."""
    order = {label: i for i, label in enumerate([*SUPPORT_TYPES.values(), NOT_STATED])}
    data = frame.assign(_group=frame["support_type"].map(order).fillna(len(order)))
    data = data.sort_values(["_group", sort, "label"], ascending=[True, False, True], kind="stable")
    y, headings, positions = 0.0, [], []
    for _, group in data.groupby("_group", sort=True):
        headings.append((y, str(group["support_type"].iloc[0])))
        y -= 0.8
        for _ in range(len(group)):
            positions.append(y)
            y -= 1
        y -= 0.2
    return data.assign(y=positions).drop(columns="_group").reset_index(drop=True), headings


def _height(data: pd.DataFrame, headings) -> float:
    """Inches for a grouped chart: about 0.7 for each unit of its vertical span (a row is one)."""
    top = max([0.0, *(p for p, _ in headings)])
    bottom = min([top, *data["y"]])
    return 0.72 * (top - bottom + 1.1) + 1.2


def chart_label(label: str, programme: str, width: int = 46) -> str:
    """A row's label for a chart: the activity (and follow-up), then its programme on the next line,
    each wrapped to `width` characters, so long names do not squeeze the plot."""
    own = label.removeprefix(f"{programme}: ")
    return "\n".join([*textwrap.wrap(own, width), *textwrap.wrap(programme, width)])


def _label_axis(ax, data: pd.DataFrame, headings) -> None:
    ticks = [*(p for p, _ in headings), *data["y"]]
    rows = [chart_label(str(r.label), str(r.programme)) for r in _rows(data)]
    labels = [*(h for _, h in headings), *rows]
    ax.set_yticks(ticks, labels)
    for tick, is_heading in zip(
        ax.get_yticklabels(), [True] * len(headings) + [False] * len(data), strict=True
    ):
        if is_heading:
            tick.set_fontweight("bold")
    ax.set_ylim(min(ticks) - 0.6, max(ticks) + 0.5)


def grouped_forest(frame: pd.DataFrame, *, xlabel: str) -> plt.Figure:
    """Effects with intervals (percentage points), grouped by type of support under bold headings:
    filled squares significant, hollow not, dashed grey lines for a withheld verdict; each row's
    estimate, interval and verdict written beside it; a line at zero."""
    data, headings = _grouped_positions(frame, "estimate")
    fig, ax = plt.subplots(figsize=(9, _height(data, headings)))
    ax.axvline(0, color=charts.GREY, linewidth=1.2)
    for row in _rows(data):
        withheld = row.verdict == WITHHELD
        ax.hlines(row.y, row.ci_lower, row.ci_upper, color=charts.GREY if withheld else charts.MAIN, linewidth=1.6,
                  linestyles="dashed" if withheld else "solid")  # fmt: skip
        filled = row.verdict in charts.FOREST_SIGNIFICANT
        ax.scatter([row.estimate], [row.y], marker="s", s=50, zorder=3, color=charts.MAIN if filled else "white",
                   edgecolors=charts.MAIN, linewidths=1.5)  # fmt: skip
        ax.annotate(f"{pp_interval(row.estimate, row.ci_lower, row.ci_upper, scale=1.0)}, {row.verdict}", (1.0, row.y),
                    xycoords=("axes fraction", "data"), xytext=(8, 0), textcoords="offset points", va="center",
                    fontsize=9)  # fmt: skip
    low, high = np.nanmin([*data["ci_lower"], 0.0]), np.nanmax([*data["ci_upper"], 0.0])
    width = (high - low) or 1.0
    ax.set_xlim(low - 0.05 * width, high + 0.05 * width)
    _label_axis(ax, data, headings)
    ax.set_xlabel(xlabel)
    charts._style(ax)
    return fig  # no tight_layout: the page's savefig crops to the labels beside the plot


def ratio_chart(frame: pd.DataFrame) -> plt.Figure:
    """Benefit-cost ranges (low to high case) grouped by type of support, with the central case a
    filled square, for the activities with a ratio presented (an effect that is not significant or is
    negative has none: the words give the reason); a dashed line at 1 (benefits equal costs)."""
    shown = _presented(frame)
    data, headings = _grouped_positions(shown.assign(_sort=shown["high"]), "_sort")
    fig, ax = plt.subplots(figsize=(9, _height(data, headings)))
    ax.axvline(1, color=charts.CATEGORICAL[2], linestyle="--", linewidth=1.3)
    for row in _rows(data):
        ax.hlines(row.y, row.low, row.high, color=charts.MAIN, linewidth=1.8)
        ax.scatter([row.central], [row.y], marker="s", s=50, color=charts.MAIN, zorder=3)
        ax.annotate(ratio_text(row.low, row.central, row.high, True), (1.0, row.y),
                    xycoords=("axes fraction", "data"), xytext=(8, 0), textcoords="offset points", va="center",
                    fontsize=9)  # fmt: skip
    top = max(float(np.nanmax([*data["high"], 1.0])), 1.0)
    ax.set_xlim(0, top * 1.08)
    ax.text(1, max(data["y"].max(), 0) + 0.5, " 1: benefits equal costs", color=charts.CATEGORICAL[2], fontsize=9,
            va="bottom")  # fmt: skip
    _label_axis(ax, data, headings)
    ax.set_xlabel("Benefit-cost ratio (public value of benefits per pound of cost), low to high case")
    charts._style(ax)
    return fig  # no tight_layout: the page's savefig crops to the labels beside the plot


def forest_alt(frame: pd.DataFrame, what: str) -> str:
    """Alt text for a grouped forest plot, from its numbers."""
    data, _ = _grouped_positions(frame, "estimate")
    groups = []
    for label, group in data.groupby("support_type", sort=False):
        rows = "; ".join(
            f"{r.label} {pp_interval(r.estimate, r.ci_lower, r.ci_upper, scale=1.0)}, {r.verdict}"
            for r in _rows(group)
        )
        groups.append(f"{label}: {rows}")
    return (
        f"Forest plot of {_count(len(data), 'effect')} on {what}, in percentage points with 95% intervals, grouped by "
        f"type of support, with a line at zero. " + ". ".join(groups) + "."
    )


def _presented(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows with a ratio presented (low, central and high given)."""
    given = frame["low"].notna() & frame["central"].notna() & frame["high"].notna()
    return frame[frame["presented"].astype(bool) & given]


def ratio_alt(frame: pd.DataFrame) -> str:
    shown = _presented(frame)
    data, _ = _grouped_positions(shown.assign(_sort=shown["high"]), "_sort")
    groups = []
    for label, group in data.groupby("support_type", sort=False):
        rows = "; ".join(f"{r.label} {ratio_text(r.low, r.central, r.high, True)}" for r in _rows(group))
        groups.append(f"{label}: {rows}")
    return (
        f"Range chart of {_count(len(data), 'benefit-cost ratio')} from the low to the high case, grouped by type of "
        "support, with a dashed line at 1 where benefits equal costs. " + ". ".join(groups) + "."
    )


# ----------------------------------------------------------------------------- sections


def _forest_title(frame: pd.DataFrame, what: str) -> str:
    up = frame[frame["verdict"] == "significant increase"]
    if up.empty:
        return f"No activity compared shows a significant increase in {what}"
    return (
        f"{_count(len(up), 'activity', 'activities')} of {len(frame)} compared "
        f"{'shows' if len(up) == 1 else 'show'} a significant increase in {what}"
    )


def effects_section(runs: Sequence[ProgrammeRun], numbering: Numbering) -> list[str]:
    effects = effect_frame(runs)
    out = [heading("Effects on employment by type of support").data]
    if effects.empty:
        return [*out, paragraph("No activity compared has an impact estimate.").data]
    span = and_list([run.name for run in runs])
    for measure, frame in effects.groupby("measure", sort=False):
        words = MEASURE_WORDS.get(str(measure), str(measure))
        title = _forest_title(frame, words)
        out.append(
            numbering.figure(
                grouped_forest(frame, xlabel=f"Effect on {words}, percentage points (95% interval)"),
                title=title,
                subtitle=f"Headline effect on {words} by activity, grouped by type of support, {span}",
                alt=forest_alt(frame, words) + " The numbers are in the tables by type of support.",
            ).data
        )
    return out


def ratio_sentence(ratios: pd.DataFrame) -> str:
    """How many activities have an appraisal, how many a ratio, and where their ranges lie against 1."""
    text = f"{_count(len(ratios), 'activity has', 'activities have')} a value-for-money appraisal."
    shown = _presented(ratios)
    if shown.empty:
        text += (
            " None has a benefit-cost ratio presented: each effect valued is not statistically significant or is "
            "negative, so a ratio would imply a return the evidence does not show."
        )
    else:
        above = int((shown["low"] >= 1).sum())
        below = int((shown["high"] < 1).sum())
        spans = len(shown) - above - below
        text += (
            f" {len(shown)} {'has a ratio' if len(shown) == 1 else 'have a ratio'} presented: the range from the low "
            f"to the high case is wholly at or above 1 (benefits at least equal costs) for {above}, wholly below 1 for "
            f"{below} and spans 1 for {spans}."
        )
    return text + " Ranges come first: a ratio is not a pass or fail (Green Book)."


def ratio_section(runs: Sequence[ProgrammeRun], numbering: Numbering) -> list[str]:
    ratios = ratio_frame(runs)
    if ratios.empty:
        return []
    out = [heading("Value for money: benefit-cost ranges").data]
    drawn = _presented(ratios)
    said = [
        ratio_sentence(ratios),
        *[f"{r.activity_name} in {r.programme}: {r.reason}." for r in _rows(ratios) if r.reason],
    ]
    out.append(paragraph(*said).data)
    if not drawn.empty:
        out.append(
            numbering.figure(
                ratio_chart(ratios),
                title=f"Benefit-cost ranges of {_count(len(drawn), 'activity', 'activities')}, by type of support",
                subtitle="Benefit-cost ratio, low to high case, central case where a ratio is presented, by activity, "
                + and_list([run.name for run in runs]),
                alt=ratio_alt(ratios) + " The numbers are in the tables by type of support.",
            ).data
        )
    return out


def reach_section(runs: Sequence[ProgrammeRun], numbering: Numbering) -> list[str]:
    reach = reach_frame(runs)
    out = [heading("Reach against targets").data]
    if reach.empty:
        return [*out, paragraph("No activity compared has reach figures against a participant target.").data]
    values = [float(p) if isinstance(p, int | float) else np.nan for p in reach["percent"]]
    met = sum(1 for v in values if np.isfinite(v) and v >= 100)
    title = (
        f"{met} of {_count(len(reach), 'activity', 'activities')} with a participant target had reached it"
        if met
        else f"None of the {_count(len(reach), 'activity', 'activities')} with a participant target had reached it"
    )
    alt = (
        "Bar chart, one bar per activity, of people at the stage the target counts as a per cent of the target, with a "
        f"dashed line at 100%. {title}. "
        + "; ".join(
            f"{label}: {'[c]' if not np.isfinite(v) else f'{v:.0f}%'}"
            for label, v in zip(reach["label"], values, strict=True)
        )
        + ". The numbers are in the next table."
    )
    out.append(
        numbering.figure(
            charts.horizontal_bars(
                [chart_label(str(r.label), str(r.programme), 60) for r in _rows(reach)],
                values,
                xlabel="Per cent of the participant target reached",
                value_format="{:.0f}%",
                reference=100,
                reference_label="Target (100%)",
            ),  # fmt: skip
            title=title,
            subtitle="People at the stage each target counts as a per cent of the delivery-plan target, by activity, "
            "each programme to its own data date",
            alt=alt,
        ).data
    )
    table = pd.DataFrame(
        {
            "Activity": reach["label"],
            "Type of support": reach["support_type"],
            "Participant target": [
                f"{int(t):,} {STAGE_WORDS.get(s, s)}"
                for t, s in zip(reach["target"], reach["target_stage"], strict=True)
            ],
            "People at that stage (rounded)": [str(r) if r is not None else "[x]" for r in reach["reached"]],
            "Per cent of target": [
                f"{p:.0f}" if isinstance(p, int | float) else str(p) for p in reach["percent"]
            ],
        }
    )
    out.append(
        numbering.table(
            table,
            title="Reach against each activity's participant target",
            note="As each programme's own results publish them: people rounded, per cent of target worked out from "
            "the rounded number. " + SHORTHAND_NOTE,
        ).data
    )
    programme_targets = [
        f"{run.name}: programme target of {target:,} {'job outcomes' if stage == 'job_outcomes' else 'residents ' + STAGE_WORDS.get(stage, stage)}, "
        f"{run.percent_of_target.get(stage)}{'%' if isinstance(run.percent_of_target.get(stage), int | float) else ''} reached."
        for run in runs
        for stage, target in run.targets.items()
    ]
    if programme_targets:
        out.append(bullets(programme_targets).data)
    return out


def by_type_section(runs: Sequence[ProgrammeRun], numbering: Numbering) -> list[str]:
    out = [
        heading("Comparable activities side by side, by type of support").data,
        paragraph(
            "Activities are grouped by the type of support their delivery plan states: "
            + and_list([label.lower() for label in SUPPORT_TYPES.values()])
            + f". An activity whose plan states none is listed under '{NOT_STATED}'."
        ).data,
    ]
    for label, found in support_groups(runs):
        out.append(heading(label[:1].upper() + label[1:], level=3).data)
        out.append(paragraph(group_sentence(label[:1].upper() + label[1:], found)).data)
        out.append(
            numbering.table(
                group_table(found),
                title=f"{label[:1].upper() + label[1:]}: activities side by side",
                note="Effect: the headline effect of each activity's own impact report, at its own follow-up, in "
                "percentage points. Benefit-cost ratio: present value of benefits per pound of cost, low to high case; "
                "no ratio where the effect is not significant (the range then starts at 0). Reach: people at the stage "
                "the target counts, per cent of the target. [z]: not applicable. [x]: not in the results.",
            ).data
        )
    return out


def compare_page(runs: Sequence[ProgrammeRun]) -> str:
    """The whole report across programmes as one self-contained HTML page."""
    numbering = Numbering()
    names = [run.name for run in runs]
    body = [
        f"<h1>{escape(TITLE)}: {len(runs)} programmes</h1>",
        headline(programmes_sentence(runs)).data,
        heading("What limits comparison").data,
        bullets(limits(runs)).data,
        *by_type_section(runs, numbering),
        *effects_section(runs, numbering),
        *ratio_section(runs, numbering),
        *reach_section(runs, numbering),
        heading("Where these results come from").data,
        numbering.table(
            pd.DataFrame(
                {
                    "Programme": names,
                    "Results folder": [run.folder.name for run in runs],
                    "Data to": [long_date(run.as_of) if run.as_of else "[x]" for run in runs],
                    "Update": ["Interim" if run.interim else "Final" for run in runs],
                    "Results schema": [run.schema for run in runs],
                    "Activities": [len(run.activities) for run in runs],
                }
            ),
            title="The runs compared",
            note="Each programme's reports are in its results folder. Counts follow each run's disclosure control.",
        ).data,
        paragraph(*dict.fromkeys(run.disclosure for run in runs if run.disclosure), css_class="note").data,
    ]
    return page(
        title=f"{TITLE}: {and_list(names)}",
        body="\n".join(body),
        banner="Evaluation of employment support: comparison across programmes",
        footer="Produced by the evaluation toolkit from each run's published results. Aggregates only; counts passed "
        "disclosure control in each run.",
    )


__all__ = [
    "compare_page",
    "date_limit",
    "design_limit",
    "evidence_limit",
    "group_sentence",
    "group_table",
    "horizon_limit",
    "limits",
    "measure_limit",
    "money_limit",
    "not_estimated_limit",
    "programmes_sentence",
    "ratio_text",
    "reach_limit",
    "type_limit",
    "verdict_limit",
]
