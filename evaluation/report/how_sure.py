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

from evaluation.counterfactual import format_pp
from evaluation.disclosure import DisclosurePolicy
from evaluation.how_sure import MatchedSureness, matched_sureness
from evaluation.report import charts
from evaluation.report.display import bullets, heading, paragraph
from evaluation.report.power_words import detectable_effect_sentence, participants_needed_sentence

__all__ = ["bias_chart", "how_sure", "matched_sentences"]

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


def how_sure(ctx) -> list:
    """The section, for an impact report's context (`evaluation.report.impact.context`)."""
    impact = ctx.result
    out = [heading(TITLE)]
    if ctx.kind != "matched":
        reason = (
            "there is no impact estimate" if not impact.estimated else "this design has no such analysis yet"
        )
        return [*out, paragraph(f"Power and sensitivity to hidden bias are not assessed: {reason}.")]
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
    return out
