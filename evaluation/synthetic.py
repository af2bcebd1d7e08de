"""A seeded synthetic programme modelled on the North East CA Economic Inactivity Trailblazer.

It writes a complete, contract-valid input folder with known true effects, so estimators can
be checked against the truth. The data-generating process, precisely:

* **People.** A population of economically inactive residents of the 7 local authorities, with
  recorded health condition, disability, caring, parenthood, age, sex, neurodivergence, tenure,
  benefit status, veteran status and months since last worked. Each person also has an
  unrecorded, stable employability `u_i ~ Normal(0, LATENT_SD)`, which appears in no table.
* **Employment without the programme.** Monthly employment from FIRST_MONTH to LAST_MONTH is a
  two-state Markov chain with persistence `rho` (PERSISTENCE): P(in work in m | state y in m-1) =
  p_i(m) * (1 - rho) + rho * y, with the first month drawn with probability p_i(0). The
  stationary probability is p_i(m) = 0.03 + 0.5 * logistic(x_i + u_i + TREND_PER_MONTH * m),
  where `x_i` is the recorded-trait log-odds (`_recorded_employability`) and `m` counts months
  from FIRST_MONTH. Each person's chain is driven by one fixed row of uniform draws U_i(m) (in
  work in m when U_i(m) < that probability), drawn before anybody is recruited; everybody's
  untreated path is simulated first, and recruitment sees only this path.
* **Selection.** Each individual-level activity recruits 105-135% of its target, without
  replacement, with weights exp(s_i + LATENT_SELECTION * u_i): `s_i` is a log-odds score in
  the recorded characteristics (services reach people furthest from work, plus the activity's
  own `targeting`), and LATENT_SELECTION < 0, so people with lower unrecorded employability are
  more likely to be recruited. Participants therefore differ from the comparison pool (everyone
  never recruited) both on recorded traits and on `u_i`; the latter shows only through their
  employment history, which is lower than recorded traits explain. Referral dates run from the
  activity's actual start to REFERRALS_END with a gentle ramp-up; every participant has at least
  PRE_REFERRAL_MONTHS (24) months of outcomes before the referral month.
* **Ashenfelter's dip: referral after a real job loss.** Each activity's referral slots (dates)
  are drawn first, and DIP_SHARE of them (rounded, chosen at random) are *dip* slots. Recruitment
  then runs month by month through the referral window: in referral month r each activity fills
  its dip slots from the eligible, not yet recruited people with a *recent job loss* at r, and
  then its other slots from all eligible, not yet recruited people, with the same weights. A
  recent job loss at r means that the person's untreated path was in work in month r - g - 1 and
  out of work in months r - g .. r - 1, for g in DIP_OUT_MONTHS (1-3): the path moved from in
  work to out of work 1-3 months before the referral month and has stayed out since. Only the
  chain produces the job loss, so people who lose jobs more often (higher p_i) are more likely
  to be recruited into dip slots, and nobody without a job loss can be. Should an activity have
  fewer people with a recent job loss than dip slots in a month (only at very small scales),
  the rest become ordinary slots. A dip participant's recorded `months_since_last_worked` is
  the months from their last month in work to the referral month (2-4), as their history
  shows (DIP_MONTHS_SINCE_FROM_HISTORY); `x_i`, which drove the chain, keeps the value drawn
  for the population, and everybody else keeps that value too. Participants' mean employment
  therefore falls sharply over the four months before the referral month (seed 2025, full
  scale: 32%, 28%, 20% and 7% in work at months -4 to -1), after rising from 12% at month -12:
  the job losers had to be in work shortly before.
* **Effects.** The treated path uses the same draws U_i(m) with `tau` added to p_i(m) from the
  referral month on, so it equals the untreated path before the referral month. Every
  recruitment decision in month r depends only on everybody's paths before r (and on draws
  independent of the chain), so given the history up to the referral month the draws from the
  referral month on are still independent uniforms. The chain is linear in the previous state,
  so, whatever the history (including the dip), the expected treated-minus-untreated difference
  h months after the referral month is exactly tau * (1 - rho ** (h + 1)) (see `effect_at`), the
  effect tabulated in `true_effects.csv`. Out-of-work benefit receipt and earnings follow each
  month's employment state.
* **Stages.** Stage dates follow from engagement draws and from the employment path (a job start
  is the first month in work after support started), so retention from referral to job start is
  well below 50%.
* **Areas.** An area panel (7 programme areas plus comparator areas outside the programme,
  quarterly from 2022) carries the system-level activities, with a known effect on the
  employment rate. Spend runs monthly from each activity's actual start to March 2026.

`programme.json` records these parameters under "data_generating_process".
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from evaluation.errors import OptionError

PROGRAMME_NAME = "North East CA Economic Inactivity Trailblazer (synthetic)"
PROGRAMME_SLUG = "ne_ca_synthetic"
PRE_REFERRAL_MONTHS = 24
"""Months of outcomes every participant has before their referral month (the contract asks for 12
at least). FIRST_MONTH is this many months before the delivery plan's earliest planned start
(external_evaluation, June 2025; the individual activities start in July 2025 or later, and
actual starts are 0-39 days after planned ones); `generate` checks it for every referral."""
FIRST_MONTH = pd.Timestamp("2023-06-01")
LAST_MONTH = pd.Timestamp("2026-10-01")
AS_OF = pd.Timestamp("2026-10-31")
REFERRALS_END = pd.Timestamp("2026-03-31")
PERSISTENCE = 0.8
"""`rho`: persistence of the monthly employment chain."""
TREND_PER_MONTH = 0.15 / 27
"""Common calendar trend in the log-odds of being in work, per month from FIRST_MONTH (the rate of
the earlier 0.15 over July 2024 to October 2026), about +0.07 a year."""
LATENT_SD = 0.6
"""Standard deviation of the unrecorded, stable person-level employability `u_i` (log-odds of
being in work), which no table records."""
LATENT_SELECTION = -2.0
"""Log-odds coefficient of `u_i` in every individual activity's recruitment weights: one SD
lower unrecorded employability multiplies the odds of recruitment by exp(2.0 * 0.6) = 3.3.
Recruits' mean `u_i` is then about -0.48 at seed 2025 (-0.56 for ordinary referrals, -0.31 for
those referred after a job loss, who had to be in work shortly before; the tilt
LATENT_SELECTION * LATENT_SD ** 2 = -0.72 is diluted because each activity draws a sizeable share
without replacement), which lowers their employment a year and more before referral by about 3-4
points beyond what the recorded traits explain: selection on unobservables about as large as the
selection on recorded traits."""
DIP_SHARE = 1 / 3
"""Share of each activity's referral slots (rounded) filled, month by month, from people whose
untreated employment path shows a recent job loss (see DIP_OUT_MONTHS); the other slots are
filled from everybody eligible, as before. A third, as in the earlier forced-spell version, so
the dip stays as visible as it was."""
DIP_OUT_MONTHS = (1, 3)
"""A recent job loss at referral month r: in work in month r - g - 1 and out of work in months
r - g .. r - 1 for some g in this inclusive range. Dip participants are therefore out of work
in the month before the referral month and in work in one of the 2-4 months before it; their
job loss is in their own simulated history, not imposed on it."""
DIP_MONTHS_SINCE_FROM_HISTORY = True
"""Whether a dip participant's recorded `months_since_last_worked` is the months from their last
month in work to the referral month (2-4, consistent with the history the data show) rather than
the population value. The population value still set `x_i`, and the comparison pool keeps it, so
the same recorded 2-4 months marks a much more employable person in the pool (drawn that way)
than among dip participants (median population value 36 months, seed 2025). In the regression of
pre-referral employment on recorded traits (tests) this alone makes participants about 4 points
less employed than their traits explain; anything matching on this column inherits that gap."""

PROGRAMME_AREAS = {
    "E06000047": "County Durham",
    "E08000037": "Gateshead",
    "E08000021": "Newcastle upon Tyne",
    "E08000022": "North Tyneside",
    "E06000057": "Northumberland",
    "E08000023": "South Tyneside",
    "E08000024": "Sunderland",
}
COMPARATOR_AREAS = {
    "E06000001": "Hartlepool",
    "E06000002": "Middlesbrough",
    "E06000003": "Redcar and Cleveland",
    "E06000004": "Stockton-on-Tees",
    "E06000005": "Darlington",
    "E06000063": "Cumberland",
    "E06000064": "Westmorland and Furness",
    "E06000006": "Halton",
    "E08000011": "Knowsley",
    "E08000012": "Liverpool",
    "E08000013": "St. Helens",
    "E08000014": "Sefton",
    "E08000015": "Wirral",
    "E06000008": "Blackburn with Darwen",
    "E06000009": "Blackpool",
    "E06000010": "Kingston upon Hull",
    "E06000012": "North East Lincolnshire",
    "E06000013": "North Lincolnshire",
}
PRIMARY_CARE_AREAS = ("E08000021", "E08000024")


@dataclass(frozen=True)
class ActivityTruth:
    """The documented true effect of one activity."""

    tau: float  # long-run change in the monthly probability of being in work (individual designs)
    targeting: dict  # extra log-odds of selection per characteristic
    note: str


# Individual-level activities: true effects on the probability of being in work.
INDIVIDUAL_TRUTH = {
    "local_infrastructure": ActivityTruth(0.05, {"health": 0.6}, "modest positive effect"),
    "childcare_grant": ActivityTruth(0.08, {"parent": 4.0, "health": 0.5}, "positive, small group"),
    "placements_young_adults": ActivityTruth(0.12, {"young": 4.0}, "large positive effect"),
    "placements_neurodivergent": ActivityTruth(0.10, {"neurodivergent": 4.0}, "positive effect"),
    "women": ActivityTruth(0.06, {"female": 5.0, "health": 0.8}, "positive effect"),
    "social_housing_tenants": ActivityTruth(0.04, {"social_housing": 4.0}, "small positive effect"),
    "primary_care_pilot": ActivityTruth(0.0, {"health": 2.5}, "no effect (true zero)"),
    "vcse_small_grants": ActivityTruth(0.03, {"health": 1.0, "long_out": 1.0}, "small positive effect"),
    "employers": ActivityTruth(-0.02, {"health": 0.8}, "small negative effect (lock-in)"),
}
# Area-level activities: true effects on the employment rate (percentage points).
AREA_TRUTH = {
    "service_redesign": (1.0, ("2025-07-01", "2025-10-01", "2026-01-01")),
    "carers_vcse": (0.3, ("2025-07-01",)),
}


@dataclass(frozen=True)
class Shape:
    """One built-in programme: its delivery plan, places, calendar and true effects.

    `key` is what `evaluation synthetic --programme` takes. Facts (budgets, targets, places,
    timelines) come from ../shared/context/programmes.md where the programme published them; the
    rest (true effects, who is recruited) is the simulation's, and is stated in true_effects.csv.
    """

    key: str
    name: str
    slug: str
    plan_file: str
    areas: Mapping[str, str]  # local authority code -> name, where residents live
    area_weights: tuple[float, ...]  # share of residents in each area, in the order of `areas`
    individual_truth: Mapping[str, ActivityTruth]
    first_month: pd.Timestamp
    last_month: pd.Timestamp
    as_of: pd.Timestamp  # the date the data were extracted
    referrals_end: pd.Timestamp
    area_truth: Mapping[str, tuple[float, tuple[str, ...]]] = field(default_factory=dict)
    comparator_areas: Mapping[str, str] = field(default_factory=dict)
    eligible_areas: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    ethnic_shares: tuple[float, ...] = (0.88, 0.02, 0.04, 0.02, 0.01, 0.03)
    targets: Mapping[str, int] = field(default_factory=dict)  # programme-level, for programme.json
    updates: tuple[tuple[str, str], ...] = ()  # (what, as-of date) of the interim updates asked for


NE_CA = Shape(
    key="ne-ca",
    name=PROGRAMME_NAME,
    slug=PROGRAMME_SLUG,
    plan_file="ne_ca_delivery_plan.csv",
    areas=PROGRAMME_AREAS,
    area_weights=(0.24, 0.09, 0.15, 0.11, 0.15, 0.07, 0.19),
    individual_truth=INDIVIDUAL_TRUTH,
    area_truth=AREA_TRUTH,
    comparator_areas=COMPARATOR_AREAS,
    eligible_areas={"primary_care_pilot": PRIMARY_CARE_AREAS},
    first_month=FIRST_MONTH,
    last_month=LAST_MONTH,
    as_of=AS_OF,
    referrals_end=REFERRALS_END,
    updates=(("6-month update", "2025-11-30"),),
)
SOUTH_YORKSHIRE = Shape(
    key="south-yorkshire",
    name="South Yorkshire Pathways to Work: Rotherham (synthetic)",
    slug="rotherham_synthetic",
    plan_file="south_yorkshire_delivery_plan.csv",
    areas={"E08000018": "Rotherham"},
    area_weights=(1.0,),
    individual_truth={
        "triage": ActivityTruth(0.01, {"health": 0.5}, "very small effect (light touch)"),
        "employer_activation": ActivityTruth(
            0.10, {"long_out": -1.5, "young": 0.5}, "large positive effect, for people closer to work"
        ),
        "case_management": ActivityTruth(
            0.06, {"health": 1.0, "long_out": 1.0, "veteran": 2.0}, "positive effect; veterans supported"
        ),
    },
    first_month=pd.Timestamp("2023-06-01"),
    last_month=pd.Timestamp("2026-06-01"),
    as_of=pd.Timestamp("2026-06-30"),
    referrals_end=pd.Timestamp("2026-03-31"),
    targets={"engaged": 1000, "job_outcomes": 400},
    updates=(("4-month update to scrutiny", "2025-10-31"), ("12-month update to scrutiny", "2026-06-30")),
)
MANCHESTER = Shape(
    key="manchester",
    name="Manchester employment and health service (synthetic)",
    slug="manchester_synthetic",
    plan_file="manchester_delivery_plan.csv",
    areas={"E08000003": "Manchester"},
    area_weights=(1.0,),
    individual_truth={
        "employment_health_service": ActivityTruth(
            0.05,
            {"health": 1.0, "long_out": 1.0, "neurodivergent": 0.5, "ethnic_minority": 0.5},
            "modest positive effect",
        ),
    },
    first_month=pd.Timestamp("2023-06-01"),
    last_month=pd.Timestamp("2026-09-01"),
    as_of=pd.Timestamp("2026-09-30"),
    referrals_end=pd.Timestamp("2026-03-31"),  # the service is live June 2025 to 31 March 2026
    ethnic_shares=(0.57, 0.05, 0.17, 0.12, 0.05, 0.04),  # Manchester's mix (Census 2021, rounded)
    updates=(("mid-service update", "2025-11-30"), ("end-of-service update", "2026-03-31")),
)
SHAPES: Mapping[str, Shape] = {shape.key: shape for shape in (NE_CA, SOUTH_YORKSHIRE, MANCHESTER)}


def shape_of(programme: str) -> Shape:
    """The built-in programme called `programme` (ne-ca, south-yorkshire or manchester)."""
    if programme not in SHAPES:
        raise OptionError(f"Unknown synthetic programme '{programme}': use one of {', '.join(SHAPES)}.")
    return SHAPES[programme]


def effect_at(tau: float, months_after_referral: int, rho: float = PERSISTENCE) -> float:
    """True effect on the probability of being in work h months after the referral month."""
    return tau * (1 - rho ** (months_after_referral + 1))


def delivery_plan(shape: Shape = NE_CA) -> pd.DataFrame:
    """A delivery plan shipped with the package (North East CA: 13 activities, by default)."""
    source = resources.files("evaluation.data").joinpath(shape.plan_file)
    with source.open("r", encoding="utf-8") as handle:
        plan = pd.read_csv(handle, parse_dates=["planned_start"])
    for column in ("target_participants", "target_job_outcomes"):
        plan[column] = (plan[column] if column in plan else pd.Series([pd.NA] * len(plan))).astype("Int64")
    for column in ("target_participants_stage", "support_type"):
        if column not in plan:
            plan[column] = None
    return plan


# --- people --------------------------------------------------------------------------------


def _population(rng: np.random.Generator, n: int, shape: Shape = NE_CA) -> pd.DataFrame:
    """Economically inactive residents of the programme areas, with their characteristics."""
    age = np.clip(
        np.round(rng.choice([20, 30, 42, 56], n, p=[0.14, 0.18, 0.28, 0.40]) + rng.normal(0, 4.5, n)), 16, 64
    )
    health = rng.choice(
        ["none", "mental_health", "musculoskeletal", "other_physical", "multiple"],
        n,
        p=[0.3, 0.25, 0.2, 0.1, 0.15],
    )
    has_health = health != "none"
    female = rng.random(n) < 0.55
    frame = pd.DataFrame(
        {
            "age": age.astype(int),
            "sex": np.where(female, "female", "male"),
            "ethnic_group": rng.choice(
                ["white", "mixed", "asian", "black", "other", "not_stated"],
                n,
                p=list(shape.ethnic_shares),
            ),
            "health_condition": health,
            "disabled": (rng.random(n) < np.where(has_health, 0.45, 0.08)).astype(int),
            "carer": (rng.random(n) < np.where(female, 0.16, 0.09)).astype(int),
            "parent": (rng.random(n) < np.where((age < 50) & female, 0.45, 0.12)).astype(int),
            "neurodivergent": (rng.random(n) < np.where(age < 35, 0.14, 0.06)).astype(int),
            "veteran": (rng.random(n) < np.where(~female & (age > 40), 0.07, 0.005)).astype(int),
            "social_housing": (rng.random(n) < 0.24).astype(int),
            "benefit_status": rng.choice(
                ["none", "universal_credit", "esa", "pip_only", "other"], n, p=[0.3, 0.4, 0.12, 0.1, 0.08]
            ),
            "months_since_last_worked": np.where(
                rng.random(n) < 0.1, 600, np.minimum(rng.gamma(1.4, 22, n).astype(int), 480)
            ),
            "la_code": rng.choice(list(shape.areas), n, p=list(shape.area_weights)),
        }
    )
    return frame


def _recorded_employability(people: pd.DataFrame) -> np.ndarray:
    """`x_i`: the recorded traits' part of each person's log-odds of being in work in a month."""
    health_effect = people["health_condition"].map(
        {
            "none": 0.0,
            "mental_health": -0.5,
            "musculoskeletal": -0.4,
            "other_physical": -0.4,
            "multiple": -0.9,
        }
    )
    out_of_work = np.log1p(np.minimum(people["months_since_last_worked"].to_numpy(), 240))
    return (
        1.6
        + health_effect.to_numpy()
        - 0.5 * people["disabled"].to_numpy()
        - 0.3 * people["carer"].to_numpy()
        - 0.2 * people["parent"].to_numpy()
        + 0.3 * (people["age"] < 25).to_numpy()
        - 0.4 * (people["age"] >= 55).to_numpy()
        - 0.6 * out_of_work
    )


def _latent_employability(rng: np.random.Generator, n: int) -> np.ndarray:
    """`u_i`: the unrecorded, stable part of each person's log-odds of being in work."""
    return rng.normal(0, LATENT_SD, n)


def _selection_log_odds(people: pd.DataFrame, targeting: dict) -> np.ndarray:
    traits = {
        "health": (people["health_condition"] != "none").to_numpy(),
        "parent": people["parent"].to_numpy() == 1,
        "young": (people["age"] < 25).to_numpy(),
        "neurodivergent": people["neurodivergent"].to_numpy() == 1,
        "female": (people["sex"] == "female").to_numpy(),
        "social_housing": people["social_housing"].to_numpy() == 1,
        "long_out": (people["months_since_last_worked"] > 24).to_numpy(),
        "veteran": people["veteran"].to_numpy() == 1,
        "ethnic_minority": ~people["ethnic_group"].isin(["white", "not_stated"]).to_numpy(),
    }
    # Services reach people furthest from work: long time out, disabled, several conditions, claimants.
    base = (
        1.8 * traits["long_out"]
        + 0.8 * people["disabled"].to_numpy()
        + 0.6 * (people["health_condition"] == "multiple").to_numpy()
        + 0.4 * people["benefit_status"].isin(["universal_credit", "esa"]).to_numpy()
        - 0.5 * (people["age"] >= 55).to_numpy()
    )
    return base + sum(weight * traits[name] for name, weight in targeting.items())


def _referral_dates(
    rng: np.random.Generator, n: int, start: pd.Timestamp, end: pd.Timestamp = REFERRALS_END
) -> pd.Series:
    """Referral dates from the activity's start to `end` (31 March 2026), ramping up at first."""
    days = (end - start).days
    offsets = np.floor(days * rng.random(n) ** 0.8).astype(int)  # a gentle ramp-up
    return pd.Series(start + pd.to_timedelta(offsets, unit="D"))


def _selection_weights(population, latent, plan_row, truth, shape: Shape = NE_CA) -> np.ndarray:
    """Recruitment weights of one activity: exp(s_i + LATENT_SELECTION * u_i) for eligible people
    (North East CA's primary care pilot: its two areas only), 0 for the rest."""
    eligible = np.ones(len(population), dtype=bool)
    if plan_row["activity_id"] in shape.eligible_areas:
        eligible &= population["la_code"].isin(shape.eligible_areas[plan_row["activity_id"]]).to_numpy()
    log_odds = _selection_log_odds(population, truth.targeting) + LATENT_SELECTION * latent
    return np.exp(log_odds - log_odds.max()) * eligible


def _draw(rng, weights: np.ndarray, size: int) -> np.ndarray:
    """`size` people without replacement, with probability proportional to `weights`."""
    if size == 0:
        return np.array([], dtype=int)
    return rng.choice(len(weights), size=size, replace=False, p=weights / weights.sum())


def _referrals(rng, population, latent, untreated, plan, shape: Shape = NE_CA) -> pd.DataFrame:
    """Who is referred to which activity, when, and whether after a recent job loss.

    Per activity: 105-135% of the target as referral slots with dates (`_referral_dates`), a
    DIP_SHARE of them dip slots. Then, month by month through the referral window and activity
    by activity, the dip slots are filled from the eligible, not yet recruited people with a
    recent job loss in that month (`_recent_job_loss` of the untreated paths) and the other slots
    from all eligible, not yet recruited people, with the activity's weights. Decisions in month r
    use the paths before r only. Returns one row per participant: row (into `population`),
    activity_id, referred_date, referral_month (index into `_months()`) and dip.
    """
    months = _months(shape)
    recent_loss = _recent_job_loss(untreated)
    slots = []
    for _, row in plan.iterrows():
        truth = shape.individual_truth.get(row["activity_id"])
        if truth is None or pd.isna(row["target_participants"]):
            continue
        n = int(round(int(row["target_participants"]) * rng.uniform(1.05, 1.35)))
        referred = _referral_dates(rng, n, row["actual_start"], shape.referrals_end)
        dip = np.zeros(n, dtype=bool)
        dip[rng.choice(n, size=int(round(n * DIP_SHARE)), replace=False)] = True
        slots.append(
            {
                "activity_id": row["activity_id"],
                "referred_date": referred,
                "referral_month": months.searchsorted(referred.dt.to_period("M").dt.to_timestamp()),
                "dip": dip,
                "weights": _selection_weights(population, latent, row, truth, shape),
                "row": np.full(n, -1),
            }
        )
    available = np.ones(len(population), dtype=bool)
    for month in np.unique(np.concatenate([s["referral_month"] for s in slots])):
        for s in slots:
            dip_slots = np.flatnonzero((s["referral_month"] == month) & s["dip"])
            weights = s["weights"] * (available & recent_loss[:, month])
            filled = min(len(dip_slots), int(np.count_nonzero(weights)))
            s["dip"][dip_slots[filled:]] = False  # too few recent job losses: ordinary slots
            chosen = _draw(rng, weights, filled)
            s["row"][dip_slots[:filled]] = chosen
            available[chosen] = False
            other_slots = np.flatnonzero((s["referral_month"] == month) & ~s["dip"])
            weights = s["weights"] * available
            if np.count_nonzero(weights) < len(other_slots):
                raise OptionError(f"{s['activity_id']}: too few eligible people; enlarge pool_size.")
            chosen = _draw(rng, weights, len(other_slots))
            s["row"][other_slots] = chosen
            available[chosen] = False
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "row": s["row"],
                    "activity_id": s["activity_id"],
                    "referred_date": s["referred_date"],
                    "referral_month": s["referral_month"],
                    "dip": s["dip"],
                }
            )
            for s in slots
        ],
        ignore_index=True,
    )


# --- employment paths ----------------------------------------------------------------------


def _months(shape: Shape = NE_CA) -> pd.DatetimeIndex:
    return pd.date_range(shape.first_month, shape.last_month, freq="MS")


def _employment_paths(draws: np.ndarray, log_odds, referral_index, tau) -> np.ndarray:
    """Monthly in-work indicators (people x months) from the persistence chain.

    `draws` (people x months, uniform on [0, 1)) are the common random numbers: in work in month m
    when draws[i, m] < P(in work in m | state in m-1). `tau` is added to p_i(m) from the referral
    month on, so with the same draws a treated path equals the untreated one before the referral
    month (use referral_index beyond the last month, or tau = 0, for an untreated path).
    """
    n, t = draws.shape
    trend = TREND_PER_MONTH * np.arange(t)
    p = 0.03 + 0.5 / (1 + np.exp(-(np.asarray(log_odds)[:, None] + trend[None, :])))
    relative = np.arange(t)[None, :] - np.asarray(referral_index)[:, None]  # months since referral
    p = np.clip(p + np.asarray(tau)[:, None] * (relative >= 0), 0, 1)
    employed = np.zeros((n, t), dtype=np.int8)
    for m in range(t):
        before = employed[:, m - 1] if m else p[:, 0]  # the first month is drawn with p_i(0)
        chance = p[:, m] * (1 - PERSISTENCE) + PERSISTENCE * before
        employed[:, m] = draws[:, m] < chance
    return employed


def _last_month_in_work_before(employed: np.ndarray) -> np.ndarray:
    """people x months: the index of the last month in work strictly before each month (-1 if
    none)."""
    n, t = employed.shape
    last = np.maximum.accumulate(np.where(employed == 1, np.arange(t)[None, :], -1), axis=1)
    return np.concatenate([np.full((n, 1), -1), last[:, :-1]], axis=1)


def _recent_job_loss(employed: np.ndarray) -> np.ndarray:
    """people x months: True in month r when the path lost work 1-3 months (DIP_OUT_MONTHS) before
    r and stayed out: in work in r - g - 1 and out in r - g .. r - 1, g in DIP_OUT_MONTHS. Uses
    months before r only."""
    last = _last_month_in_work_before(employed)
    out_months = np.arange(employed.shape[1])[None, :] - last - 1
    return (last >= 0) & (out_months >= DIP_OUT_MONTHS[0]) & (out_months <= DIP_OUT_MONTHS[1])


def _benefit_paths(rng, people, employed) -> np.ndarray:
    claimant = people["benefit_status"].isin(["universal_credit", "esa"]).to_numpy()[:, None]
    chance = np.where(employed == 1, 0.25, 0.92) * claimant + 0.03
    return (rng.random(employed.shape) < chance).astype(np.int8)


# --- stage dates ---------------------------------------------------------------------------


def _stage_dates(rng, referred: pd.Series, employed_after: np.ndarray, shape: Shape = NE_CA) -> pd.DataFrame:
    """Engagement, support start, job start, sustainment and withdrawal, consistent with employment."""
    n = len(referred)
    months = _months(shape)
    engaged = referred + pd.to_timedelta(rng.integers(2, 25, n), unit="D")
    engaged = engaged.where(rng.random(n) < 0.82)
    started = engaged + pd.to_timedelta(rng.integers(5, 35, n), unit="D")
    started = started.where(engaged.notna() & (rng.random(n) < 0.8))
    job_start = pd.Series(pd.NaT, index=range(n), dtype="datetime64[ns]")
    sustained_13 = job_start.copy()
    sustained_26 = job_start.copy()
    last = len(months) - 1
    for i in map(int, np.flatnonzero(started.notna().to_numpy())):
        first = months.searchsorted(started.iloc[i].replace(day=1)) + 1
        in_work = np.flatnonzero(employed_after[i, first:]) + first
        if len(in_work) == 0 or rng.random() > 0.9:  # some job starts are never reported
            continue
        m = in_work[0]
        day = months[m] + pd.Timedelta(days=int(rng.integers(0, 27)))
        job_start.iloc[i] = day
        run = _run_length(employed_after[i, m:])
        if run >= 4 and m + 3 <= last:
            sustained_13.iloc[i] = day + pd.Timedelta(days=91)
        if run >= 7 and m + 6 <= last:
            sustained_26.iloc[i] = day + pd.Timedelta(days=182)
    job_start[job_start > shape.as_of] = pd.NaT
    for dates in (sustained_13, sustained_26):
        dates[dates > shape.as_of] = pd.NaT
    withdrawn = _withdrawals(rng, referred, engaged, job_start, shape.as_of)
    return pd.DataFrame(
        {
            "engaged_date": engaged,
            "started_date": started,
            "job_start_date": job_start,
            "sustained_13w_date": sustained_13,
            "sustained_26w_date": sustained_26,
            **withdrawn,
        }
    )


def _run_length(path: np.ndarray) -> int:
    """Number of consecutive months in work from the start of the path."""
    gaps = np.flatnonzero(path == 0)
    return int(gaps[0]) if len(gaps) else len(path)


def _withdrawals(rng, referred, engaged, job_start, as_of: pd.Timestamp = AS_OF) -> dict:
    n = len(referred)
    leaves = job_start.isna().to_numpy() & (rng.random(n) < 0.45)
    anchor = engaged.fillna(referred)
    date = (anchor + pd.to_timedelta(rng.integers(7, 120, n), unit="D")).where(leaves)
    date = date.where(date <= as_of)
    reasons = rng.choice(
        [
            "health_worsened",
            "lost_contact",
            "caring_responsibilities",
            "declined_support",
            "moved_away",
            "other",
        ],
        n,
        p=[0.3, 0.3, 0.12, 0.14, 0.06, 0.08],
    )
    return {"withdrawn_date": date, "withdrawal_reason": pd.Series(reasons).where(date.notna(), None)}


# --- area panel and spend ------------------------------------------------------------------


def _area_panel(rng, plan: pd.DataFrame, shape: Shape = NE_CA) -> pd.DataFrame:
    periods = pd.date_range("2022-01-01", "2026-07-01", freq="QS")
    programme_areas = shape.areas
    areas = {**programme_areas, **shape.comparator_areas}
    level = {code: rng.normal(24.5 if code in programme_areas else 22.5, 2.0) for code in areas}
    trend = -0.12 * np.arange(len(periods)) + 0.5 * np.sin(np.arange(len(periods)) / 2)
    frames = []
    for activity_id, (effect, starts) in shape.area_truth.items():
        if activity_id not in set(plan["activity_id"]):
            continue
        waves = np.resize(np.array(starts, dtype="datetime64[ns]"), len(programme_areas))
        start_of = dict(zip(programme_areas, pd.to_datetime(waves), strict=True))
        for code in areas:
            start = start_of.get(code, pd.NaT)
            treated = (periods >= start) if pd.notna(start) else np.zeros(len(periods), bool)
            inactivity = level[code] + trend + rng.normal(0, 1.2, len(periods)) - effect * treated
            unemployment = rng.normal(3.8, 0.4, len(periods))
            frames.append(
                pd.DataFrame(
                    {
                        "activity_id": activity_id,
                        "la_code": code,
                        "period": periods,
                        "economic_inactivity_rate": inactivity.round(2),
                        "employment_rate": (100 - inactivity - unemployment).round(2),
                        "claimant_count": rng.poisson(
                            7000 if code in programme_areas else 5000, len(periods)
                        ),
                        "first_treated_period": start,
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def _spend(rng, plan: pd.DataFrame, shape: Shape = NE_CA) -> pd.DataFrame:
    """Monthly spend from each activity's actual start to the end of the funding year (the month of
    `referrals_end`, March 2026), 70-102% of the budget in all."""
    last = shape.referrals_end.to_period("M").to_timestamp()
    rows = []
    for _, row in plan.iterrows():
        months = pd.date_range(row["actual_start"].replace(day=1), last, freq="MS")
        profile = np.minimum(np.arange(1, len(months) + 1), 3) * rng.uniform(0.8, 1.2, len(months))
        total = row["budget_gbp"] * rng.uniform(0.7, 1.02)
        rows.append(
            pd.DataFrame(
                {
                    "activity_id": row["activity_id"],
                    "month": months,
                    "spend_gbp": (total * profile / profile.sum()).round(2),
                }
            )
        )
    return pd.concat(rows, ignore_index=True)


# --- the programme -------------------------------------------------------------------------


@dataclass(frozen=True)
class SyntheticProgramme:
    """The generated tables and the truth behind them."""

    tables: dict
    true_effects: pd.DataFrame
    seed: int


@dataclass(frozen=True)
class _Simulation:
    """The people and their paths before the tables are written (for `generate` and the tests).

    `recruiting_plan` is the plan with scaled targets; `members` has one row per participant (row
    into `population`, activity_id, referred_date, referral_month, dip, months_since_last_worked
    as recorded); `untreated` and `employed` are the people x months paths without and with the
    programme, from the same `draws`; `rng` continues the seeded stream for the tables."""

    plan: pd.DataFrame
    recruiting_plan: pd.DataFrame
    population: pd.DataFrame
    latent: np.ndarray
    log_odds: np.ndarray
    members: pd.DataFrame
    draws: np.ndarray
    untreated: np.ndarray
    employed: np.ndarray
    referral_index: np.ndarray
    tau: np.ndarray
    rng: np.random.Generator


def _simulate(
    seed: int, scale: float = 1.0, pool_size: int | None = None, shape: Shape = NE_CA
) -> _Simulation:
    """People, recruitment and employment paths (see the module docstring)."""
    rng = np.random.default_rng(seed)
    plan = delivery_plan(shape)
    delay = rng.integers(0, 40, len(plan))
    plan["actual_start"] = plan["planned_start"] + pd.to_timedelta(delay, unit="D")
    scaled = plan["target_participants"].astype("Float64") * scale
    plan_for_recruiting = plan.assign(target_participants=scaled.round().astype("Int64"))
    n_recruited = int(np.nansum(scaled.to_numpy(dtype=float, na_value=np.nan)) * 1.35) + 1
    pool_size = pool_size or int(max(8 * n_recruited, 2000))
    population = _population(rng, pool_size + n_recruited, shape)
    latent = _latent_employability(rng, len(population))
    log_odds = _recorded_employability(population) + latent
    draws = rng.random((len(population), len(_months(shape))))  # common random numbers
    never = np.full(len(population), 10**6)
    untreated = _employment_paths(draws, log_odds, never, np.zeros(len(population)))
    members = _referrals(rng, population, latent, untreated, plan_for_recruiting, shape)
    rows, months = members["row"].to_numpy(), members["referral_month"].to_numpy()
    if months.min() < PRE_REFERRAL_MONTHS:
        raise ValueError(
            f"Referrals before {shape.first_month.date()} + {PRE_REFERRAL_MONTHS} months: move first_month back."
        )
    referral_index = never.copy()
    referral_index[rows] = months
    tau = np.zeros(len(population))
    tau[rows] = [shape.individual_truth[a].tau for a in members["activity_id"]]
    employed = _employment_paths(draws, log_odds, referral_index, tau)
    # a dip participant's job loss is in the data: months from their last month in work
    since = months - _last_month_in_work_before(untreated)[rows, months]
    recorded = population["months_since_last_worked"].to_numpy()[rows]
    from_history = members["dip"].to_numpy() & DIP_MONTHS_SINCE_FROM_HISTORY
    members["months_since_last_worked"] = np.where(from_history, since, recorded)
    return _Simulation(
        plan=plan,
        recruiting_plan=plan_for_recruiting,
        population=population,
        latent=latent,
        log_odds=log_odds,
        members=members,
        draws=draws,
        untreated=untreated,
        employed=employed,
        referral_index=referral_index,
        tau=tau,
        rng=rng,
    )


def generate(
    seed: int = 2025, *, scale: float = 1.0, pool_size: int | None = None, programme: str = "ne-ca"
) -> SyntheticProgramme:
    """Generate a built-in synthetic programme in memory (`SHAPES`: ne-ca, south-yorkshire or
    manchester). `scale` shrinks or grows every activity."""
    shape = shape_of(programme)
    simulation = _simulate(seed, scale, pool_size, shape)
    rng, plan, population = simulation.rng, simulation.plan, simulation.population
    members, employed = simulation.members, simulation.employed
    on_benefit = _benefit_paths(rng, population, employed)
    person_ids = np.array([f"P{seed % 1000:03d}{i:07d}" for i in rng.permutation(len(population))])
    participants = _participants(rng, population, members, employed, person_ids, shape)
    pool_rows = np.setdiff1d(np.arange(len(population)), members["row"].to_numpy())
    comparison_pool = population.iloc[pool_rows].assign(person_id=person_ids[pool_rows])
    comparison_pool = comparison_pool[["person_id", *population.columns]].reset_index(drop=True)
    keep = np.concatenate([members["row"].to_numpy(), pool_rows])
    outcomes = _outcomes(rng, person_ids[keep], employed[keep], on_benefit[keep], shape)
    tables = {
        "delivery_plan": plan[
            [
                "activity_id",
                "activity_name",
                "priority",
                "budget_gbp",
                "target_participants",
                "target_participants_stage",
                "target_job_outcomes",
                "geography",
                "planned_start",
                "actual_start",
                "impact_design",
                "support_type",
                "description",
            ]
        ],
        "participants": participants,
        "comparison_pool": comparison_pool,
        "outcomes_monthly": outcomes,
    }
    if shape.area_truth:  # one-area programmes have no system-level activity and no area panel
        tables["area_panel"] = _area_panel(rng, plan, shape)
    tables["spend"] = _spend(rng, plan, shape)
    return SyntheticProgramme(tables=tables, true_effects=true_effects_table(plan, shape), seed=seed)


def _participants(rng, population, members, employed, person_ids, shape: Shape = NE_CA) -> pd.DataFrame:
    rows = members["row"].to_numpy()
    people = population.iloc[rows].reset_index(drop=True)
    people["months_since_last_worked"] = members["months_since_last_worked"].to_numpy()
    referred = members["referred_date"].reset_index(drop=True)
    stages = _stage_dates(rng, referred, employed[rows], shape)
    sources = rng.choice(
        ["jobcentre", "gp_or_health", "self", "local_authority", "vcse", "employer", "other"],
        len(rows),
        p=[0.3, 0.2, 0.15, 0.12, 0.15, 0.04, 0.04],
    )
    frame = pd.concat(
        [
            pd.DataFrame({"person_id": person_ids[rows], "activity_id": members["activity_id"].to_numpy()}),
            people,
            pd.DataFrame({"referral_source": sources, "referred_date": referred}),
            stages,
        ],
        axis=1,
    )
    return frame.sort_values(["activity_id", "referred_date", "person_id"]).reset_index(drop=True)


def _outcomes(rng, person_ids, employed, on_benefit, shape: Shape = NE_CA) -> pd.DataFrame:
    months = _months(shape)
    n, t = employed.shape
    earnings = np.where(employed == 1, np.round(rng.lognormal(np.log(1100), 0.45, (n, t)), 2), 0.0)
    # Looking for work: its own stream, seeded from (not advancing) the main one, so the other
    # tables are the same as before this column existed.
    side = np.random.default_rng(np.random.SeedSequence(rng.bit_generator.state["state"]["state"]))
    looking = (employed == 0) & (side.random((n, t)) < np.where(on_benefit == 1, 0.15, 0.05))
    return pd.DataFrame(
        {
            "person_id": np.repeat(person_ids, t),
            "month": np.tile(months, n),
            "employed": employed.ravel(),
            "on_out_of_work_benefit": on_benefit.ravel(),
            "earnings_gbp": earnings.ravel(),
            "economically_active": ((employed == 1) | looking).astype(int).ravel(),
        }
    )


def true_effects_table(plan: pd.DataFrame, shape: Shape = NE_CA) -> pd.DataFrame:
    """One row per activity: the true effect and what it is an effect on."""
    rows = []
    for activity_id in plan["activity_id"]:
        if activity_id in shape.individual_truth:
            truth = shape.individual_truth[activity_id]
            rows.append(
                {
                    "activity_id": activity_id,
                    "effect_on": "probability of being in work",
                    "long_run_effect": truth.tau,
                    "effect_6m": effect_at(truth.tau, 6),
                    "effect_12m": effect_at(truth.tau, 12),
                    "note": truth.note,
                }
            )
        elif activity_id in shape.area_truth:
            effect = shape.area_truth[activity_id][0]
            rows.append(
                {
                    "activity_id": activity_id,
                    "effect_on": "area employment rate (percentage points)",
                    "long_run_effect": effect,
                    "effect_6m": effect,
                    "effect_12m": effect,
                    "note": "system-level activity",
                }
            )
        else:
            rows.append(
                {
                    "activity_id": activity_id,
                    "effect_on": "none (descriptive activity)",
                    "long_run_effect": np.nan,
                    "effect_6m": np.nan,
                    "effect_12m": np.nan,
                    "note": "no counterfactual estimate",
                }
            )
    return pd.DataFrame(rows)


def data_generating_process(shape: Shape = NE_CA) -> dict:
    """The parameters behind the generated data, as recorded in programme.json."""
    return {
        "programme": shape.key,
        "months": [shape.first_month.date().isoformat(), shape.last_month.date().isoformat()],
        "pre_referral_months": PRE_REFERRAL_MONTHS,
        "persistence": PERSISTENCE,
        "trend_per_month": TREND_PER_MONTH,
        "unrecorded_employability_sd": LATENT_SD,
        "unrecorded_employability_selection_log_odds": LATENT_SELECTION,
        "dip_share": DIP_SHARE,
        "dip_out_of_work_months": list(DIP_OUT_MONTHS),
        "dip_months_since_last_worked_from_history": DIP_MONTHS_SINCE_FROM_HISTORY,
        "dip": (
            "dip_share of each activity's referral slots are filled, month by month, from eligible people "
            "whose untreated path was in work and then out of work for the last dip_out_of_work_months "
            "months before the referral month (a job loss in their own history, no forced spell); their "
            "months_since_last_worked is the months from their last month in work to the referral month "
            "(when dip_months_since_last_worked_from_history)"
        ),
        "common_random_numbers": (
            "one uniform draw per person-month drives both the untreated and the treated path; "
            "recruitment in month r uses the paths before r only"
        ),
        "true_effect": "tau * (1 - persistence ** (h + 1)) h months after the referral month",
    }


def write(
    folder: str | Path,
    seed: int = 2025,
    *,
    scale: float = 1.0,
    pool_size: int | None = None,
    programme: str = "ne-ca",
) -> Path:
    """Generate and write a complete input folder for a built-in programme; returns the folder."""
    shape = shape_of(programme)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    generated = generate(seed, scale=scale, pool_size=pool_size, programme=programme)
    for name, frame in generated.tables.items():
        frame.to_csv(folder / f"{name}.csv", index=False, date_format="%Y-%m-%d")
    generated.true_effects.to_csv(folder / "true_effects.csv", index=False)
    metadata = {
        "name": shape.name,
        "slug": shape.slug,
        "as_of": shape.as_of.date().isoformat(),
        **({"targets": dict(shape.targets)} if shape.targets else {}),
        "synthetic": True,
        "programme": shape.key,
        "updates": [{"update": what, "as_of": day} for what, day in shape.updates],
        "seed": seed,
        "scale": scale,
        "data_generating_process": data_generating_process(shape),
    }
    (folder / "programme.json").write_text(json.dumps(metadata, indent=2), encoding="utf-8")
    return folder
