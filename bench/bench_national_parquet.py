"""A national pool in Parquet: validation and one matched activity at 3,000,000 comparison people
(issue 13, item 4: complete with peak memory at most 12 GB on this 2-core, 24 GB machine).

The folder is built from a 1,000,000-pool synthetic programme written as CSV (as
bench/bench_scale_run.py writes it): DuckDB copies its comparison pool `--copies` times (each copy's
people renamed `<id>-<k>`, with their outcome histories) and writes every table as Parquet, the
outcome table in row groups of 1M rows. Then, each in a fresh process, measured for seconds and
peak resident memory of the process tree (sampled every 0.2 s):

1. validation: `evaluation.snapshot.validate_into_snapshot` (read, type and check every table in
   DuckDB, write the snapshot a batch at a time), as `evaluation run` does;
2. one matched activity from that snapshot, as its impact report computes it
   (`estimate_activity`: the headline, candidates, secondary outcomes, cohorts and both placebo
   referrals), reading only the outcome rows it uses.

Run (after bench_scale_run.py has made the 1M folder):

    .venv/bin/python bench/bench_national_parquet.py --source /tmp/scale/pool1m [--copies 3]

Appends its lines to bench/results_national_parquet.txt.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_scale_run import measured  # noqa: E402

RESULTS = Path(__file__).with_name("results_national_parquet.txt")
ACTIVITY = "women"


def build(source: Path, target: Path, copies: int) -> int:
    """The national folder as Parquet; returns the outcome rows written."""
    import duckdb

    target.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(config={"memory_limit": "4GB", "temp_directory": str(target / ".spill")})

    def csv(name: str) -> str:
        return f"read_csv('{source / (name + '.csv')}', header = true, all_varchar = true)"

    for name in ("delivery_plan", "participants", "spend", "area_panel"):
        con.execute(f"COPY (SELECT * FROM {csv(name)}) TO '{target / (name + '.parquet')}' (FORMAT parquet)")
    renamed = " UNION ALL ".join(
        f"SELECT * REPLACE (person_id || '-{k}' AS person_id) FROM pool" for k in range(2, copies + 1)
    )
    con.execute(f"CREATE VIEW pool AS SELECT * FROM {csv('comparison_pool')}")
    con.execute(
        f"COPY (SELECT * FROM pool UNION ALL {renamed}) TO '{target / 'comparison_pool.parquet'}' (FORMAT parquet)"
    )
    con.execute(f"CREATE VIEW outcomes AS SELECT * FROM {csv('outcomes_monthly')}")
    pool_rows = (
        "SELECT o.* FROM outcomes o SEMI JOIN (SELECT person_id FROM pool) p ON o.person_id = p.person_id"
    )
    copied = " UNION ALL ".join(
        f"SELECT * REPLACE (person_id || '-{k}' AS person_id) FROM ({pool_rows})"
        for k in range(2, copies + 1)
    )
    con.execute(
        f"COPY (SELECT * FROM outcomes UNION ALL {copied}) TO '{target / 'outcomes_monthly.parquet'}' "
        "(FORMAT parquet, ROW_GROUP_SIZE 1000000)"
    )
    rows = con.execute(
        f"SELECT count(*) FROM read_parquet('{target / 'outcomes_monthly.parquet'}')"
    ).fetchone()
    con.close()
    shutil.rmtree(target / ".spill", ignore_errors=True)
    for name in ("programme.json", "true_effects.csv"):
        if (source / name).exists():
            shutil.copy2(source / name, target / name)
    return int(rows[0]) if rows else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=Path(tempfile.gettempdir()) / "scale_pool1000000")
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--folder", type=Path, default=None)
    args = parser.parse_args()
    folder = args.folder or Path(tempfile.gettempdir()) / f"national_x{args.copies}"
    if not (folder / "outcomes_monthly.parquet").exists():
        rows = build(args.source, folder, args.copies)
        print(f"built {rows:,} outcome rows", flush=True)
    python = str(Path(sys.executable).parent / "python")
    with tempfile.TemporaryDirectory() as snapshot:
        validate = (
            "from evaluation.snapshot import validate_into_snapshot; "
            f"validate_into_snapshot({str(folder)!r}, {snapshot!r}, progress=True)"
        )
        valid_s, valid_gb = measured([python, "-c", validate])
        print(f"validation {valid_s:.0f} s, peak {valid_gb:.1f} GB", flush=True)
        estimate = (
            "from evaluation.snapshot import read_snapshot; from evaluation.impact import estimate_activity; "
            f"p = read_snapshot({snapshot!r}); r = estimate_activity(p, {ACTIVITY!r}, seed=2025); "
            "print(r.status, r.n_participants)"
        )
        match_s, match_gb = measured([python, "-c", estimate])
        print(f"one matched activity {match_s:.0f} s, peak {match_gb:.1f} GB", flush=True)
        pool = len(
            __import__("pandas").read_parquet(Path(snapshot) / "comparison_pool.parquet", columns=["la_code"])
        )
    import pyarrow.parquet as pq

    rows = pq.ParquetFile(folder / "outcomes_monthly.parquet").metadata.num_rows
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    lines = [
        f"## {stamp}: pool {pool:,}, {rows:,} outcome rows (Parquet)",
        f"- validation into the snapshot (DuckDB): {valid_s:.0f} s, peak {valid_gb:.1f} GB",
        f"- one matched activity ({ACTIVITY}, with placebos) from the snapshot: {match_s:.0f} s, peak {match_gb:.1f} GB",
        "",
    ]
    print("\n".join(lines))
    with RESULTS.open("a", encoding="utf-8") as out:
        out.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
