"""Charts in the Government Analysis Function style (afcharts palette), built from result frames.

Every chart function takes a tidy frame (a view of a result's `to_frame()` or table), returns a
matplotlib Figure and never shows it; `display.Numbering.figure` embeds it with alt text.
Meaning is never carried by colour alone: bars are labelled and series differ in marker and
line style as well as colour.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from afcharts.af_colours import get_af_colours  # noqa: E402

CATEGORICAL = get_af_colours("categorical")
DUO = get_af_colours("duo")
MAIN = CATEGORICAL[0]


def _style(ax) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.tick_params(labelsize=10)
    ax.grid(axis="x", color="#d9d9d9", linewidth=0.6)
    ax.set_axisbelow(True)


def horizontal_bars(labels, values, *, xlabel: str, lower=None, upper=None, value_format="{:.0f}",
                    reference=None, reference_label=None) -> plt.Figure:
    """Horizontal bars from zero, each labelled with its value; optional interval whiskers and a target line."""
    values = np.asarray(values, dtype=float)
    fig, ax = plt.subplots(figsize=(8, 0.45 * len(values) + 1.2))
    positions = np.arange(len(values))[::-1]
    ax.barh(positions, np.nan_to_num(values), color=MAIN, height=0.6)
    if lower is not None and upper is not None:
        lower, upper = np.asarray(lower, float), np.asarray(upper, float)
        ax.errorbar(values, positions, xerr=[values - lower, upper - values], fmt="none",
                    ecolor="#3D3D3D", capsize=3, linewidth=1)
    for y, v in zip(positions, values, strict=True):
        if np.isfinite(v):
            ax.text(v, y, "  " + value_format.format(v), va="center", fontsize=9)
    if reference is not None:
        ax.axvline(reference, color=DUO[1], linestyle="--", linewidth=1.5, label=reference_label)
        if reference_label:
            ax.legend(frameon=False, loc="lower right")
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
    """Cumulative probability of reaching each stage, with pointwise intervals; styles differ per stage."""
    fig, ax = plt.subplots(figsize=(8, 4.5))
    styles = ["-", "--", ":", "-."]
    markers = ["o", "s", "^", "D", "v", "P"]
    for i, (label, curve) in enumerate(curves.groupby("label", sort=False)):
        colour = CATEGORICAL[i % 4]
        ax.step(curve["week"], 100 * curve["probability"], where="post", color=colour,
                linestyle=styles[i % 4], label=label, marker=markers[i % 6], markevery=max(1, len(curve) // 6),
                markersize=4)
        ax.fill_between(curve["week"], 100 * curve["ci_lower"], 100 * curve["ci_upper"], step="post",
                        color=colour, alpha=0.12, linewidth=0)
    ax.set_ylim(0, 100)
    ax.set_xlim(left=0)
    ax.set_ylabel("Per cent of people referred")
    ax.set_xlabel(xlabel)
    ax.legend(frameon=False, fontsize=9)
    ax.grid(axis="y", color="#d9d9d9", linewidth=0.6)
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def monthly_lines(frame: pd.DataFrame, *, x: str, series: dict, ylabel: str) -> plt.Figure:
    """Lines over time for a few series (column -> label); second series dashed with square markers."""
    fig, ax = plt.subplots(figsize=(8, 4))
    for i, (column, label) in enumerate(series.items()):
        ax.plot(frame[x], frame[column], color=DUO[i % 2], linestyle=["-", "--"][i % 2],
                marker=["o", "s"][i % 2], markersize=4, label=label)
    ax.set_ylabel(ylabel)
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False)
    ax.grid(axis="y", color="#d9d9d9", linewidth=0.6)
    ax.spines[["top", "right"]].set_visible(False)
    fig.autofmt_xdate()
    fig.tight_layout()
    return fig
