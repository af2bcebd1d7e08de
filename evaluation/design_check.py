"""A design check on the evaluator's own data: plasmode simulation on the real comparison pool.

Before reading an activity's answer, an evaluator can ask whether the method can be trusted
on these data. `check_design` answers by simulation on the real comparison pool (Franklin
et al. 2014, "Plasmode simulation for the evaluation of pharmacoepidemiologic methods"):

1. The activity's own matched sample is built once (`stacking.matched_sample`): every
   comparison person anchored at every participant referral month, with characteristics
   and employment and benefit histories, and a propensity score fitted against the real
   participants.
2. Each draw picks pseudo-participants from the pool, as many per referral month as the
   activity has, with probability proportional to the odds of participation. They therefore
   resemble the participants in characteristics and history, including any fall in
   employment in the months before referral (`DesignCheck.dip` shows how closely).
3. A known effect is injected into their real outcomes from the pseudo-referral month on
   (a month out of work becomes in work with probability delta, so the effect at each month
   is delta x the share out of work), and none in a second run (a true zero).
4. The same estimator and the same falsification checks run on each draw; the report gives
   bias, coverage of the 95% interval, how often a verdict would have been published and
   how often a significant one would have been published at a true zero, each with its
   Monte Carlo standard error.

What it cannot check: selection on things that leave no trace in the pool's data. The
pseudo-participants are selected on what was recorded; real participants may also differ in
what was not, which is what the placebo referrals in every impact report test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from evaluation.errors import DesignError, OptionError
from evaluation.falsification import falsify
from evaluation.histories import month_start
from evaluation.matched import matched_comparison
from evaluation.stacking import DEFAULT_COVARIATES, matched_sample

DEFAULT_DRAWS = 100
DEFAULT_EFFECT = 0.05
"""The injected effect on the chance of being in work (proportion), when none is given."""

__all__ = ["DEFAULT_DRAWS", "DEFAULT_EFFECT", "DesignCheck", "check_design"]


@dataclass(frozen=True)
class DesignCheck:
    """Results of the plasmode simulation for one activity (proportions; MC standard errors)."""

    activity_id: str
    draws: int
    horizon: int
    effect: float
    n_pseudo: int
    table: pd.DataFrame = field(repr=False, compare=False)
    dip: pd.DataFrame = field(repr=False, compare=False)
    replications: pd.DataFrame = field(repr=False, compare=False)

    def summary(self) -> str:
        lines = [
            f"Design check for {self.activity_id}: {self.draws} draws of {self.n_pseudo} pseudo-participants from "
            f"the comparison pool, effect at {self.horizon} months.",
            self.table.to_string(index=False, float_format=lambda v: f"{v:.3f}"),
            "",
            "Employment before (pseudo-)referral, participants and pseudo-participants:",
            self.dip.to_string(index=False, float_format=lambda v: f"{v:.3f}"),
        ]
        return "\n".join(lines)


def _draw(rng, pool_rows: pd.DataFrame, cohorts: pd.Series) -> pd.DataFrame:
    """Pseudo-participants: per cohort as many pool rows as participants, by odds, one anchor each."""
    chosen: list[pd.DataFrame] = []
    taken: set[object] = set()  # the pool's person codes already drawn
    for cohort, count in cohorts.sort_index().items():
        rows = pool_rows[(pool_rows["cohort"] == cohort) & ~pool_rows["person"].isin(taken)]
        if rows.empty:
            continue
        weights = rows["odds"].to_numpy(dtype=float)
        if weights.sum() <= 0:
            continue
        size = min(int(count), int((weights > 0).sum()))
        pick = rng.choice(len(rows), size=size, replace=False, p=weights / weights.sum())
        picked = rows.iloc[pick]
        taken.update(picked["person"])
        chosen.append(picked)
    return pd.concat(chosen, ignore_index=True) if chosen else pool_rows.iloc[:0]


def _inject(outcomes, pseudo, *, effect, rng, person, month, outcome):
    """Outcomes with the effect added for pseudo-participants from their pseudo-referral month,
    and the realised true effect at each month after it."""
    start = dict(zip(pseudo["person"], pseudo["referral"], strict=True))
    rows = outcomes[person].isin(start)
    out = outcomes.copy()
    if effect == 0:
        return out
    part = out.loc[rows]
    after = pd.to_datetime(part[month]).to_numpy() >= part[person].map(start).to_numpy()
    base = pd.to_numeric(part[outcome]).to_numpy()
    flip = after & (base == 0) & (rng.random(len(part)) < effect)
    values = base.copy()
    values[flip] = 1
    out.loc[rows, outcome] = values
    return out


def check_design(
    programme,
    activity_id: str,
    *,
    draws: int = DEFAULT_DRAWS,
    effect: float = DEFAULT_EFFECT,
    horizon: int | None = None,
    seed: int = 0,
    checks: bool = True,
    min_n: int = 60,
) -> DesignCheck:
    """Plasmode simulation of the activity's matched comparison on the real comparison pool.

    `effect` is the injected probability that a month out of work becomes a month in work
    after pseudo-referral (the realised effect, smaller, is measured and used as the truth);
    `horizon` defaults to the activity's headline horizon; `checks` runs the falsification
    checks on every draw (three times slower), so the published-verdict rates can be given.
    """
    if not 0 <= effect < 1:
        raise OptionError(f"effect={effect!r} must be a probability in [0, 1)")
    if draws < 1:
        raise OptionError(f"draws={draws!r} must be at least 1")
    people = programme.participants_of(activity_id)
    if people.empty:
        raise DesignError(f"activity {activity_id!r} has no participants", "Check the activity id")
    pool, outcomes = programme.comparison_pool, programme.outcomes_monthly
    options: dict[str, Any] = dict(
        covariates=DEFAULT_COVARIATES,
        exact=("la_code",),
        outcome="employed",
        pre_months=12,
        ratio=10,
        caliper=0.2,
        seed=seed,
        alpha=0.05,
        person="person_id",
        referral="referred_date",
        month="month",
        last_month=None,
    )
    real = matched_comparison(people, pool, outcomes, horizons=(6, 12), seed=seed, min_n=min_n)
    horizon = int(real.horizon if horizon is None else horizon)
    sample = matched_sample(people, pool, outcomes, **options)
    stacked = sample.stacked
    logit = sample.matched.logit_propensity.reindex(stacked.frame.index).to_numpy(dtype=float)
    controls = ~stacked.treated
    pool_rows = pd.DataFrame(
        {
            "person": np.asarray(sample.data.row_of)[stacked.outcome_row[controls]],
            "cohort": stacked.anchor_col[controls],
            "odds": np.exp(np.clip(np.where(np.isfinite(logit[controls]), logit[controls], -50), -50, 50)),
        }
    )
    cohorts = pd.Series(stacked.anchor_col[stacked.treated]).value_counts()
    attributes = pool.set_index("person_id")
    rng = np.random.default_rng(seed)
    records = []
    dips = []
    for draw in range(draws):
        pseudo = _draw(rng, pool_rows, cohorts)
        pseudo = pseudo.assign(referral=[month_start(c + sample.data.first) for c in pseudo["cohort"]])
        participants = attributes.loc[pseudo["person"]].reset_index()
        participants["referred_date"] = pseudo["referral"].to_numpy()
        participants["activity_id"] = activity_id
        rest = pool[~pool["person_id"].isin(pseudo["person"])]
        dips.append(_pre_rates(sample.data, pseudo, sample.data.first))
        for scenario, size in (("effect", effect), ("zero", 0.0)):
            injected = _inject(
                outcomes, pseudo, effect=size, rng=rng, person="person_id", month="month", outcome="employed"
            )
            truth = _truth(outcomes, injected, pseudo, horizon)
            try:
                found = matched_comparison(
                    participants, rest, injected, horizons=(horizon,), seed=seed + draw, min_n=min_n
                )
            except DesignError:
                continue
            credible = True
            if checks:
                credible = falsify(
                    found, participants, rest, injected, min_n=min_n, seed=seed + draw
                ).credible
            records.append(
                {
                    "scenario": scenario,
                    "draw": draw,
                    "truth": truth,
                    "estimate": found.estimate,
                    "ci_lower": found.ci_lower,
                    "ci_upper": found.ci_upper,
                    "covered": found.ci_lower <= truth <= found.ci_upper,
                    "significant": bool(found.ci_lower > 0 or found.ci_upper < 0),
                    "published": credible,
                }
            )
    replications = pd.DataFrame(records)
    participants_dip = _pre_rates(sample.data, _real_anchors(sample), sample.data.first)
    dip = pd.DataFrame(
        {
            "months_before": np.arange(-6, 0),
            "participants": participants_dip,
            "pseudo_participants": np.nanmean(np.vstack(dips), axis=0) if dips else np.nan,
        }
    )
    return DesignCheck(
        activity_id=activity_id,
        draws=draws,
        horizon=horizon,
        effect=effect,
        n_pseudo=int(cohorts.sum()),
        table=_summarise(replications),
        dip=dip,
        replications=replications,
    )


def _real_anchors(sample) -> pd.DataFrame:
    treated = sample.stacked.treated
    return pd.DataFrame(
        {
            "person": np.asarray(sample.data.row_of)[sample.stacked.outcome_row[treated]],
            "cohort": sample.stacked.anchor_col[treated],
        }
    )


def _pre_rates(data, anchors: pd.DataFrame, first: int) -> np.ndarray:
    """Mean employment at months -6..-1 before each row's anchor."""
    rows = data.row_of.get_indexer(anchors["person"])
    values = data.relative(rows, anchors["cohort"].to_numpy(dtype=np.int64), np.arange(-6, 0))
    return np.nanmean(values, axis=0)


def _truth(before: pd.DataFrame, after: pd.DataFrame, pseudo: pd.DataFrame, horizon: int) -> float:
    """Realised effect at `horizon` months: mean change in the outcome among pseudo-participants."""
    target = dict(zip(pseudo["person"], pseudo["referral"] + pd.DateOffset(months=horizon), strict=True))
    rows = before["person_id"].map(target).eq(pd.to_datetime(before["month"]))
    if not rows.any():
        return float("nan")
    change = (
        pd.to_numeric(after.loc[rows, "employed"]).to_numpy()
        - pd.to_numeric(before.loc[rows, "employed"]).to_numpy()
    )
    return float(change.mean())


def _rate(flags: np.ndarray) -> tuple[float, float]:
    """A share and its binomial Monte Carlo standard error."""
    share = float(np.mean(flags))
    return share, float(np.sqrt(share * (1 - share) / len(flags)))


def _summarise(replications: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for scenario, group in replications.groupby("scenario", sort=False):
        n = len(group)
        error = group["estimate"] - group["truth"]
        published = group["published"].to_numpy(dtype=bool)
        significant = group["significant"].to_numpy(dtype=bool)
        coverage, coverage_se = _rate(group["covered"].to_numpy(dtype=bool))
        sig, sig_se = _rate(significant)
        pub, pub_se = _rate(published)
        pub_sig, pub_sig_se = _rate(significant & published)
        rows.append(
            {
                "scenario": scenario,
                "draws": n,
                "mean_truth": float(group["truth"].mean()),
                "bias": float(error.mean()),
                "bias_mc_se": float(error.std(ddof=1) / np.sqrt(n)) if n > 1 else float("nan"),
                "coverage": coverage,
                "coverage_mc_se": coverage_se,
                "significant": sig,
                "significant_mc_se": sig_se,
                "published": pub,
                "published_mc_se": pub_se,
                "published_significant": pub_sig,
                "published_significant_mc_se": pub_sig_se,
            }
        )
    return pd.DataFrame(rows)
