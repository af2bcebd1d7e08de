"""Reference values for `stage_survival` (Kaplan-Meier probability of reaching a stage).

Two anchors:
1. A published table: the 6-MP arm of the Freireich et al. (1963) leukaemia trial
   (Blood 21:699-716), remission length in weeks for 21 patients, * = censored:
   6 6 6 6* 7 9* 10 10* 11* 13 16 17* 19* 20* 22 23 25* 32* 32* 34* 35*.
   Its Kaplan-Meier estimate is tabulated in Kleinbaum & Klein, *Survival Analysis:
   A Self-Learning Text* (3rd ed., 2012), ch. 2 (remission data, group 1) and in
   Klein & Moeschberger, *Survival Analysis* (2nd ed., 2003), section 4.2 (6-MP group):
   S(6) = 0.8571, S(7) = 0.8067, S(10) = 0.7529, S(13) = 0.6902, S(16) = 0.6275,
   S(22) = 0.5378, S(23) = 0.4482 (four decimals).
   We map it onto the stage API: referral date + weeks; relapse = reaching the stage;
   censoring once through `censor_column`, once through the `as_of` cut.
2. An independent product-limit estimate written in this file (distinct event
   times, prod(1 - d/n)), Greenwood's variance and the log(-log) interval, compared
   with the package on a synthetic participants table at every week.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from evaluation.funnel import ALL, Stage, stage_survival

STAGES = [Stage("referred", "referred_date"), Stage("relapse", "relapse_date")]

# Freireich et al. (1963), 6-MP group: (weeks, relapsed)
SIX_MP = [
    (6, 1), (6, 1), (6, 1), (6, 0), (7, 1), (9, 0), (10, 1), (10, 0), (11, 0), (13, 1),
    (16, 1), (17, 0), (19, 0), (20, 0), (22, 1), (23, 1), (25, 0), (32, 0), (32, 0),
    (34, 0), (35, 0),
]  # fmt: skip

# Kleinbaum & Klein (2012) ch. 2 / Klein & Moeschberger (2003) section 4.2: S(t) by week.
PUBLISHED_S = {6: 0.8571, 7: 0.8067, 10: 0.7529, 13: 0.6902, 16: 0.6275, 22: 0.5378, 23: 0.4482}

ORIGIN = pd.Timestamp("2020-01-06")


def six_mp_with_censor_column() -> pd.DataFrame:
    """Everyone referred on ORIGIN; censored people get a per-person censor date."""
    weeks = np.array([w for w, _ in SIX_MP])
    relapsed = np.array([e for _, e in SIX_MP], dtype=bool)
    end = ORIGIN + pd.to_timedelta(7 * weeks, unit="D")
    return pd.DataFrame(
        {
            "referred_date": pd.to_datetime([ORIGIN] * len(SIX_MP)),
            "relapse_date": pd.to_datetime(np.where(relapsed, end, pd.NaT)),
            "end_date": pd.to_datetime(np.where(relapsed, pd.NaT, end)),
        }
    )


def six_mp_with_as_of_cut(as_of: pd.Timestamp) -> pd.DataFrame:
    """Staggered referrals: a censored person is referred `weeks` before as_of, so the
    as_of cut censors them at exactly that time; relapsed people are referred earlier
    still and relapse before as_of."""
    records = []
    for i, (weeks, relapsed) in enumerate(SIX_MP):
        if relapsed:
            referred = as_of - pd.Timedelta(days=7 * 40 + 3 * i)
            records.append((referred, referred + pd.Timedelta(days=7 * weeks)))
        else:
            records.append((as_of - pd.Timedelta(days=7 * weeks), pd.NaT))
    return pd.DataFrame(records, columns=["referred_date", "relapse_date"]).astype("datetime64[ns]")


@pytest.mark.parametrize("week", sorted(PUBLISHED_S))
def test_six_mp_matches_published_table_with_censor_column(week):
    result = stage_survival(
        six_mp_with_censor_column(),
        stages=STAGES,
        as_of="2030-01-01",
        horizon_weeks=35,
        censor_column="end_date",
    )
    survival = 1 - result.at(week)["probability"].iloc[0]
    assert survival == pytest.approx(PUBLISHED_S[week], abs=5e-5)  # table is to 4 dp


def test_six_mp_matches_published_table_with_as_of_cut():
    as_of = pd.Timestamp("2021-06-30")
    result = stage_survival(six_mp_with_as_of_cut(as_of), stages=STAGES, as_of=as_of, horizon_weeks=35)
    at = result.at(list(PUBLISHED_S)).set_index("week")
    np.testing.assert_allclose(1 - at["probability"].to_numpy(), list(PUBLISHED_S.values()), atol=5e-5)
    # Number at risk at week 10 (times >= 10 weeks): 15, as in the published table.
    assert at.loc[10, "at_risk"] == 15


def test_six_mp_greenwood_and_interval_by_hand():
    # Greenwood: Var S(t) = S(t)^2 * sum over event times <= t of d / (n (n - d)).
    # Up to week 23: (6: n 21, d 3) (7: 17, 1) (10: 15, 1) (13: 12, 1) (16: 11, 1)
    # (22: 7, 1) (23: 6, 1).
    risk = [(21, 3), (17, 1), (15, 1), (12, 1), (11, 1), (7, 1), (6, 1)]
    s23 = np.prod([1 - d / n for n, d in risk])
    greenwood = sum(d / (n * (n - d)) for n, d in risk)
    se23 = s23 * np.sqrt(greenwood)
    # log(-log) interval (Kalbfleisch & Prentice; Stata's `sts list` default):
    # S^exp(+-z sigma), sigma = sqrt(greenwood) / |log S|.
    z = stats.norm.ppf(0.975)
    sigma = np.sqrt(greenwood) / abs(np.log(s23))
    s_lower, s_upper = s23 ** np.exp(z * sigma), s23 ** np.exp(-z * sigma)
    result = stage_survival(
        six_mp_with_censor_column(),
        stages=STAGES,
        as_of="2030-01-01",
        horizon_weeks=23,
        censor_column="end_date",
    )
    row = result.at(23).iloc[0]
    assert s23 == pytest.approx(0.4482, abs=5e-5)  # the hand computation is the table's
    assert 1 - row["probability"] == pytest.approx(s23, rel=1e-12)
    assert row["std_error"] == pytest.approx(se23, rel=1e-10)
    assert row["ci_lower"] == pytest.approx(1 - s_upper, rel=1e-10)
    assert row["ci_upper"] == pytest.approx(1 - s_lower, rel=1e-10)
    # The headline is the same figure at the horizon.
    assert result.estimate == pytest.approx(1 - s23, rel=1e-12)
    # Beyond the last observation (35 weeks, censored) the curve is undefined.
    assert np.isnan(result.at(36)["probability"].iloc[0])


# --------------------------------------------------------------------------- hand KM


def km_by_hand(time: np.ndarray, event: np.ndarray, t: float) -> tuple[float, float]:
    """Product-limit S(t) and Greenwood SE over distinct event times <= t."""
    surv, greenwood = 1.0, 0.0
    for u in np.unique(time[event]):
        if u > t:
            break
        n = int((time >= u).sum())
        d = int(((time == u) & event).sum())
        surv *= 1 - d / n
        greenwood += d / (n * (n - d)) if n > d else 0.0
    return surv, surv * np.sqrt(greenwood)


def synthetic_participants(seed: int = 20250401, size: int = 400) -> tuple[pd.DataFrame, ...]:
    """Referrals over a year; about 60% start a job after a gamma-distributed wait;
    some withdraw (and never start); about 10% have a missing engagement date."""
    rng = np.random.default_rng(seed)
    origin = pd.Timestamp("2024-04-01")
    referred = origin + pd.to_timedelta(rng.integers(0, 365, size), unit="D")
    engaged = referred + pd.to_timedelta(rng.integers(0, 30, size), unit="D")
    job_wait = rng.gamma(2.0, 60.0, size).round()
    gets_job = rng.random(size) < 0.6
    job = pd.Series(engaged + pd.to_timedelta(job_wait, unit="D")).where(gets_job)
    withdrawn = pd.Series(referred + pd.to_timedelta(rng.integers(10, 200, size), unit="D"))
    withdrawn = withdrawn.where(~gets_job & (rng.random(size) < 0.5))
    frame = pd.DataFrame(
        {
            "referred_date": referred,
            "engaged_date": pd.Series(engaged).where(rng.random(size) > 0.1),
            "job_start_date": job,
            "withdrawn_date": withdrawn,
            "carer": rng.choice(["yes", "no"], size),
        }
    )
    return frame, origin + pd.Timedelta(days=420)


def test_synthetic_curve_matches_hand_product_limit_every_week():
    frame, as_of = synthetic_participants()
    stages = {"referred": "referred_date", "engaged": "engaged_date", "job": "job_start_date"}
    result = stage_survival(frame, stages=stages, as_of=as_of, by="carer", horizon_weeks=52)
    for group in [ALL, "no", "yes"]:
        sub = frame if group == ALL else frame[frame["carer"] == group]
        sub = sub[sub["referred_date"] <= as_of]
        reached = sub["job_start_date"].notna() & (sub["job_start_date"] <= as_of)
        # Withdrawn people are not censored at withdrawal: censoring only at as_of.
        end = sub["job_start_date"].where(reached, as_of)
        time = ((end - sub["referred_date"]) / pd.Timedelta(days=1)).to_numpy()
        event = reached.to_numpy()
        curve = result.curves[(result.curves["stage"] == "job") & (result.curves["group"] == group)]
        for row in curve.itertuples():
            t = 7 * row.week
            if t > time.max():
                continue
            surv, se = km_by_hand(time, event, t)
            assert row.probability == pytest.approx(1 - surv, abs=1e-12)
            assert row.std_error == pytest.approx(se, abs=1e-12)
            assert row.at_risk == int((time >= t).sum())


def test_withdrawal_is_not_censoring():
    # Censoring leavers at withdrawal would raise the curve; administrative censoring
    # keeps them at risk. Check the package is the lower (honest) one at 26 weeks.
    frame, as_of = synthetic_participants()
    stages = {"referred": "referred_date", "job": "job_start_date"}
    honest = stage_survival(frame, stages=stages, as_of=as_of).at(26)["probability"].iloc[0]
    naive = (
        stage_survival(frame, stages=stages, as_of=as_of, censor_column="withdrawn_date")
        .at(26)["probability"]
        .iloc[0]
    )
    assert honest < naive
