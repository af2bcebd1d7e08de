"""An independent data-generating process (DGP) for simulation tests of impact estimators.

Written without reference to the toolkit's estimators (`evaluation/stacking.py`, `matched.py`,
`matching.py`, `synthetic.py`), from the data contracts only, so that the matched-comparison
estimator is tested on data it was not designed around. `simulate(seed, ...)` returns a `SimulatedProgramme`:
contract-valid `participants`, `comparison_pool` and monthly `outcomes`, plus the true average
effect on the treated (ATT) at each horizon h = 0..12 months after the referral month.
One replication at the defaults (4,500 people, 85 simulated months) takes about 0.14 s: every
step is vectorised over people and only the month loop of the latent process is in Python.

Population and calendar
-----------------------
N = n_participants * (1 + pool_multiple) people out of work, or at risk of it, through ill
health, disability or caring, in `n_areas` local authorities E08000001, E08000002, ...
Data months t = 0..48 are 2021-04 .. 2025-04 (`last_month`); 36 burn-in months before t = 0
are simulated but never output, so that everybody has a work history (and
`months_since_last_worked`) when the data begin. Referral months are t = 25..36
(2023-05 .. 2024-04): at least 25 months of pre-referral history, and at least 12 months after
the last referral month, so horizons 0..12 are observed for everybody.

Observed traits X_i (drawn once; recorded at referral, or for the pool at the programme's start)
  age at the programme's start 18..63 (65% uniform, 35% uniform 45..63; at referral at most 64);
  sex female with p = 0.52; ethnic_group white/mixed/asian/black/other/not_stated with
  p = .80/.03/.08/.04/.02/.03; health_condition none/mental_health/musculoskeletal/
  other_physical/multiple with p = .14/.36/.20/.14/.16 ("none" = out of work through caring);
  disabled with p = .05/.45/.60/.55/.75 by health condition; carer .70 if no condition, else .12;
  parent .30 under 45 (.08 from 45) + .10 if female; neurodivergent .06 + .10 (mental health or
  multiple) + .06 (under 30); veteran .02 + .05 (35+) for men, .005 for women; social_housing
  .22 + .12 disabled + .08 parent; la_code uniform over the areas.

Unrecorded employability
  theta_i ~ N(0, 1), independent of X_i, fixed for life, never output. It raises the chance of
  being in work every month and (times `unobserved`) lowers the chance of being referred, so it
  shows only through people's employment history.

Untreated employment: a thresholded latent AR(1) process (a probit with persistent errors)
  mu_it  = x_i'beta + a_area + 0.8 theta_i + g_t - 0.9 C_it
  e_it   = 0.99 e_i,t-1 + sqrt(1 - 0.99^2) eps_it,   eps_it ~ N(0, 1),  e at the burn-in start ~ N(0, 1)
  Y0_it  = 1{e_it > -mu_it} = 1{U_it < p0_it},  U_it = Phi(-e_it) ~ U(0, 1),  p0_it = Phi(mu_it)
  (p0_it = 0 before a person's 16th birthday.)
  x_i'beta = 0.10 - 0.001 (age - 38)^2 - 0.10 female - parent (0.05 + 0.20 female) - 0.35 carer
           - 0.25 disabled + {0, -0.30, -0.30, -0.25, -0.55}[health] - 0.15 neurodivergent
           + 0.10 veteran - 0.25 social_housing + {0, -.05, -.12, -.10, -.10, -.05}[ethnic group];
  a_area ~ N(0, 0.12^2) per area; the common calendar term g_t = 0.004 max(t, 0)
  + 0.04 cos(2 pi (calendar month - 12) / 12) (a rising trend and a December peak).
  C_it is an unrecorded health crisis, a two-state Markov chain: onset 0.010 a month times
  {0.4, 1.6, 1.0, 1.0, 2.0}[health], continuation 0.75 (4 months on average); while it lasts the
  chance of work falls (kappa = 0.9 on the probit scale), so many job losses follow a crisis.
  At the defaults about 25% of everybody is in work in the first data month and 32% in the
  last; 2.4% of those out of work start work each month and 5.5% of those in work leave it
  (spells of years, not months: rho = 0.99 keeps the latent state persistent).

Out-of-work benefit (monthly, from the realised employment path)
  claimant_i ~ Bernoulli(expit(1.0 + 0.6 disabled + 0.5 social_housing + 0.4 [any condition]
               + 0.5 carer - 0.04 max(age - 55, 0)));
  out of work: on benefit with p = 0.97 if a claimant, else 0.03; in work: p = 0.60 in the first
  month of a job for a claimant (the benefit runs on), else 0.02.
  benefit_status (month before referral, pool: month before the programme's start): if on
  benefit, esa with p = (0.40 - 0.00625 t) x (1.4 if 24+ months out of work else 0.6) (legacy
  benefits migrating to UC), "other" with p = 0.03 (+ 0.35 carers: Carer's Allowance), else
  universal_credit; if not, pip_only with p = 0.45 if disabled (0.04 otherwise), other 0.06,
  else none. months_since_last_worked = months since the last month in work, counted at the
  month before referral (0 = in work then; 600 = never worked; before the burn-in, a person out
  of work had never worked with p = expit(-2.2 - 0.7 theta + 1.0 [under 25]), or else last
  worked a geometric number of months ago, mean 30, no earlier than age 16).

Referral (discrete-time hazard, months t = 25..36, until first referral)
  logit h_it = alpha + x_i'b + r_area - unobserved * 0.8 theta_i + dip * D_it
  x_i'b = {-0.30, 0.35, 0.10, 0, 0.25}[health] + 0.20 disabled + 0.10 carer + 0.10 female
        + 0.25 neurodivergent + 0.20 veteran + 0.20 social_housing - 0.10 parent - 0.012 (age - 40);
  r_area ~ N(0, 0.25^2) per area (some areas refer more);
  D_it = 1{j_it >= 1} (0.5 + 2.5 * 0.8^max(j_it - 3, 0)), where j_it = months since last worked
  at t - 1 (j = 0 if in work in t - 1). Leaving work 1..3 months before multiplies the odds of
  referral by e^3 = 20, fading thereafter; being out of work at all by e^0.5. It uses only
  history up to t - 1, so referral in month t does not depend on treated outcomes.
  alpha is set so that exactly n_participants people are referred: person i is referred in the
  first window month with V_it < expit(alpha + s_it), V_it ~ U(0, 1), i.e. with
  logit(V_it) - s_it < alpha; alpha lies midway between the n-th and (n+1)-th smallest of
  min_t (logit(V_it) - s_it). Everybody never referred is in the comparison pool
  (pool_multiple x n_participants people).

Programme effect and the truth
  From the referral month r_i on, a participant's monthly probability of being in work rises by
  `effect`, phased in as support gets going:
  p1_it = min(p0_it + effect * w_(t - r_i), 1),  w_h = 1 - 0.75^(h + 1) (0.25, 0.44, 0.58, ... 0.98).
  Y1_it = 1{U_it < p1_it} with the same U_it as Y0 (common random numbers), so Y1 >= Y0 and
  Y1 = Y0 exactly when effect = 0; participants' observed outcome is Y0 before r_i, Y1 from r_i.
  truth[h] = mean over participants of Y1 - Y0 at r_i + h (the realised ATT).
  truth_expected[h] = mean over participants of P(Y1 = 1) - P(Y0 = 1) given their traits, crisis
  path and latent state e_i,r_i-1: e at r + h given e_r-1 is N(rho^(h+1) e_r-1, 1 - rho^(2(h+1))).
  It has the same expectation as truth[h], with less Monte Carlo noise. Both differ from
  `effect` x w_h: with the dip, participants are recent job-losers near the margin of work, so
  the ATT (about 0.05 at h = 0, 0.10 at h = 3, 0.11 from h = 6 for effect = 0.08) exceeds the
  shift in the average person's probability; without the dip (dip = 0) it is close to
  effect x w_h (0.02, 0.06, 0.07, 0.08 at h = 0, 3, 6, 12).

Why this is realistic
  * Ashenfelter's dip. Participants' employment falls in the months before referral
    (at the defaults, averaged over 20 seeds: 0.20 over months -24..-13, 0.235 at months -6..-4,
    then 0.21, 0.17 and 0.08 at months -3, -2, -1; with dip = 0 it stays flat at 0.16). Selecting
    recent job-losers also lifts participants' employment a little in the year before the dip.
    Heckman & Smith (1999, "The pre-programme earnings dip and the determinants of participation
    in a social programme", Economic Journal 109) show that the dip is driven by labour-force
    status dynamics, transitions out of work just before entry, rather than by transitory
    earnings shocks; the referral hazard here depends on exactly that, a recent exit from work.
  * Labour-market histories. Lechner & Wunsch (2013, "Sensitivity of matching-based program
    evaluations to the availability of control variables", Labour Economics 21) find that
    detailed employment and benefit histories are the controls that matter most for removing
    selection bias; here the unrecorded theta_i and the recent job loss are both visible only
    in the monthly history, and the ~25 months of pre-referral outcomes carry that information.
  * Persistent employment with heterogeneity (theta, traits, areas), a calendar trend with
    seasonality, health-driven job loss, benefit run-on in the first month of a job, legacy ESA
    migrating to Universal Credit, staggered referral over 12 months.

What makes it hard for a matching estimator
  * Selection on theta (unobserved > 0): at the defaults participants' employment in the first
    23 data months is about 8.5 points below the pool's (13 points without the dip), and observed
    traits explain only about 1 point of it (with unobserved = 0 and dip = 0 the gap is 0 given
    the traits). Matching on traits alone is biased downwards; the bias falls
    only as far as the estimator uses the employment history, which reveals theta imperfectly.
  * The dip and regression to the mean: untreated participants' employment recovers after
    referral (with effect = 0, about 0.08 at month -1, 0.13 at month 0, 0.18 at month +6), so a
    difference-in-differences whose pre-period includes the dip, or matching that ignores recent
    job loss, credits the programme with this recovery (bias upwards).
  * Truth heterogeneity: the ATT differs from the `effect` parameter and builds up with h.
  * Small groups (n_participants = 60) and the calendar trend and seasonality common to all.

Parameters of `simulate`: seed; effect (default 0.08; 0 = no effect); dip (default 1; 0 = the
referral hazard does not depend on recent employment, so no dip); unobserved (default 1; 0 =
selection on observed traits only, given the history); n_participants (exact; default 500);
pool_multiple (default 8); n_areas (default 4). `SCENARIOS` holds named presets for tests:
`simulate(seed, **SCENARIOS["dip_and_unobserved"])`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import pandas as pd
from scipy.special import expit, logit, ndtr, ndtri

# --- calendar -----------------------------------------------------------------------------
FIRST_MONTH = pd.Timestamp("2021-04-01")
N_MONTHS = 49  # data months 0..48: 2021-04 .. 2025-04
BURN_IN = 36  # months simulated before the data begin (never output): a history for months_since_last_worked
WINDOW_START = 25  # first referral month (data index): 25 months of history before anyone is referred
WINDOW_LENGTH = 12  # referral months 25..36 (2023-05 .. 2024-04)
HORIZONS = tuple(range(13))  # months after the referral month at which the truth is given
ACTIVITY_ID = "sim_activity"

# --- observed traits ----------------------------------------------------------------------
AGE_RANGE = (18, 63)  # age at the programme's start; at referral at most 64
HEALTH = ("none", "mental_health", "musculoskeletal", "other_physical", "multiple")
HEALTH_SHARE = (0.14, 0.36, 0.20, 0.14, 0.16)
ETHNIC = ("white", "mixed", "asian", "black", "other", "not_stated")
ETHNIC_SHARE = (0.80, 0.03, 0.08, 0.04, 0.02, 0.03)
DISABLED_BY_HEALTH = (0.05, 0.45, 0.60, 0.55, 0.75)
CARER_BY_HEALTH = (0.70, 0.12, 0.12, 0.12, 0.12)  # "none": out of work because of caring

# --- employment: Y_it = 1{e_it > -mu_it}, P(Y_it = 1) = Phi(mu_it) ------------------------
EMP_INTERCEPT = 0.10
EMP_AGE_QUAD = -0.0010  # times (age - 38)^2
EMP_FEMALE = -0.10
EMP_PARENT = -0.05  # plus EMP_PARENT_FEMALE for mothers
EMP_PARENT_FEMALE = -0.20
EMP_CARER = -0.35
EMP_DISABLED = -0.25
EMP_HEALTH = (0.0, -0.30, -0.30, -0.25, -0.55)
EMP_NEURODIVERGENT = -0.15
EMP_VETERAN = 0.10
EMP_SOCIAL_HOUSING = -0.25
EMP_ETHNIC = (0.0, -0.05, -0.12, -0.10, -0.10, -0.05)
EMP_AREA_SD = 0.12
EMP_THETA = 0.80  # lambda_Y: unrecorded employability
EMP_TREND = 0.004  # per data month (probit scale)
EMP_SEASON = 0.04  # amplitude of a December peak
EMP_CRISIS = 0.90  # kappa: a health crisis lowers the index by this much while it lasts
PHASE_IN = 0.25  # share of the remaining effect added each month: w_h = 1 - (1 - 0.25)^(h + 1)
RHO = 0.99  # monthly autocorrelation of the latent readiness shock e_it
CRISIS_ONSET = 0.010  # monthly onset probability, times CRISIS_BY_HEALTH
CRISIS_BY_HEALTH = (0.4, 1.6, 1.0, 1.0, 2.0)
CRISIS_STAY = 0.75  # a crisis lasts on average 1 / (1 - 0.75) = 4 months
NEVER_WORKED_INTERCEPT = -2.2  # logit; at the start of the burn-in, among those out of work
PRIOR_GAP_MEAN = 30  # months since last worked before the burn-in (geometric), if ever worked

# --- out-of-work benefit ------------------------------------------------------------------
CLAIM_INTERCEPT = 1.0  # logit of being a claimant when out of work
CLAIM_STAY = 0.97  # a claimant out of work is recorded on benefit in 97% of months
NON_CLAIMANT_ON = 0.03
RUN_ON = 0.60  # first month in a job: still on the out-of-work benefit (assessment period)
IN_WORK_ON = 0.02

# --- referral: logit h_it = alpha + x_i'b + u*LAMBDA_R*(-theta_i) + dip*D_it --------------
REF_HEALTH = (-0.30, 0.35, 0.10, 0.0, 0.25)
REF_DISABLED = 0.20
REF_CARER = 0.10
REF_FEMALE = 0.10
REF_NEURODIVERGENT = 0.25
REF_VETERAN = 0.20
REF_SOCIAL_HOUSING = 0.20
REF_PARENT = -0.10
REF_AGE = -0.012  # times (age - 40)
REF_AREA_SD = 0.25
REF_THETA = 0.80  # LAMBDA_R: lower employability -> more likely referred (times `unobserved`)
REF_LOST_JOB = (
    2.5  # left work 1..3 months before (j <= 3), fading by REF_LOST_DECAY^(j - 3) after (times `dip`)
)
REF_LOST_MONTHS = 3
REF_LOST_DECAY = 0.8  # j = months since last worked, counted at the month before referral
REF_OUT_OF_WORK = 0.5  # out of work in the month before (times `dip`)

REFERRAL_SOURCES = ("jobcentre", "gp_or_health", "self", "local_authority", "vcse", "employer", "other")
WITHDRAWAL_REASONS = (
    "moved_away",
    "health_worsened",
    "caring_responsibilities",
    "lost_contact",
    "found_work_elsewhere",
    "declined_support",
    "other",
)
WITHDRAWAL_SHARE = (0.08, 0.30, 0.10, 0.30, 0.05, 0.12, 0.05)

TRAITS = (
    "age",
    "sex",
    "ethnic_group",
    "health_condition",
    "disabled",
    "carer",
    "parent",
    "neurodivergent",
    "veteran",
    "social_housing",
    "benefit_status",
    "months_since_last_worked",
    "la_code",
)
STAGE_COLUMNS = (
    "referred_date",
    "engaged_date",
    "started_date",
    "job_start_date",
    "sustained_13w_date",
    "sustained_26w_date",
    "withdrawn_date",
)
NEVER_WORKED = 600


@dataclass(frozen=True)
class SimulatedProgramme:
    participants: pd.DataFrame  # contract columns, one row per person, activity_id == "sim_activity"
    comparison_pool: pd.DataFrame  # contract columns, non-participants
    outcomes: pd.DataFrame  # person_id, month (first of month Timestamp), employed, on_out_of_work_benefit
    truth: Mapping[int, float]  # horizon -> true ATT at referral month + horizon
    design: Mapping[str, float]  # the parameters used
    last_month: pd.Timestamp
    # Extra (after the agreed fields): E[Y1 - Y0] given each participant's traits, crisis path and
    # latent state before referral; the same mean as `truth` with less Monte Carlo noise.
    truth_expected: Mapping[int, float] = field(default_factory=dict)


SCENARIOS: Mapping[str, Mapping[str, float]] = MappingProxyType(
    {
        "dip_and_unobserved": MappingProxyType({"effect": 0.08, "dip": 1.0, "unobserved": 1.0}),
        "unobserved_only": MappingProxyType({"effect": 0.08, "dip": 0.0, "unobserved": 1.0}),
        "true_zero": MappingProxyType({"effect": 0.0, "dip": 1.0, "unobserved": 1.0}),
        "small_group": MappingProxyType(
            {"effect": 0.08, "dip": 1.0, "unobserved": 1.0, "n_participants": 60}
        ),
    }
)


def simulate(
    seed: int,
    *,
    effect: float = 0.08,
    dip: float = 1.0,
    unobserved: float = 1.0,
    n_participants: int = 500,
    pool_multiple: int = 8,
    n_areas: int = 4,
) -> SimulatedProgramme:
    """One simulated programme: participants, comparison pool, monthly outcomes and the true ATT."""
    if not 0.0 <= effect < 1.0:
        raise ValueError("effect must be in [0, 1)")
    if dip < 0 or unobserved < 0:
        raise ValueError("dip and unobserved must be >= 0")
    if n_participants < 1 or pool_multiple < 1 or not 1 <= n_areas <= 99:
        raise ValueError("need n_participants >= 1, pool_multiple >= 1 and 1 <= n_areas <= 99")
    rng = np.random.default_rng(seed)
    n = n_participants * (1 + pool_multiple)
    people = _draw_people(rng, n, n_areas)
    world = _simulate_untreated(rng, people)
    alpha, referral = _refer(rng, people, world, n_participants, dip=dip, unobserved=unobserved)
    treated = referral >= 0
    employed, y0, y1 = _treat(world, referral, effect)
    truth, truth_expected = _truth(world, referral, y0, y1, effect)
    benefit = _benefit(rng, people, employed)

    k_start = BURN_IN + WINDOW_START
    measured_at = np.where(treated, BURN_IN + referral, k_start)  # combined month index
    traits = _traits_at(rng, people, world, employed, benefit, measured_at)
    ids = np.array([f"sim{i:06d}" for i in range(n)], dtype=object)
    months = pd.date_range(FIRST_MONTH, periods=N_MONTHS, freq="MS")

    pool = pd.DataFrame({"person_id": ids[~treated], **{c: traits[c][~treated] for c in TRAITS}})
    participants = _participants(rng, people, ids, traits, employed, benefit, referral, months)
    outcomes = pd.DataFrame(
        {
            "person_id": np.repeat(ids, N_MONTHS),
            "month": np.tile(months.values.astype("datetime64[ns]"), n),
            "employed": employed[:, BURN_IN:].ravel().astype(np.int64),
            "on_out_of_work_benefit": benefit[:, BURN_IN:].ravel().astype(np.int64),
        }
    )
    design = {
        "seed": float(seed),
        "effect": float(effect),
        "dip": float(dip),
        "unobserved": float(unobserved),
        "n_participants": float(treated.sum()),
        "n_participants_target": float(n_participants),
        "n_pool": float((~treated).sum()),
        "pool_multiple": float(pool_multiple),
        "n_areas": float(n_areas),
        "referral_intercept": float(alpha),
        "rho": RHO,
        "employment_theta": EMP_THETA,
        "referral_theta": REF_THETA * unobserved,
        "crisis_effect": EMP_CRISIS,
        "phase_in": PHASE_IN,
        "first_referral_month_index": float(WINDOW_START),
        "referral_months": float(WINDOW_LENGTH),
        "n_months": float(N_MONTHS),
    }
    return SimulatedProgramme(
        participants=participants,
        comparison_pool=pool,
        outcomes=outcomes,
        truth=MappingProxyType(truth),
        design=MappingProxyType(design),
        last_month=months[-1],
        truth_expected=MappingProxyType(truth_expected),
    )


# --- people -------------------------------------------------------------------------------


def _draw_people(rng: np.random.Generator, n: int, n_areas: int) -> dict[str, np.ndarray]:
    age = rng.integers(AGE_RANGE[0], AGE_RANGE[1] + 1, n)
    # Older people are over-represented among those out of work through ill health.
    older = rng.random(n) < 0.35
    age = np.where(older, rng.integers(45, AGE_RANGE[1] + 1, n), age)
    female = (rng.random(n) < 0.52).astype(np.int64)
    health = rng.choice(len(HEALTH), n, p=HEALTH_SHARE)
    ethnic = rng.choice(len(ETHNIC), n, p=ETHNIC_SHARE)
    disabled = _bern(rng, np.take(DISABLED_BY_HEALTH, health))
    carer = _bern(rng, np.take(CARER_BY_HEALTH, health))
    parent = _bern(rng, np.where(age < 45, 0.30, 0.08) + 0.10 * female)
    mental = np.isin(health, (1, 4))
    neurodivergent = _bern(rng, 0.06 + 0.10 * mental + 0.06 * (age < 30))
    veteran = _bern(rng, np.where(female == 1, 0.005, 0.02 + 0.05 * (age >= 35)))
    social_housing = _bern(rng, 0.22 + 0.12 * disabled + 0.08 * parent)
    area = rng.integers(0, n_areas, n)
    return {
        "age": age,
        "birth_offset": rng.integers(0, 12, n),  # months since the last birthday at the programme's start
        "female": female,
        "health": health,
        "ethnic": ethnic,
        "disabled": disabled,
        "carer": carer,
        "parent": parent,
        "neurodivergent": neurodivergent,
        "veteran": veteran,
        "social_housing": social_housing,
        "area": area,
        "la_code": np.array([f"E08{a + 1:06d}" for a in range(n_areas)], dtype=object)[area],
        "area_employment": rng.normal(0.0, EMP_AREA_SD, n_areas)[area],
        "area_referral": rng.normal(0.0, REF_AREA_SD, n_areas)[area],
        "theta": rng.standard_normal(n),
    }


def _bern(rng: np.random.Generator, p) -> np.ndarray:
    p = np.asarray(p, dtype=float)
    return (rng.random(p.shape) < p).astype(np.int64)


def _employment_index(p: dict[str, np.ndarray]) -> np.ndarray:
    """x_i'beta + area + lambda_Y * theta_i: the time-invariant part of mu_it."""
    return (
        EMP_INTERCEPT
        + EMP_AGE_QUAD * (p["age"] - 38.0) ** 2
        + EMP_FEMALE * p["female"]
        + p["parent"] * (EMP_PARENT + EMP_PARENT_FEMALE * p["female"])
        + EMP_CARER * p["carer"]
        + EMP_DISABLED * p["disabled"]
        + np.take(EMP_HEALTH, p["health"])
        + EMP_NEURODIVERGENT * p["neurodivergent"]
        + EMP_VETERAN * p["veteran"]
        + EMP_SOCIAL_HOUSING * p["social_housing"]
        + np.take(EMP_ETHNIC, p["ethnic"])
        + p["area_employment"]
        + EMP_THETA * p["theta"]
    )


def _calendar() -> np.ndarray:
    """g_t for every simulated month (burn-in first): a linear trend from the first data month plus a December peak."""
    k = np.arange(BURN_IN + N_MONTHS)
    t = k - BURN_IN
    month_of_year = (FIRST_MONTH.month - 1 + t) % 12 + 1
    return EMP_TREND * np.maximum(t, 0) + EMP_SEASON * np.cos(2 * np.pi * (month_of_year - 12) / 12)


def _simulate_untreated(rng: np.random.Generator, p: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Everybody's untreated world over burn-in and data months; arrays are (people, months)."""
    n, k_total = len(p["age"]), BURN_IN + N_MONTHS
    base = _employment_index(p)
    calendar = _calendar()
    k_start = BURN_IN + WINDOW_START
    # Age in each month; nobody works before 16.
    age_k = p["age"][None, :] + np.floor_divide(np.arange(k_total)[:, None] - k_start + p["birth_offset"], 12)
    working_age = age_k >= 16
    onset = CRISIS_ONSET * np.take(CRISIS_BY_HEALTH, p["health"])
    shocks = rng.standard_normal((k_total, n))
    crisis_draws = rng.random((k_total, n))
    e = np.empty((k_total, n))
    crisis = np.empty((k_total, n), dtype=bool)
    e_prev = shocks[0]
    c_prev = crisis_draws[0] < onset / (onset + 1 - CRISIS_STAY)  # stationary start
    innovation_sd = np.sqrt(1 - RHO**2)
    for k in range(k_total):
        if k:
            e_prev = RHO * e_prev + innovation_sd * shocks[k]
            c_prev = np.where(c_prev, crisis_draws[k] < CRISIS_STAY, crisis_draws[k] < onset)
        e[k], crisis[k] = e_prev, c_prev
    mu = base[None, :] + calendar[:, None] - EMP_CRISIS * crisis
    p0 = np.where(working_age, ndtr(mu), 0.0)
    u = ndtr(-e)  # uniform; Y0 = 1{u < p0}  <=>  e > -mu
    y0 = u < p0

    # Months since last worked before the burn-in began, for those out of work then.
    age_first = age_k[0]
    never = (rng.random(n) < expit(NEVER_WORKED_INTERCEPT - 0.7 * p["theta"] + 1.0 * (age_first < 25))) | (
        age_first < 16
    )
    gap = np.minimum(rng.geometric(1 / PRIOR_GAP_MEAN, n), np.maximum((age_first - 16) * 12, 1))
    last_before = np.where(never, -np.inf, -gap.astype(float))
    return {
        "p0": p0.T.copy(),
        "u": u.T.copy(),
        "e": e.T.copy(),
        "y0": y0.T.copy(),
        "age": age_k.T.copy(),
        "last_before": last_before,
    }


def _refer(rng, p, world, target: int, *, dip: float, unobserved: float) -> tuple[float, np.ndarray]:
    """Referral month (data index) per person, -1 if never referred; exactly `target` people referred.

    Person i is referred in window month t if V_it < expit(alpha + s_it) and not referred earlier,
    i.e. if logit(V_it) - s_it < alpha. alpha is set between the target-th and next smallest of
    min_t(logit(V_it) - s_it), which gives exactly `target` participants.
    """
    y0 = world["y0"]
    observed = (
        np.take(REF_HEALTH, p["health"])
        + REF_DISABLED * p["disabled"]
        + REF_CARER * p["carer"]
        + REF_FEMALE * p["female"]
        + REF_NEURODIVERGENT * p["neurodivergent"]
        + REF_VETERAN * p["veteran"]
        + REF_SOCIAL_HOUSING * p["social_housing"]
        + REF_PARENT * p["parent"]
        + REF_AGE * (p["age"] - 40.0)
        + p["area_referral"]
    )
    window = BURN_IN + WINDOW_START + np.arange(WINDOW_LENGTH)  # combined month indices
    since = _months_since_worked(y0, world["last_before"])[:, window - 1]  # j_it: 0 if in work at t - 1
    out = since >= 1
    fading = REF_LOST_DECAY ** np.clip(since - REF_LOST_MONTHS, 0, 600)  # 1 for j <= 3, then decays
    recent = out * (REF_OUT_OF_WORK + REF_LOST_JOB * fading)
    score = (observed - unobserved * REF_THETA * p["theta"])[:, None] + dip * recent
    threshold = logit(rng.random(score.shape)) - score
    first = threshold.min(axis=1)
    if target >= len(first):
        raise ValueError("target must be smaller than the population")
    low, high = np.partition(first, (target - 1, target))[[target - 1, target]]
    alpha = (low + high) / 2
    below = threshold < alpha
    referral = np.where(below.any(axis=1), WINDOW_START + below.argmax(axis=1), -1)
    return alpha, referral


def _months_since_worked(employed: np.ndarray, last_before: np.ndarray) -> np.ndarray:
    """At every combined month k: k minus the last month worked up to k (0 if in work; inf if never)."""
    k = np.arange(employed.shape[1], dtype=float)
    last = np.maximum.accumulate(np.where(employed, k[None, :], -np.inf), axis=1)
    last = np.maximum(last, last_before[:, None])
    return k[None, :] - last


def _treat(world, referral: np.ndarray, effect: float):
    """Observed employment (combined months) and participants' Y0, Y1 on the data months."""
    treated = referral >= 0
    k_total = BURN_IN + N_MONTHS
    on = treated[:, None] & (np.arange(k_total)[None, :] >= (BURN_IN + referral)[:, None])
    p0 = world["p0"][treated]
    p1 = np.where(on[treated], np.minimum(p0 + effect * _phase_in(k_total, referral[treated]), 1.0), p0)
    y0 = world["y0"][treated]
    y1 = world["u"][treated] < p1
    employed = world["y0"].copy()
    employed[treated] = y1
    return employed, y0, y1


def _phase_in(k_total: int, referral: np.ndarray) -> np.ndarray:
    """w at every combined month for each participant: 0 before referral, 1 - (1 - PHASE_IN)^(h + 1) after."""
    h = np.arange(k_total)[None, :] - (BURN_IN + referral)[:, None]
    return np.where(h >= 0, 1 - (1 - PHASE_IN) ** (np.maximum(h, 0) + 1), 0.0)


def _truth(world, referral, y0, y1, effect: float) -> tuple[dict[int, float], dict[int, float]]:
    """ATT at referral month + h: realised (common random numbers) and its conditional expectation."""
    treated = referral >= 0
    k_ref = BURN_IN + referral[treated]
    rows = np.arange(len(k_ref))
    p0 = world["p0"][treated]
    e_before = world["e"][treated][rows, k_ref - 1]
    truth, expected = {}, {}
    for h in HORIZONS:
        cols = k_ref + h
        truth[h] = float(np.mean(y1[rows, cols].astype(float) - y0[rows, cols]))
        # Given e at the month before referral, e at referral + h is N(rho^(h+1) e, 1 - rho^(2(h+1))).
        mean, sd = RHO ** (h + 1) * e_before, np.sqrt(1 - RHO ** (2 * (h + 1)))
        q0 = p0[rows, cols]
        q1 = np.minimum(q0 + effect * (1 - (1 - PHASE_IN) ** (h + 1)), 1.0)
        gain = ndtr((ndtri(q1) + mean) / sd) - ndtr((ndtri(q0) + mean) / sd)
        expected[h] = float(np.mean(np.where(q1 > q0, gain, 0.0)))
    return truth, expected


def _benefit(rng, p, employed: np.ndarray) -> np.ndarray:
    """Monthly out-of-work benefit indicator from the employment path and traits."""
    claimant = _bern(
        rng,
        expit(
            CLAIM_INTERCEPT
            + 0.6 * p["disabled"]
            + 0.5 * p["social_housing"]
            + 0.4 * (p["health"] > 0)
            + 0.5 * p["carer"]
            - 0.04 * np.maximum(p["age"] - 55, 0)
        ),
    ).astype(bool)
    draws = rng.random(employed.shape)
    started = employed & ~np.concatenate([np.zeros((len(employed), 1), bool), employed[:, :-1]], axis=1)
    out_of_work = np.where(claimant[:, None], draws < CLAIM_STAY, draws < NON_CLAIMANT_ON)
    in_work = np.where(started & claimant[:, None], draws < RUN_ON, draws < IN_WORK_ON)
    return np.where(employed, in_work, out_of_work)


def _traits_at(rng, p, world, employed, benefit, measured_at: np.ndarray) -> dict[str, np.ndarray]:
    """Characteristics as recorded at referral (participants) or the programme's start (pool)."""
    n = len(measured_at)
    rows = np.arange(n)
    before = measured_at - 1  # the last complete month
    since = _months_since_worked(employed, world["last_before"])[rows, before]
    since = np.minimum(since, NEVER_WORKED).astype(np.int64)  # never worked: inf -> 600

    on_benefit = benefit[rows, before]
    data_month = before - BURN_IN
    esa_share = np.clip(0.40 - 0.00625 * data_month, 0.05, None) * np.where(since >= 24, 1.4, 0.6)
    draw = rng.random(n)
    claiming = np.where(
        draw < esa_share,
        "esa",
        np.where(draw > 1 - 0.35 * p["carer"] - 0.03, "other", "universal_credit"),
    )
    pip = np.where(p["disabled"] == 1, 0.45, 0.04)
    not_claiming = np.where(draw < pip, "pip_only", np.where(draw > 0.94, "other", "none"))
    benefit_status = np.where(on_benefit, claiming, not_claiming)
    return {
        "age": world["age"][rows, measured_at].astype(np.int64),
        "sex": np.where(p["female"] == 1, "female", "male").astype(object),
        "ethnic_group": np.take(np.array(ETHNIC, dtype=object), p["ethnic"]),
        "health_condition": np.take(np.array(HEALTH, dtype=object), p["health"]),
        "disabled": p["disabled"],
        "carer": p["carer"],
        "parent": p["parent"],
        "neurodivergent": p["neurodivergent"],
        "veteran": p["veteran"],
        "social_housing": p["social_housing"],
        "benefit_status": benefit_status.astype(object),
        "months_since_last_worked": since,
        "la_code": p["la_code"],
        "_on_benefit": on_benefit,
        "_employed_before": employed[rows, before],
    }


def _participants(rng, p, ids, traits, employed, benefit, referral, months) -> pd.DataFrame:
    """The participants table: traits at referral, referral source and stage dates."""
    idx = np.flatnonzero(referral >= 0)
    m = len(idx)
    r = referral[idx]
    weights = np.column_stack(
        [
            0.35 + 0.30 * traits["_on_benefit"][idx],  # jobcentre
            0.05 + 0.25 * (p["health"][idx] > 0),  # gp_or_health
            np.full(m, 0.10),  # self
            0.05 + 0.10 * p["carer"][idx] + 0.05 * p["social_housing"][idx],  # local_authority
            np.full(m, 0.08),  # vcse
            0.01 + 0.15 * traits["_employed_before"][idx],  # employer
            np.full(m, 0.04),  # other
        ]
    )
    cumulative = np.cumsum(weights, axis=1) / weights.sum(axis=1, keepdims=True)
    source = (rng.random(m)[:, None] > cumulative).sum(axis=1)

    nat = np.datetime64("NaT", "ns")
    month_starts = months.values.astype("datetime64[ns]")

    def days(low: int, high: int) -> np.ndarray:
        return rng.integers(low, high, m).astype("timedelta64[D]")

    referred = month_starts[r] + days(0, 28)
    engaged_ok = rng.random(m) < 0.82
    engaged = np.where(engaged_ok, referred + days(0, 22), nat)
    started_ok = engaged_ok & (rng.random(m) < 0.78)
    started = np.where(started_ok, engaged + days(3, 36), nat)

    # A job start: the first month (from the month support started, up to 12 months after referral)
    # in which the person is in work having been out of work the month before.
    y = employed[idx, BURN_IN:]
    entry = np.zeros_like(y)
    entry[:, 1:] = y[:, 1:] & ~y[:, :-1]
    first_month = np.datetime64(FIRST_MONTH.strftime("%Y-%m"), "M")
    started_month = np.where(
        started_ok, (started.astype("datetime64[M]") - first_month).astype(int), N_MONTHS
    )
    t = np.arange(N_MONTHS)[None, :]
    eligible = entry & (t >= started_month[:, None]) & (t <= (r + 12)[:, None])
    has_job = eligible.any(axis=1)
    job_month = eligible.argmax(axis=1)
    job_start = np.where(has_job, np.maximum(month_starts[job_month] + days(0, 28), started), nat)

    out_cumulative = np.cumsum(~y, axis=1)

    def sustained(previous_ok: np.ndarray, after_days: int) -> tuple[np.ndarray, np.ndarray]:
        date = job_start + (after_days + rng.integers(0, 8, m)).astype("timedelta64[D]")
        end = np.where(previous_ok, (date.astype("datetime64[M]") - first_month).astype(int), 0)
        start = np.where(previous_ok, (job_start.astype("datetime64[M]") - first_month).astype(int), 0)
        end_c = np.minimum(end, N_MONTHS - 1)
        rows = np.arange(m)
        gaps = out_cumulative[rows, end_c] - np.where(start > 0, out_cumulative[rows, start - 1], 0)
        ok = previous_ok & (end < N_MONTHS) & (gaps == 0)
        return ok, np.where(ok, date, nat)

    ok_13, sustained_13 = sustained(has_job, 91)
    _, sustained_26 = sustained(ok_13, 182)
    withdrew = engaged_ok & ~has_job & (rng.random(m) < 0.35)
    withdrawn = np.where(withdrew, engaged + days(14, 181), nat)
    reason = np.where(
        withdrew,
        np.take(np.array(WITHDRAWAL_REASONS, dtype=object), rng.choice(7, m, p=WITHDRAWAL_SHARE)),
        None,
    )
    frame = pd.DataFrame(
        {
            "person_id": ids[idx],
            "activity_id": ACTIVITY_ID,
            **{c: traits[c][idx] for c in TRAITS},
            "referral_source": np.take(np.array(REFERRAL_SOURCES, dtype=object), source),
            "referred_date": referred,
            "engaged_date": engaged,
            "started_date": started,
            "job_start_date": job_start,
            "sustained_13w_date": sustained_13,
            "sustained_26w_date": sustained_26,
            "withdrawn_date": withdrawn,
            "withdrawal_reason": reason,
        }
    )
    for column in STAGE_COLUMNS:
        frame[column] = frame[column].astype("datetime64[ns]")
    return frame
