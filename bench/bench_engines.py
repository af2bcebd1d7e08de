"""Reading and checking a large input folder: the DuckDB engine against the pandas reader (issue 13).

Run: `python bench/bench_engines.py --pool-size 1000000 [--folder DIR]`. Writes a synthetic
programme with a comparison pool of that size (or uses DIR if it holds one), then, each in a
fresh process so that peak memory is its own:

- `pandas checks`: `read_raw_tables` + `check_tables` (every cell typed and checked in pandas);
- `duckdb checks`: the DuckDB engine reading, typing and checking the same files, leaving the
  typed tables in DuckDB (what `evaluation validate` needs);
- `duckdb to pandas`: the same plus the typed tables brought into pandas (what `load_programme`
  returns to the estimators).

It appends the seconds, the peak resident memory and the ratio pandas / DuckDB to
bench/results_engines.txt. The target was checks at least 5 times faster than pandas in the
same run, on about 28 million outcome rows.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

STEP = """
import json, resource, sys, time, warnings
warnings.simplefilter("ignore")
from pathlib import Path
from evaluation.contracts import load_contracts, check_tables
from evaluation.programme import read_raw_tables
from evaluation.engine.folder import read_and_check
folder, how = Path(sys.argv[1]), sys.argv[2]
contracts = load_contracts()
started = time.perf_counter()
if how == "pandas checks":
    raw, _, _ = read_raw_tables(folder, contracts)
    tables = check_tables(raw, contracts)
    rows = sum(len(t) for t in tables.values())
else:
    tables, _ = read_and_check(folder, contracts, into_pandas=how == "duckdb to pandas")
    rows = sum(len(t) for t in tables.values()) if tables else None
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
print(json.dumps({"seconds": seconds, "peak_gb": peak, "rows": rows}))
"""


def measure(folder: Path, how: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", STEP, str(folder), how], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool-size", type=int, default=1_000_000)
    parser.add_argument("--folder", type=Path, default=None)
    args = parser.parse_args()
    folder = args.folder or Path(f"/tmp/bench-engines-{args.pool_size}")
    if not (folder / "outcomes_monthly.csv").exists():
        from evaluation.synthetic import write

        write(folder, seed=2025, pool_size=args.pool_size)
    with open(folder / "outcomes_monthly.csv", encoding="utf-8") as handle:
        outcome_rows = sum(1 for _ in handle) - 1
    results = {how: measure(folder, how) for how in ("duckdb checks", "duckdb to pandas", "pandas checks")}
    ratio = results["pandas checks"]["seconds"] / results["duckdb checks"]["seconds"]
    lines = [
        f"## {time.strftime('%Y-%m-%d %H:%M')}: pool {args.pool_size:,}, {outcome_rows:,} outcome rows (CSV)",
        *(f"- {how}: {r['seconds']:.1f} s, peak {r['peak_gb']:.1f} GB" for how, r in results.items()),
        f"- pandas checks / duckdb checks: {ratio:.1f}x",
        "",
    ]
    print("\n".join(lines))
    with open(ROOT / "bench" / "results_engines.txt", "a", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
