"""The design check (plasmode simulation on the real comparison pool) and its command."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from evaluation.cli import main
from evaluation.design_check import _inject, check_design
from evaluation.programme import load_programme
from evaluation.report.checks import design_check_sentences

ACTIVITY = "vcse_small_grants"


def test_inject_adds_work_only_for_pseudo_participants_from_their_referral_month():
    months = pd.date_range("2025-01-01", "2025-06-01", freq="MS")
    outcomes = pd.DataFrame(
        {
            "person_id": np.repeat(["A", "B"], 6),
            "month": np.tile(months, 2),
            "employed": [0, 1, 0, 0, 0, 0] * 2,
        }
    )
    pseudo = pd.DataFrame({"person": ["A"], "referral": [pd.Timestamp("2025-03-01")]})
    rng = np.random.default_rng(1)
    changed = _inject(
        outcomes, pseudo, effect=1.0, rng=rng, person="person_id", month="month", outcome="employed"
    )
    a = changed[changed["person_id"] == "A"]["employed"].tolist()
    assert a == [0, 1, 1, 1, 1, 1]  # before March untouched; from March every month out of work flips
    assert changed[changed["person_id"] == "B"]["employed"].tolist() == [0, 1, 0, 0, 0, 0]
    assert outcomes["employed"].tolist() == [0, 1, 0, 0, 0, 0] * 2  # input not modified
    same = _inject(
        outcomes, pseudo, effect=0.0, rng=rng, person="person_id", month="month", outcome="employed"
    )
    pd.testing.assert_frame_equal(same, outcomes)


@pytest.fixture(scope="module")
def found(synthetic_folder):
    programme = load_programme(synthetic_folder)
    return check_design(programme, ACTIVITY, draws=3, effect=0.2, seed=5, checks=False)


def test_design_check_knows_its_truths(found):
    table = found.table.set_index("scenario")
    assert set(table.index) == {"effect", "zero"}
    assert table.loc["zero", "mean_truth"] == 0  # nothing injected
    # a month out of work becomes one in work with probability 0.2, so the realised effect is
    # 0.2 x the share out of work: positive and below 0.2
    assert 0 < table.loc["effect", "mean_truth"] < 0.2
    reps = found.replications
    assert len(reps) == 6 and reps["draw"].nunique() == 3
    assert np.allclose(reps.loc[reps["scenario"] == "zero", "truth"], 0)
    assert (table[["bias_mc_se", "coverage_mc_se"]] >= 0).all().all()


def test_pseudo_participants_resemble_the_participants_before_referral(found):
    # drawn by the odds of participation on characteristics and the last 6 months, they
    # share the participants' employment path before referral, dip included
    dip = found.dip
    assert dip["months_before"].tolist() == [-6, -5, -4, -3, -2, -1]
    assert np.all(np.abs(dip["participants"] - dip["pseudo_participants"]) < 0.1), dip


def test_design_check_sentences_state_the_table(found):
    text = " ".join(design_check_sentences(found))
    zero = found.table.set_index("scenario").loc["zero"]
    assert f"{100 * zero['significant']:.0f}%" in text
    assert "3 simulated programmes" in text
    assert "cannot show" in text


def test_check_design_command_writes_the_table(synthetic_folder, tmp_path, capsys):
    code = main(
        [
            "check-design",
            str(synthetic_folder),
            "--activity",
            ACTIVITY,
            "--draws",
            "2",
            "--no-checks",
            "--out",
            str(tmp_path),
        ]
    )
    assert code == 0
    written = pd.read_csv(tmp_path / f"design_check_{ACTIVITY}.csv")
    assert set(written["scenario"]) == {"effect", "zero"}
    assert "Monte Carlo standard errors" in capsys.readouterr().out


def test_check_design_command_refuses_an_unknown_activity(synthetic_folder, capsys):
    assert (
        main(["check-design", str(synthetic_folder), "--activity", "no_such_activity", "--draws", "1"]) == 2
    )
    assert "no_such_activity" in capsys.readouterr().err
