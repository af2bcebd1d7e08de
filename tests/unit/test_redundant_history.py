"""`stacking._redundant` skips its pivoted QR only where the QR would drop nothing: the same
columns are dropped with and without the shortcut (`_clearly_full_rank`)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation import stacking


def _history(n: int, seed: int = 5) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    months = rng.random((n, 6)) < 0.4
    frame = pd.DataFrame(months.astype(float), columns=[f"employed_m{k}" for k in range(1, 7)])
    frame["employed_share_7_12"] = rng.integers(0, 7, n) / 6
    return frame


def _qr_only(frame: pd.DataFrame, columns: list[str], monkeypatch) -> list[str]:
    with monkeypatch.context() as patch:
        patch.setattr(stacking, "_clearly_full_rank", lambda design: False)
        return stacking._redundant(frame, columns)


def test_a_full_rank_history_drops_nothing_without_the_qr(monkeypatch):
    frame = _history(5_000)
    columns = list(frame.columns)
    calls = []
    monkeypatch.setattr(stacking, "scipy_qr", lambda *a, **k: calls.append(1))
    assert stacking._redundant(frame, columns) == []
    assert calls == []  # the shortcut answered


@pytest.mark.parametrize(
    "make",
    [
        lambda f: f.assign(copy=f["employed_m1"]),  # a repeated month
        lambda f: f.assign(total=f[[f"employed_m{k}" for k in range(1, 7)]].sum(axis=1) / 6),  # a share
        lambda f: f.assign(constant=1.0),
        lambda f: f.assign(nearly=f["employed_m2"] + 1e-14 * np.arange(len(f))),  # deficient below 1e-9
    ],
)
def test_a_deficient_history_drops_what_the_qr_drops(make, monkeypatch):
    frame = make(_history(5_000))
    columns = list(frame.columns)
    dropped = stacking._redundant(frame, columns)
    assert dropped and dropped == _qr_only(frame, columns, monkeypatch)


def test_the_shortcut_agrees_with_the_qr_on_random_histories(monkeypatch):
    for seed in range(5):
        frame = _history(2_000, seed)
        assert stacking._redundant(frame, list(frame.columns)) == _qr_only(
            frame, list(frame.columns), monkeypatch
        )
