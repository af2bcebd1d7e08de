"""Chart helpers that compute something: love plot data, forest plot ordering and verdicts,
event-time counterfactual, labels; and that the charts draw what the helpers return."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from evaluation.report import charts
from evaluation.report.impact import event_time_frame


def _rows_top_to_bottom(ax) -> list[str]:
    pairs = zip(ax.get_yticks(), [t.get_text() for t in ax.get_yticklabels()], strict=True)
    return [label for _, label in sorted(pairs, key=lambda p: -p[0])]


@pytest.fixture
def balance() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "covariate": ["age", "sex=female", "health_condition=mental_health", "pre_outcome_share"],
            "smd_before": [-0.05, 0.30, -0.45, 0.12],
            "smd_after": [0.02, -0.15, 0.04, -0.08],
            "variance_ratio_before": [1.0, 1.0, 1.0, 1.0],
            "variance_ratio_after": [1.0, 1.0, 1.0, 1.0],
            "balanced_after": [True, False, True, True],
        }
    )


def test_love_plot_data_takes_absolute_values_and_orders_by_imbalance_before(balance):
    data = charts.love_plot_data(balance)
    assert data["covariate"].tolist() == [
        "health_condition=mental_health",
        "sex=female",
        "pre_outcome_share",
        "age",
    ]
    assert data["before"].tolist() == pytest.approx([0.45, 0.30, 0.12, 0.05])
    assert data["after"].tolist() == pytest.approx([0.04, 0.15, 0.08, 0.02])
    assert (data[["before", "after"]] >= 0).all().all()
    assert data["balanced_after"].tolist() == [True, False, True, True]
    assert data["label"].iloc[0] == "Health condition: mental health"


def test_love_plot_data_does_not_change_its_input(balance):
    before = balance.copy()
    charts.love_plot_data(balance)
    pd.testing.assert_frame_equal(balance, before)


def test_love_plot_draws_hollow_circles_before_filled_squares_after_and_the_threshold(balance):
    fig = charts.love_plot(balance, threshold=0.1)
    ax = fig.axes[0]
    before, after = ax.collections[:2]
    assert to_hex(before.get_facecolor()[0]) == "#ffffff"  # hollow
    assert to_hex(after.get_facecolor()[0]) == charts.MAIN.lower()  # filled
    # points drawn top to bottom in the order of love_plot_data
    xs = before.get_offsets()[:, 0]
    ys = before.get_offsets()[:, 1]
    assert list(xs[np.argsort(-ys)]) == pytest.approx([0.45, 0.30, 0.12, 0.05])
    assert _rows_top_to_bottom(ax)[0] == "Health condition: mental health"
    assert any(np.allclose(line.get_xdata(), [0.1, 0.1]) for line in ax.lines), "no threshold line at 0.1"
    plt.close(fig)


def test_forest_data_orders_largest_first_with_verdicts_in_words():
    frame = pd.DataFrame(
        {
            "label": ["A", "B", "C", "D", "E"],
            "estimate": [1.0, 5.0, -3.0, np.nan, 2.0],
            "ci_lower": [-2.0, 1.0, -5.0, np.nan, -1.0],
            "ci_upper": [4.0, 9.0, -1.0, np.nan, 5.0],
        }
    )
    data = charts.forest_data(frame)
    assert data["label"].tolist() == ["B", "E", "A", "C"]  # D has no estimate
    assert data["verdict"].tolist() == [
        "significant increase",
        "not significant",
        "not significant",
        "significant decrease",
    ]


def test_forest_data_breaks_ties_by_label_so_order_does_not_depend_on_input_order():
    frame = pd.DataFrame(
        {"label": ["b", "a"], "estimate": [1.0, 1.0], "ci_lower": [0.5, 0.5], "ci_upper": [2, 2]}
    )
    assert charts.forest_data(frame)["label"].tolist() == ["a", "b"]
    assert charts.forest_data(frame.iloc[::-1])["label"].tolist() == ["a", "b"]


def test_forest_plot_rows_follow_the_ordering_and_carry_the_verdict_in_text():
    frame = pd.DataFrame(
        {"label": ["Low", "High"], "estimate": [-1.0, 6.0], "ci_lower": [-4.0, 2.0], "ci_upper": [2.0, 10.0]}
    )
    fig = charts.forest_plot(frame, xlabel="points", scale=1.0)
    ax = fig.axes[0]
    assert _rows_top_to_bottom(ax) == ["High", "Low"]
    texts = [t.get_text() for t in ax.texts]
    assert any("significant increase" in t and "+6.0" in t for t in texts)
    assert any("not significant" in t for t in texts)
    left, right = ax.get_xlim()
    assert left < 0 < right, "the zero line must be in view"
    plt.close(fig)


def test_horizontal_bars_start_at_zero_and_label_hidden_values():
    fig = charts.horizontal_bars(["a", "b"], [30.0, np.nan], xlabel="people")
    ax = fig.axes[0]
    assert ax.get_xlim()[0] == 0
    assert any(t.get_text().strip() == "[c]" for t in ax.texts)
    plt.close(fig)


def test_event_time_frame_keeps_months_with_enough_people_and_builds_the_counterfactual():
    event_time = pd.DataFrame(
        {
            "event_time": [-2, -1, 0, 1, 2],
            "estimate": [0.0, 0.01, 0.05, 0.10, 0.20],
            "ci_lower": [-0.05, -0.04, -0.01, 0.02, 0.05],
            "ci_upper": [0.05, 0.06, 0.11, 0.18, 0.35],
            "n": [100, 100, 100, 80, 20],
            "participants_rate": [0.10, 0.12, 0.20, 0.30, 0.40],
        }
    )
    frame = event_time_frame(event_time, min_n=60)
    assert frame["event_time"].tolist() == [-2, -1, 0, 1]
    assert frame["counterfactual"].tolist() == pytest.approx([0.10, 0.11, 0.15, 0.20])
    # interval of the counterfactual: observed minus the effect's upper and lower bounds, clipped at 0
    assert frame["counterfactual_lower"].tolist() == pytest.approx([0.05, 0.06, 0.09, 0.12])
    assert frame["counterfactual_upper"].tolist() == pytest.approx([0.15, 0.16, 0.21, 0.28])
    clipped = event_time_frame(event_time.assign(ci_upper=0.9), min_n=60)
    assert (clipped["counterfactual_lower"] >= 0).all()


def test_covariate_labels_are_readable():
    assert charts.covariate_label("benefit_status=universal_credit") == "Benefit status: universal credit"
    assert charts.covariate_label("pre_outcome_share") == "Share of previous 12 months in work"
    assert charts.covariate_label("disabled") == "Disabled"


def test_palette_is_the_analysis_function_palette_with_enough_contrast():
    assert charts.CATEGORICAL[:4] == ["#12436D", "#28A197", "#801650", "#F46A25"]

    def luminance(colour: str) -> float:
        rgb = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    for colour in [*charts.CATEGORICAL, charts.GREY]:
        assert 1.05 / (luminance(colour) + 0.05) >= 3.0, f"{colour} has less than 3:1 contrast on white"
