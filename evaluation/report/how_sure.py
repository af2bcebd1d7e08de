"""The impact report's "How sure can we be" section, in words built from `evaluation.how_sure`.

It answers two questions a reviewer asks of every estimate: could a real effect have been
detected with this many people (the minimum detectable effect, beside every "not significant"
verdict), and how strong would an unrecorded difference between participants and their
comparisons have to be to overturn the verdict (Rosenbaum bounds and the E-value). Every
sentence is built from the numbers it states (`matched_sentences`, tested on its own).
"""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from scipy import stats

from evaluation.counterfactual import format_pp
from evaluation.did.few_clusters import AreaInference
from evaluation.disclosure import DisclosurePolicy, safe_count, safe_rate
from evaluation.how_sure import MatchedSureness, matched_sureness
from evaluation.multiplicity import adjusted_p_values
from evaluation.power import detectable_from_standard_error
from evaluation.report import charts
from evaluation.report.display import bullets, heading, paragraph
from evaluation.report.power_words import detectable_effect_sentence, participants_needed_sentence
from evaluation.report.sensitivity_words import honest_sentence, smoothness_sentence
from evaluation.sensitivity.honest import HonestResult

__all__ = [
    "area_part",
    "area_sentences",
    "bias_chart",
    "few_cluster_table",
    "how_sure",
    "matched_part",
    "matched_sentences",
    "outcome_table",
    "subgroup_table",
    "trends_chart",
]

TITLE = "How sure can we be"


def _points(value: float) -> str:
    shown = format_pp(value)
    return f"{shown} percentage point{'' if shown == '1' else 's'}"


def _times(value: float) -> str:
    """An E-value: one decimal place below 10."""
    return f"{value:.1f}" if value < 10 else f"{value:.0f}"


def _gamma(value: float) -> str:
    """A Rosenbaum Γ: two decimal places, as small differences from 1 matter."""
    return "more than 100" if math.isinf(value) or value > 100 else f"{value:.2f}"


def power_sentences(sureness: MatchedSureness, n_participants: int, policy: DisclosurePolicy) -> list[str]:
    """The minimum detectable effect, what it means for this verdict, and the size needed."""
    detectable = sureness.detectable
    if detectable is None:
        return ["The estimate has no standard error, so the effect it could detect is not known."]
    mde = detectable.difference
    out = [detectable_effect_sentence(n_participants, mde, policy)]
    found = f"The effect found, {_points(sureness.estimate)} {'up' if sureness.estimate >= 0 else 'down'},"
    if not sureness.significant:
        out.append(
            f"{found} is not statistically significant. An effect smaller than {_points(mde)} could have "
            "gone undetected, so this is not evidence that the activity made no difference."
        )
    elif abs(sureness.estimate) < mde:
        out.append(
            f"{found} is statistically significant but smaller than that: an analysis of this size finds an "
            "effect so small less often than 4 times in 5, so the estimate may overstate the true effect."
        )
    else:
        out.append(f"{found} is statistically significant and larger than the smallest detectable effect.")
    if detectable.participants_needed is not None:
        out.append(participants_needed_sentence(detectable.stated_effect, detectable.participants_needed))
    return out


def bias_sentences(sureness: MatchedSureness) -> list[str]:
    """Rosenbaum bounds and the E-value in words."""
    out = []
    bounds = sureness.rosenbaum
    if bounds is None:
        out.append("Too few matched participants were followed for a sensitivity analysis of hidden bias.")
    elif bounds.critical_gamma is None:
        out.append(
            "Hidden bias (Rosenbaum bounds): compared set by set, participants' change in employment does not "
            f"differ significantly from their matches' even with no hidden bias (p = {bounds.p_upper[0]:.2f}), "
            "so there is no finding for hidden bias to explain away."
        )
    else:
        gamma = bounds.critical_gamma
        out.append(
            "Hidden bias (Rosenbaum bounds): the finding holds unless something not recorded made a participant "
            f"{_gamma(gamma)} times as likely to take part as the comparison people matched to them. "
            + (
                "A difference that small could easily exist, so the finding is fragile."
                if gamma < 1.25
                else "The larger this number, the harder the finding is to explain away."
            )
        )
    evalue = sureness.e_value
    if evalue is not None and sureness.estimate != 0:
        text = (
            f"E-value: to explain the estimate away, an unrecorded factor would have to make both taking part "
            f"and being in work about {_times(evalue.e_value)} times as likely"
        )
        if evalue.e_value_limit is None or evalue.e_value_limit <= 1:
            text += "; the confidence interval already includes no effect."
        else:
            text += f", and about {_times(evalue.e_value_limit)} times to bring the interval to include no effect."
        out.append(text)
    return out


def matched_sentences(sureness: MatchedSureness, n_participants: int, policy: DisclosurePolicy) -> list[str]:
    """Every sentence of the section for a matched comparison."""
    return [*power_sentences(sureness, n_participants, policy), *bias_sentences(sureness)]


def bias_chart_data(sureness: MatchedSureness) -> pd.DataFrame:
    bounds = sureness.rosenbaum
    if bounds is None:
        return pd.DataFrame(columns=["Gamma", "Largest p-value"])
    return pd.DataFrame({"Gamma": bounds.gammas, "Largest p-value": np.round(bounds.p_upper, 4)})


def bias_chart(data: pd.DataFrame, alpha: float) -> plt.Figure:
    """The largest p-value hidden bias of each strength allows, against the significance level."""
    fig, ax = plt.subplots(figsize=(7, 3.6))
    ax.plot(data["Gamma"], data["Largest p-value"], color=charts.MAIN, marker="o", label="Largest p-value")
    ax.axhline(alpha, color=charts.GREY, linestyle="--", linewidth=1)
    ax.text(
        float(data["Gamma"].max()),
        alpha,
        f" significance level {alpha:g}",
        va="bottom",
        ha="right",
        fontsize=9,
    )
    ax.set_xlabel("Strength of hidden bias (Γ: how many times as likely to take part)")
    ax.set_ylabel("Largest p-value")
    ax.set_ylim(0, 1)
    charts._style(ax, grid_axis="y")
    return fig


def _level(value: float, proportion: bool, n: int, policy: DisclosurePolicy) -> str:
    if not proportion:
        return f"£{value:,.0f}" if np.isfinite(value) else "[x]"
    shown = safe_rate(value, n, policy)
    return shown if isinstance(shown, str) else f"{100 * shown:.0f}%"


def _effect(row, proportion: bool) -> str:
    scale, unit = (100.0, "") if proportion else (1.0, "£")
    if not np.isfinite(row["estimate"]):
        return "[x]"
    values = [scale * row[k] for k in ("estimate", "ci_lower", "ci_upper")]
    if proportion:
        return f"{values[0]:+.1f} ({values[1]:+.1f} to {values[2]:+.1f})"
    return f"{values[0]:+,.0f} ({values[1]:+,.0f} to {values[2]:+,.0f})".replace("+", "+" + unit).replace(
        "-", "-" + unit
    )


def outcome_table(matched, policy: DisclosurePolicy) -> pd.DataFrame:
    """Employment (primary) and the secondary outcomes at the headline horizon; the secondary
    outcomes' p-values also adjusted for their number (Benjamini-Hochberg: exploratory)."""
    head = {
        "label": "In work (primary outcome)",
        "proportion": True,
        "estimate": matched.estimate,
        "ci_lower": matched.ci_lower,
        "ci_upper": matched.ci_upper,
        "p_value": matched.p_value,
        "n": int(matched.horizons.loc[matched.horizons["horizon"] == matched.horizon, "n"].iloc[0]),
        "participants_level": matched.observed_rate,
        "comparison_level": matched.comparison_rate,
    }
    secondary = matched.secondary
    rows = [head, *secondary.to_dict("records")] if len(secondary) else [head]
    adjusted = (
        [np.nan, *adjusted_p_values([r["p_value"] for r in rows[1:]], "fdr_bh")]
        if len(rows) > 1
        else [np.nan]
    )
    return pd.DataFrame(
        {
            "Outcome": [r["label"] for r in rows],
            "Participants": [_level(r["participants_level"], r["proportion"], r["n"], policy) for r in rows],
            "Comparison": [_level(r["comparison_level"], r["proportion"], r["n"], policy) for r in rows],
            "Effect (95% interval)": [_effect(r, r["proportion"]) for r in rows],
            "p-value": [f"{r['p_value']:.3f}" if np.isfinite(r["p_value"]) else "[x]" for r in rows],
            "Adjusted p-value": [
                "primary" if i == 0 else (f"{a:.3f}" if np.isfinite(a) else "[x]")
                for i, a in enumerate(adjusted)
            ],
        }
    )


def subgroup_table(subgroups: pd.DataFrame, policy: DisclosurePolicy) -> pd.DataFrame:
    """One row per priority cohort: its effect with unadjusted and Benjamini-Hochberg adjusted
    p-values and the test of a difference from the other participants, or why there is none."""
    adjusted = adjusted_p_values(subgroups["p_value"], "fdr_bh")

    def p_text(value: float) -> str:
        return f"{value:.3f}" if np.isfinite(value) else ""

    return pd.DataFrame(
        {
            "Cohort": subgroups["cohort"],
            "Participants followed": [str(safe_count(int(n), policy)) for n in subgroups["n"]],
            "Effect (95% interval)": [
                _effect(row, True) if np.isfinite(row["estimate"]) else "not estimated"
                for _, row in subgroups.iterrows()
            ],
            "p-value": [p_text(v) for v in subgroups["p_value"]],
            "Adjusted p-value": [p_text(v) for v in adjusted],
            "Differs from the rest (p)": [p_text(v) for v in subgroups["difference_p_value"]],
            "Why not estimated": subgroups["reason"],
        }
    )


def _subgroup_part(ctx, matched) -> list:
    subgroups = matched.subgroups
    estimated = subgroups.dropna(subset=["estimate"])
    out = [
        heading("Who it worked for", level=3),
        paragraph(
            f"Exploratory: the headline within each priority cohort, where both the cohort and the other participants "
            f"had at least {matched.min_n} people followed and matching balances the cohort. "
            + (
                f"{len(estimated)} of {len(subgroups)} cohorts could be estimated."
                if len(estimated)
                else "No cohort could be estimated; the table says why."
            )
        ),
    ]
    if len(estimated):
        frame = pd.concat(
            [
                pd.DataFrame(
                    [{"label": "All participants", "estimate": matched.estimate, "ci_lower": matched.ci_lower,
                      "ci_upper": matched.ci_upper}]
                ),
                estimated.rename(columns={"cohort": "label"})[["label", "estimate", "ci_lower", "ci_upper"]],
            ],
            ignore_index=True,
        )  # fmt: skip
        out.append(
            ctx.numbering.figure(
                charts.forest_plot(frame, xlabel="Effect on the share in work (percentage points)", unit=""),
                title="Effect by priority cohort",
                subtitle=f"{matched.horizon} months after referral, with 95% intervals (exploratory)",
                alt=(
                    "Forest plot of the effect for all participants and for "
                    + ", ".join(
                        f"{r.label} ({100 * r.estimate:+.1f} points)" for r in frame.iloc[1:].itertuples()
                    )
                    + "."
                ),
                data=frame.round(4),
            )
        )
    out.append(
        ctx.numbering.table(
            subgroup_table(subgroups, ctx.policy),
            title="Effect by priority cohort",
            note="Percentage points. Adjusted p-values: Benjamini-Hochberg over the cohorts estimated. [c] too few people to publish.",
        )
    )
    return out


def _interval(lower: float, upper: float) -> str:
    if not (np.isfinite(lower) and np.isfinite(upper)):
        return "no interval"
    return f"{lower:+.1f} to {upper:+.1f}"


def few_cluster_table(inference: AreaInference, multiplier: tuple[float, float, float]) -> pd.DataFrame:
    """The area headline's p-value and interval by each method, the headline's first.

    `multiplier` is the estimator's own (p-value, lower, upper): Callaway & Sant'Anna's
    multiplier bootstrap with a normal critical value, the interval that under-covers with
    few areas."""
    rows = []
    wild = inference.wild
    if wild is not None:
        draws = "every" if wild.full_enumeration else f"{wild.draws:,}"
        rows.append(
            (
                f"Wild cluster restricted bootstrap ({wild.weights.title()} weights, {draws} draws): the headline",
                wild.p_value,
                _interval(wild.ci_lower, wild.ci_upper),
            )
        )
        t = wild.cluster_t
        rows.append(
            (
                f"Cluster-robust t-test on {t.df} degrees of freedom",
                t.p_value,
                _interval(t.ci_lower, t.ci_upper),
            )
        )
    ri = inference.randomisation
    if ri is not None:
        share = "all" if ri.exact else f"{ri.n_evaluated:,} of {ri.n_assignments:,}"
        rows.append(
            (
                f"Randomisation inference ({share} assignments of start dates to areas)",
                ri.p_value,
                "no interval",
            )
        )
    rows.append(
        (
            "Multiplier bootstrap with a normal critical value (the estimator's default)",
            *multiplier[:1],
            _interval(*multiplier[1:]),
        )
    )
    frame = pd.DataFrame(rows, columns=["Method", "p-value", "95% interval (points)"])
    frame["p-value"] = [f"{p:.3f}" if np.isfinite(p) else "[x]" for p in frame["p-value"]]
    return frame


def _names(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c'."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def area_sentences(impact, multiplier_p: float) -> list[str]:
    """Power, few-cluster inference and parallel-trends sensitivity of an area headline."""
    inference: AreaInference | None = impact.area_inference
    head = impact.headline
    out = []
    if inference is not None and inference.wild is not None and head is not None:
        wild = inference.wild
        mde = detectable_from_standard_error(wild.std_error, max(impact.n_treated_areas, 1)).difference
        out.append(
            f"With {impact.n_treated_areas} areas where the activity ran and {impact.n_control_areas} comparison "
            f"areas, this analysis could only detect changes in the employment rate of {mde:.1f} percentage points "
            "or more."
        )
        significant = {
            "the wild cluster bootstrap": wild.p_value < impact.alpha,
            "the t-test": wild.cluster_t.p_value < impact.alpha,
        }
        if inference.randomisation is not None:
            significant["randomisation inference"] = inference.randomisation.p_value < impact.alpha
        significant["the multiplier bootstrap"] = multiplier_p < impact.alpha
        out.append(
            "With so few areas the usual interval is too narrow, so the headline interval comes from a wild "
            f"cluster restricted bootstrap (p = {wild.p_value:.3f}); the table shows the other methods beside it."
        )
        if len(set(significant.values())) > 1:
            yes = [name for name, flag in significant.items() if flag]
            no = [name for name, flag in significant.items() if not flag]
            out.append(
                f"The methods disagree: {_names(yes)} {'finds' if len(yes) == 1 else 'find'} a significant effect, "
                f"{_names(no)} {'does' if len(no) == 1 else 'do'} not. Read the verdict with caution."
            )
    sensitivity: HonestResult | None = impact.area_sensitivity
    bootstrap = inference.wild if inference is not None else None
    headline_significant = bootstrap is not None and bootstrap.p_value < impact.alpha
    if sensitivity is not None and not headline_significant:
        # the event study's own (normal) interval may exclude zero where the headline's does not:
        # a breakdown value would then describe a conclusion the report does not draw
        out.append(
            "Parallel trends (Rambachan & Roth 2023): the headline is not statistically significant, so there is "
            "no conclusion for a difference in trends to overturn; the chart shows how wide the interval becomes."
        )
    elif sensitivity is not None:
        out.append(
            "Parallel trends (Rambachan & Roth 2023), for the average effect over the quarters after the start: "
            + honest_sentence(sensitivity)
        )
        if sensitivity.breakdown_rm is not None:  # else both sentences say the same: nothing to overturn
            out.append(smoothness_sentence(sensitivity, scale=1.0))
    return out


def trends_chart(result: HonestResult) -> plt.Figure:
    """Robust intervals of the average effect as post-start trends may differ by more."""
    bounds = [r.bound for r in result.relative_magnitudes]
    lower = np.array([r.lower for r in result.relative_magnitudes])
    upper = np.array([r.upper for r in result.relative_magnitudes])
    fig, ax = plt.subplots(figsize=(7, 3.6))
    positions = np.arange(len(bounds) + 1)
    lows = np.concatenate([[result.original[0]], lower])
    highs = np.concatenate([[result.original[1]], upper])
    middle = (lows + highs) / 2
    ax.errorbar(
        positions, middle, yerr=[middle - lows, highs - middle], fmt="none", ecolor=charts.MAIN, capsize=6
    )
    ax.axhline(0, color=charts.GREY, linewidth=1)
    ax.set_xticks(positions, ["Parallel\ntrends", *[f"{b:g}x" for b in bounds]])
    ax.set_xlabel("How much post-start trends may differ, as a multiple of the largest pre-start difference")
    ax.set_ylabel("Average effect (points)")
    charts._style(ax, grid_axis="y")
    return fig


def trends_data(result: HonestResult) -> pd.DataFrame:
    rows = [("Parallel trends", *result.original)]
    rows += [(f"{r.bound:g} times", r.lower, r.upper) for r in result.relative_magnitudes]
    return pd.DataFrame(rows, columns=["Post-start trends may differ by", "Lower", "Upper"]).round(2)


def area_part(ctx) -> list:
    """The area family's part of the section (`Family.how_sure`): detectable change, the
    headline by each few-cluster method, parallel-trends sensitivity."""
    out: list = []
    impact = ctx.result
    simple = impact.area.aggregate("simple")
    multiplier_p = float(2 * stats.norm.sf(abs(simple.estimate / simple.std_error)))
    out.append(paragraph(*area_sentences(impact, multiplier_p)))
    if impact.area_inference is not None:
        out.append(
            ctx.numbering.table(
                few_cluster_table(impact.area_inference, (multiplier_p, simple.ci_lower, simple.ci_upper)),
                title="The area headline by each method of inference",
                note="Effects in percentage points of the employment rate. [x] not available.",
            )
        )
    sensitivity = impact.area_sensitivity
    if sensitivity is not None:
        data = trends_data(sensitivity)
        (first_low, first_high), last = sensitivity.original, sensitivity.relative_magnitudes[-1]
        out.append(
            ctx.numbering.figure(
                trends_chart(sensitivity),
                title="How far trends may differ before the conclusion changes",
                subtitle="95% robust intervals for the average effect after the start (relative magnitudes)",
                alt=(
                    f"Intervals for the average effect: {first_low:+.2f} to {first_high:+.2f} points with parallel "
                    f"trends, widening to {last.lower:+.2f} to {last.upper:+.2f} when post-start trends may differ by "
                    f"{last.bound:g} times the largest pre-start difference."
                ),
                data=data,
            )
        )
    return out


def matched_part(ctx) -> list:
    """The matched family's part of the section (`Family.how_sure`): power, hidden bias, other
    outcomes and who it worked for."""
    impact = ctx.result
    out: list = []
    matched = impact.matched
    sureness = matched_sureness(matched, alpha=impact.alpha)
    n_followed = int(matched.horizons.loc[matched.horizons["horizon"] == matched.horizon, "n"].iloc[0])
    checks = impact.falsification
    if checks is not None and not checks.credible:
        out.append(
            paragraph(
                "The verdict is withheld because a falsification check failed (see above); the figures below "
                "describe the estimate as evidence only."
            )
        )
    out.append(paragraph(*power_sentences(sureness, n_followed, ctx.policy)))
    out.append(bullets(bias_sentences(sureness)))
    data = bias_chart_data(sureness)
    if len(data):
        gamma = sureness.rosenbaum.critical_gamma if sureness.rosenbaum is not None else None
        if gamma is None:
            crossing = "is above the significance level even with no hidden bias"
        elif math.isinf(gamma):
            crossing = "stays below the significance level"
        else:
            crossing = f"reaches the significance level at Γ = {_gamma(gamma)}"
        out.append(
            ctx.numbering.figure(
                bias_chart(data, impact.alpha),
                title="How the finding would fare under hidden bias",
                subtitle=f"Largest p-value of the matched comparison at {sureness.horizon} months, by strength of bias",
                alt=(
                    "Line chart of the largest p-value that hidden bias of each strength allows, rising from "
                    f"{data['Largest p-value'].iloc[0]:.2f} with no bias to {data['Largest p-value'].iloc[-1]:.2f} "
                    f"at Γ = {data['Gamma'].iloc[-1]:g}; it {crossing}."
                ),
                data=data,
            )
        )
    if len(matched.secondary):
        out.append(
            paragraph(
                "Employment is the primary outcome and decides the verdict. The other outcomes are exploratory: "
                "compared on the same matched people at the same horizon, with their p-values also adjusted for "
                "the number of outcomes compared (Benjamini-Hochberg), so one significant result among several "
                "is not over-read."
            )
        )
        out.append(
            ctx.numbering.table(
                outcome_table(matched, ctx.policy),
                title=f"Outcomes {sureness.horizon} months after referral",
                note=(
                    "Effects in percentage points for shares of people, in pounds a month for earnings; the change "
                    "from before referral, as for the headline. Levels are those of the month measured. [c] too few "
                    "people to publish; [x] not available."
                ),
            )
        )
    if len(matched.subgroups):
        out += _subgroup_part(ctx, matched)
    return out


def how_sure(ctx) -> list:
    """The section, for an impact report's context: the heading, then the activity's report
    family's part (`Family.how_sure`), or why there is nothing to assess."""
    impact = ctx.result
    parts = ctx.family.how_sure(ctx) if impact.estimated and ctx.family.complete(impact) else []
    if not parts:
        reason = (
            "there is no impact estimate" if not impact.estimated else "this design has no such analysis yet"
        )
        parts = [paragraph(f"Power and sensitivity to hidden bias are not assessed: {reason}.")]
    return [heading(TITLE), *parts]
