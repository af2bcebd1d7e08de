"""Charts in the Government Analysis Function style (afcharts palette), built from result frames.

Every chart function takes a tidy frame (a view of a result's `to_frame()` or table), returns a
matplotlib Figure and never shows it; `display.Numbering.figure` embeds it with alt text.
Meaning is never carried by colour alone: bars are labelled, series differ in marker and line
style as well as colour, and significance is written out in words. Every colour used for a
line or marker has at least 3:1 contrast against the white background.

The `*_data` helpers do the computing (ordering, absolute values, labels) and are tested on
their own; the chart functions only draw what they return.
"""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from afcharts.af_colours import get_af_colours  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

CATEGORICAL = get_af_colours("categorical")
DUO = get_af_colours("duo")
MAIN = CATEGORICAL[0]
GREY = "#3D3D3D"
GRID = "#d9d9d9"
SMD_THRESHOLD = 0.1
LINE_STYLES = ["-", "--", ":", "-.", (0, (5, 1, 1, 1)), (0, (1, 1))]
MARKERS = ["o", "s", "^", "D", "v", "P"]


def _style(ax, grid_axis: str = "x") -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=10)
    ax.grid(axis=grid_axis, color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)


def horizontal_bars(
    labels,
    values,
    *,
    xlabel: str,
    lower=None,
    upper=None,
    value_format="{:.0f}",
    reference=None,
    reference_label=None,
    missing_label: str = "[c]",
) -> plt.Figure:
    """Horizontal bars from zero, each labelled with its value; optional interval whiskers and a
    reference line. A missing value (NaN) gets the text `missing_label` instead of a bar."""
    values = np.asarray(values, dtype=float)
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(values) + 1.2))
    positions = np.arange(len(values))[::-1]
    ax.barh(positions, np.nan_to_num(values), color=MAIN, height=0.6)
    if lower is not None and upper is not None:
        lower, upper = np.asarray(lower, float), np.asarray(upper, float)
        ax.errorbar(
            values,
            positions,
            xerr=[values - lower, upper - values],
            fmt="none",
            ecolor=GREY,
            capsize=3,
            linewidth=1,
        )
    for y, v in zip(positions, values, strict=True):
        text = "  " + value_format.format(v) if np.isfinite(v) else " " + missing_label
        ax.text(v if np.isfinite(v) else 0, y, text, va="center", fontsize=9)
    if reference is not None:
        ax.axvline(reference, color=GREY, linestyle="--", linewidth=1.5, label=reference_label)
        if reference_label:
            ax.legend(frameon=False, loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize=9)
    ax.set_yticks(positions, labels)
    ax.set_xlabel(xlabel)
    ax.set_xlim(left=0)
    _style(ax)
    fig.tight_layout()
    return fig


def funnel_chart(table: pd.DataFrame) -> plt.Figure:
    """People reaching each stage (bars from zero), labelled with the count; counts already disclosure-safe."""
    return horizontal_bars(table["label"], table["count_value"], xlabel="People (rounded to the nearest 5)")


def cumulative_curves(curves: pd.DataFrame, *, xlabel: str = "Weeks since referral") -> plt.Figure:
    """Cumulative probability of reaching each stage, with pointwise intervals; each stage has its own
    colour, line style and marker, and the legend sits below the plot so it hides no line."""
    fig, ax = plt.subplots(figsize=(8, 5))
    for i, (label, curve) in enumerate(curves.groupby("label", sort=False)):
        colour = CATEGORICAL[i % len(CATEGORICAL)]
        ax.step(
            curve["week"],
            100 * curve["probability"],
            where="post",
            color=colour,
            linestyle=LINE_STYLES[i % len(LINE_STYLES)],
            label=label,
            marker=MARKERS[i % len(MARKERS)],
            markevery=max(1, len(curve) // 6),
            markersize=5,
        )
        ax.fill_between(
            curve["week"],
            100 * curve["ci_lower"],
            100 * curve["ci_upper"],
            step="post",
            color=colour,
            alpha=0.12,
            linewidth=0,
        )
    ax.set_ylim(0, 100)
    ax.set_xlim(left=0)
    ax.set_ylabel("Per cent of people referred")
    ax.set_xlabel(xlabel)
    ax.legend(frameon=False, fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=3)
    _style(ax, "y")
    fig.tight_layout()
    return fig


def monthly_lines(
    frame: pd.DataFrame, *, x: str, series: dict, ylabel: str, from_zero: bool = True
) -> plt.Figure:
    """Lines over time for a few series (column -> label); second series dashed with square markers.

    `from_zero=False` for rates that sit far from zero (a line chart need not start at zero; the
    axis is labelled with its range)."""
    fig, ax = plt.subplots(figsize=(8, 4))
    for i, (column, label) in enumerate(series.items()):
        ax.plot(
            frame[x],
            frame[column],
            color=DUO[i % 2],
            linestyle=["-", "--"][i % 2],
            marker=["o", "s"][i % 2],
            markersize=4,
            label=label,
        )
    ax.set_ylabel(ylabel)
    if from_zero:
        ax.set_ylim(bottom=0)
    ax.legend(frameon=False)
    _style(ax, "y")
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------------- impact charts


def covariate_label(name: str) -> str:
    """A readable label for a matching covariate ("health_condition=mental_health" ->
    "Health condition: mental health")."""
    special = {
        "pre_outcome_share": "Share of previous 12 months in work",
        "log1p_months_since_last_worked": "Months since last worked (log scale)",
        "months_since_last_worked": "Months since last worked",
        "la_code": "Local authority",
    }
    if name in special:
        return special[name]
    history = re.fullmatch(r"(employed|benefit)_(m(\d+)|share_(\d+)_(\d+))", str(name))
    if history:
        state = "In work" if history.group(1) == "employed" else "On out-of-work benefit"
        if history.group(3):
            months = int(history.group(3))
            return f"{state} {months} month{'s' if months > 1 else ''} before referral"
        return f"{state}: share of months {history.group(4)} to {history.group(5)} before referral"
    history_labels = {
        "log_months_since_in_work": "Months since last in work in the history (log scale)",
        "recent_job_loss": "Left work in the last 6 months",
        "recent_benefit_start": "Started out-of-work benefit in the last 6 months",
    }
    if name in history_labels:
        return history_labels[name]
    column, _, level = str(name).partition("=")
    label = column.replace("_", " ").capitalize()
    if level:
        label += ": " + level.replace("_", " ")
    return label


def love_plot_data(balance: pd.DataFrame, *, threshold: float = SMD_THRESHOLD) -> pd.DataFrame:
    """Absolute standardised mean differences before and after matching, one row per covariate.

    Columns: covariate, label, before, after (both |SMD|), balanced_after (after < threshold).
    Sorted with the largest imbalance before matching first (drawn at the top).
    """
    frame = pd.DataFrame(
        {
            "covariate": balance["covariate"].astype(str),
            "label": [covariate_label(c) for c in balance["covariate"]],
            "before": pd.to_numeric(balance["smd_before"], errors="coerce").abs(),
            "after": pd.to_numeric(balance["smd_after"], errors="coerce").abs(),
        }
    )
    frame["balanced_after"] = frame["after"] < threshold
    return frame.sort_values(["before", "label"], ascending=[False, True], kind="stable").reset_index(
        drop=True
    )


def love_plot(balance: pd.DataFrame, *, threshold: float = SMD_THRESHOLD) -> plt.Figure:
    """Dot plot of |SMD| per covariate: before matching a hollow circle, after a filled square,
    with a dashed line at the balance threshold."""
    data = love_plot_data(balance, threshold=threshold)
    fig, ax = plt.subplots(figsize=(8, 0.32 * len(data) + 1.6))
    y = np.arange(len(data))[::-1]
    for pos, before, after in zip(y, data["before"], data["after"], strict=True):
        ax.plot([before, after], [pos, pos], color=GRID, linewidth=1.2, zorder=1)
    ax.scatter(
        data["before"],
        y,
        s=42,
        facecolors="white",
        edgecolors=GREY,
        linewidths=1.5,
        label="Before matching",
        zorder=2,
    )
    ax.scatter(data["after"], y, s=36, marker="s", color=MAIN, label="After matching", zorder=3)
    ax.axvline(threshold, color=CATEGORICAL[2], linestyle="--", linewidth=1.3)
    top = max(float(np.nanmax(data[["before", "after"]].to_numpy(dtype=float))), threshold) * 1.12
    ax.text(
        threshold, len(data) - 0.3, f" {threshold:g} threshold", color=CATEGORICAL[2], fontsize=9, va="bottom"
    )
    ax.set_yticks(y, data["label"])
    ax.set_xlim(0, top)
    ax.set_ylim(-0.7, len(data) + 0.2)
    ax.set_xlabel("Absolute standardised mean difference (participants against comparison group)")
    ax.legend(frameon=False, fontsize=9, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2)
    _style(ax)
    fig.tight_layout()
    return fig


def event_study_chart(
    frame: pd.DataFrame,
    *,
    xlabel: str,
    ylabel: str,
    scale: float = 100.0,
    reference_label: str = "Referral",
    x: str = "event_time",
) -> plt.Figure:
    """Estimates by event time with intervals: before the start hollow circles, from the start
    filled squares; a line at zero (no difference) and a dashed line at the start (event time 0)."""
    data = frame.sort_values(x)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    est = data["estimate"].to_numpy(float) * scale
    low = data["ci_lower"].to_numpy(float) * scale
    high = data["ci_upper"].to_numpy(float) * scale
    times = data[x].to_numpy(float)
    pre = times < 0
    ax.axhline(0, color=GREY, linewidth=1)
    ax.axvline(0, color=GREY, linestyle="--", linewidth=1.2)
    for mask, marker, face, label in (
        (pre, "o", "white", "Before (placebo check)"),
        (~pre, "s", MAIN, "After"),
    ):
        if not mask.any():
            continue
        ax.errorbar(
            times[mask],
            est[mask],
            yerr=[est[mask] - low[mask], high[mask] - est[mask]],
            fmt=marker,
            color=MAIN,
            markerfacecolor=face,
            markeredgecolor=MAIN,
            ecolor=MAIN,
            elinewidth=1,
            capsize=2,
            markersize=5,
            label=label,
        )
    lowest = np.nanmin(low) if np.isfinite(low).any() else -1
    ax.annotate(
        f" {reference_label}", (0, lowest), xytext=(3, 0), textcoords="offset points", fontsize=9, color=GREY
    )
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(frameon=False, fontsize=9, loc="upper left")
    _style(ax, "y")
    fig.tight_layout()
    return fig


def outcome_paths(
    frame: pd.DataFrame,
    *,
    xlabel: str = "Months since referral (0 = month of referral)",
    ylabel: str = "Per cent in work",
    observed_label: str = "Participants",
    counterfactual_label: str = "Estimated without the activity",
) -> plt.Figure:
    """Observed rate of participants (solid, circles) and the estimated counterfactual (dashed,
    squares, with its interval shaded) by event time, with a dashed line at referral."""
    data = frame.sort_values("event_time")
    t = data["event_time"].to_numpy(float)
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.fill_between(
        t,
        100 * data["counterfactual_lower"],
        100 * data["counterfactual_upper"],
        color=DUO[1],
        alpha=0.18,
        linewidth=0,
    )
    ax.plot(t, 100 * data["observed"], color=MAIN, marker="o", markersize=4, label=observed_label)
    ax.plot(
        t, 100 * data["counterfactual"], color=DUO[1], linestyle="--", marker="s", markersize=4,
        label=counterfactual_label + " (shaded: 95% interval)",
    )  # fmt: skip
    ax.axvline(0, color=GREY, linestyle="--", linewidth=1.2)
    ax.annotate(" Referral", (0, 0), xytext=(3, 3), textcoords="offset points", fontsize=9, color=GREY)
    top = np.nanmax(100 * data[["observed", "counterfactual_upper"]].to_numpy(float))
    ax.set_ylim(0, max(10.0, top * 1.15))
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(frameon=False, fontsize=9, loc="upper left")
    _style(ax, "y")
    fig.tight_layout()
    return fig


FOREST_SIGNIFICANT = ("significant increase", "significant decrease")


def forest_data(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows for a forest plot, ordered from the largest estimate to the smallest (rows without an
    estimate dropped), with a verdict in words: "significant increase", "significant decrease" or
    "not significant". Needs columns label, estimate, ci_lower, ci_upper; a verdict column, when
    given, is kept where filled in (for example "verdict withheld", or the verdict of the report the
    estimate comes from) and computed from the interval elsewhere."""
    data = frame.copy()
    for column in ("estimate", "ci_lower", "ci_upper"):
        data[column] = pd.to_numeric(data[column], errors="coerce")
    data = data[np.isfinite(data["estimate"]) & np.isfinite(data["ci_lower"]) & np.isfinite(data["ci_upper"])]
    computed = pd.Series(
        np.select(
            [data["ci_lower"] > 0, data["ci_upper"] < 0],
            ["significant increase", "significant decrease"],
            default="not significant",
        ),
        index=data.index,
        dtype=object,
    )
    if "verdict" in data:
        given = data["verdict"]
        data["verdict"] = given.where(given.notna() & given.astype(str).str.strip().ne(""), computed)
    else:
        data["verdict"] = computed
    data = data.sort_values(["estimate", "label"], ascending=[False, True], kind="stable")
    return data.reset_index(drop=True)


def forest_plot(frame: pd.DataFrame, *, xlabel: str, scale: float = 100.0, unit: str = "") -> plt.Figure:
    """Estimates with intervals, one row per item ordered largest first, a line at zero, and each
    row's estimate, interval and verdict written beside it (filled squares significant, hollow
    not; a dashed grey line for any other verdict, such as "verdict withheld": the words carry
    the meaning, the fill and line repeat it)."""
    data = forest_data(frame)
    n = max(len(data), 1)
    fig, ax = plt.subplots(figsize=(9, 0.5 * n + 1.4))
    y = np.arange(len(data))[::-1]
    est, low, high = (data[c].to_numpy(float) * scale for c in ("estimate", "ci_lower", "ci_upper"))
    significant = data["verdict"].isin(FOREST_SIGNIFICANT).to_numpy()
    # any other verdict, such as "verdict withheld": a dashed grey line
    other = ~data["verdict"].isin([*FOREST_SIGNIFICANT, "not significant"]).to_numpy()
    ax.axvline(0, color=GREY, linewidth=1.2)
    ax.hlines(y[~other], low[~other], high[~other], color=MAIN, linewidth=1.6)
    ax.hlines(y[other], low[other], high[other], color=GREY, linewidth=1.6, linestyles="dashed")
    ax.scatter(est[significant], y[significant], marker="s", s=50, color=MAIN, zorder=3)
    ax.scatter(est[~significant], y[~significant], marker="s", s=50, facecolors="white", edgecolors=MAIN,
               linewidths=1.5, zorder=3)  # fmt: skip
    span = (np.nanmin(np.append(low, 0)), np.nanmax(np.append(high, 0)))
    width = span[1] - span[0] or 1.0
    ax.set_xlim(span[0] - 0.05 * width, span[1] + 0.05 * width)
    for pos, e, lo, hi, verdict in zip(y, est, low, high, data["verdict"], strict=True):
        ax.annotate(
            f"{e:+.1f}{unit} ({lo:+.1f} to {hi:+.1f}), {verdict}",
            (1.0, pos),
            xycoords=("axes fraction", "data"),
            xytext=(8, 0),
            textcoords="offset points",
            va="center",
            fontsize=9,
        )
    ax.set_yticks(y, data["label"])
    ax.set_ylim(-0.7, len(data) - 0.3)
    ax.set_xlabel(xlabel)
    _style(ax)
    fig.tight_layout()
    return fig


def ratio_range_data(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows for a chart of benefit-cost ranges, in the order given: label, low, high, central (NaN
    when no ratio is presented), presented, and the text written beside the bar ("0.8 to 1.9,
    central 1.3" or "0 to 0.7: no ratio, effect not significant"). Needs columns label, low,
    central, high, presented; rows without a high value are dropped (nothing to draw)."""
    data = frame.copy()
    for column in ("low", "central", "high"):
        data[column] = pd.to_numeric(data[column], errors="coerce").astype(float)
    data = data[np.isfinite(data["high"]) & np.isfinite(data["low"])].reset_index(drop=True)
    data["presented"] = data["presented"].astype(bool)
    data.loc[~data["presented"], "central"] = np.nan
    data["text"] = [
        f"{lo:.1f} to {hi:.1f}, central {c:.1f}"
        if shown
        else f"{lo:.1f} to {hi:.1f}: no ratio, effect not significant"
        for lo, c, hi, shown in zip(
            data["low"], data["central"], data["high"], data["presented"], strict=True
        )
    ]
    return data


def ratio_ranges(
    frame: pd.DataFrame, *, xlabel: str = "Benefit-cost ratio (benefits per £1 of cost)"
) -> plt.Figure:
    """Horizontal range bars from each row's low to its high benefit-cost ratio, the central ratio
    marked with a diamond where one is presented, a dashed line at 1 (benefits equal costs), and the
    range written beside each bar. A range with no ratio presented (an effect that is not
    significant, from zero) is drawn hatched and in grey, with the words saying so: the hatching
    and the words carry the meaning, not the colour. The axis starts at zero."""
    data = ratio_range_data(frame)
    n = max(len(data), 1)
    fig, ax = plt.subplots(figsize=(9, 0.55 * n + 1.5))
    y = np.arange(len(data))[::-1]
    shown = data["presented"].to_numpy()
    low, high, central = (data[c].to_numpy(float) for c in ("low", "high", "central"))
    ax.barh(
        y[shown],
        (high - low)[shown],
        left=low[shown],
        height=0.45,
        color=MAIN,
        label="Range, low to high case",
    )
    ax.barh(y[~shown], (high - low)[~shown], left=low[~shown], height=0.45, color="white", edgecolor=GREY,
            hatch="///", linewidth=1.0, label="Range from zero: no ratio (effect not significant)")  # fmt: skip
    ax.scatter(central[shown], y[shown], marker="D", s=60, color=DUO[1], edgecolors=GREY, linewidths=1.0,
               zorder=3, label="Central case")  # fmt: skip
    ax.axvline(1.0, color=GREY, linestyle="--", linewidth=1.5, label="Benefits equal costs (ratio 1)")
    top = float(np.nanmax(np.append(high, 1.0)))
    ax.set_xlim(0, top * 1.05)
    for pos, text in zip(y, data["text"], strict=True):
        ax.annotate(text, (1.0, pos), xycoords=("axes fraction", "data"), xytext=(8, 0),
                    textcoords="offset points", va="center", fontsize=9)  # fmt: skip
    ax.set_yticks(y, data["label"])
    ax.set_ylim(-0.7, len(data) - 0.3)
    ax.set_xlabel(xlabel)
    handles, labels = ax.get_legend_handles_labels()
    keep = [
        (h, lab)
        for h, lab in zip(handles, labels, strict=True)
        if not lab.startswith("Range from zero") or (~shown).any()
    ]
    ax.legend(
        *zip(*keep, strict=True),
        frameon=False,
        loc="lower left",
        bbox_to_anchor=(0.0, 1.0),
        fontsize=9,
        ncol=2,
    )
    _style(ax)
    fig.tight_layout()
    return fig
