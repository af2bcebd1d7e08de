"""Time `match()` at programme scale against peers measured in the same run.

10,000 treated against 1,000,000 controls, 8 covariates (two of them categorical), exact
strata on local authority (7) x sex (2). Also times `att()` (Abadie-Imbens variance) on the
result. Peers: a statsmodels Logit fit alone on the same covariates, and scikit-learn's
KD-tree 1-nearest-neighbour search on the same logit scores without strata. Prints the
times and ratios; writes JSON to bench/results/.

    .venv/bin/python bench/bench_matching.py [--controls 1000000] [--treated 10000]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.special import expit
from sklearn.neighbors import NearestNeighbors

from evaluation.matching import att, match

COVARIATES = [
    "age",
    "months_out_of_work",
    "employed_share_12m",
    "disabled",
    "carer",
    "social_housing",
    "benefit",
    "qualification",
]
EXACT = ["la", "sex"]
RESULTS = Path(__file__).parent / "results"


def synthetic_pool(n_treated: int, n_controls: int, seed: int = 20240601) -> pd.DataFrame:
    """A participant group and a comparison pool that differ on observables."""
    rng = np.random.default_rng(seed)
    n = n_treated + n_controls
    frame = pd.DataFrame(
        {
            "age": rng.integers(18, 67, n).astype(float),
            "months_out_of_work": rng.exponential(18, n).round(),
            "employed_share_12m": rng.beta(1, 2, n),
            "disabled": rng.binomial(1, 0.3, n),
            "carer": rng.binomial(1, 0.15, n),
            "social_housing": rng.binomial(1, 0.2, n),
            "benefit": rng.choice(["none", "uc", "esa", "pip"], n, p=[0.4, 0.35, 0.15, 0.1]),
            "qualification": rng.choice(["none", "level2", "level3", "degree"], n),
            "la": rng.choice([f"E0800002{i}" for i in range(7)], n),
            "sex": rng.choice(["F", "M"], n),
        }
    )
    index = (
        -2.5
        + 0.02 * (frame["age"] - 40)
        + 0.03 * frame["months_out_of_work"]
        - 1.5 * frame["employed_share_12m"]
        + 0.6 * frame["disabled"]
        + 0.3 * (frame["benefit"] == "esa")
    )
    ranked = np.argsort(-(index + rng.logistic(size=n)).to_numpy())
    treat = np.zeros(n, dtype=int)
    treat[ranked[:n_treated]] = 1
    frame["treat"] = treat
    frame["employed_6m"] = rng.binomial(1, expit(index.to_numpy() + 0.3 * treat))
    return frame


def timed(function):
    start = time.perf_counter()
    value = function()
    return value, time.perf_counter() - start


def logit_alone(frame: pd.DataFrame) -> None:
    design = sm.add_constant(pd.get_dummies(frame[COVARIATES], drop_first=True, dtype=float))
    sm.Logit(frame["treat"].to_numpy(float), design.to_numpy()).fit(method="newton", disp=False)


def sklearn_nearest(result, frame: pd.DataFrame) -> None:
    treated = frame["treat"].to_numpy() == 1
    score = result.logit_propensity.to_numpy()[:, None]
    search = NearestNeighbors(n_neighbors=1, algorithm="kd_tree").fit(score[~treated])
    search.kneighbors(score[treated])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--treated", type=int, default=10_000)
    parser.add_argument("--controls", type=int, default=1_000_000)
    args = parser.parse_args()
    frame, build_s = timed(lambda: synthetic_pool(args.treated, args.controls))
    settings = {"treatment": "treat", "covariates": COVARIATES, "exact": EXACT, "seed": 1}
    result, match_s = timed(lambda: match(frame, **settings))
    _, att_s = timed(lambda: att(result, outcome="employed_6m"))
    _, greedy_s = timed(lambda: match(frame, **settings, replace=False))
    _, logit_s = timed(lambda: logit_alone(frame))
    _, nearest_s = timed(lambda: sklearn_nearest(result, frame))
    record = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": platform.platform(),
        "n_treated": args.treated,
        "n_controls": args.controls,
        "n_strata": int(frame.groupby(EXACT).ngroups),
        "n_matched": result.n_matched,
        "seconds": {
            "build_data": round(build_s, 2),
            "match_with_replacement": round(match_s, 2),
            "att_abadie_imbens_se": round(att_s, 2),
            "match_without_replacement": round(greedy_s, 2),
            "peer_statsmodels_logit_alone": round(logit_s, 2),
            "peer_sklearn_kdtree_1nn_no_strata": round(nearest_s, 2),
        },
        "ratio_match_to_logit": round(match_s / logit_s, 2),
        "ratio_match_to_logit_plus_1nn": round(match_s / (logit_s + nearest_s), 2),
    }
    RESULTS.mkdir(exist_ok=True)
    stamp = record["when"].replace(":", "").replace("-", "")
    (RESULTS / f"bench_matching_{stamp}.json").write_text(json.dumps(record, indent=2))
    for name, seconds in record["seconds"].items():
        print(f"{name:40s} {seconds:8.2f} s")
    print(f"{'match / logit alone':40s} {record['ratio_match_to_logit']:8.2f}")
    print(f"{'match / (logit + sklearn 1-NN)':40s} {record['ratio_match_to_logit_plus_1nn']:8.2f}")


if __name__ == "__main__":
    main()
