"""The full default run (13 process reports, 13 impact reports, the summary), timed against the
time to validate the same input folder once, in the same process (issue 10, item 7).

Run: `python bench/bench_full_run.py [--repeats 3]`. Writes bench/results_full_run.txt: the
seconds to load and validate the folder once (`load_programme`), the seconds of a full
`evaluation run` with warm kernels (the default) and with a new kernel per report (as before
issue 10), each the best of `--repeats`, and their ratios. A ratio is what to compare across
machines; the goal was a full run in at most 45 s on this two-core machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evaluation import runner, synthetic  # noqa: E402
from evaluation.programme import load_programme  # noqa: E402


def best_of(repeats: int, work) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def cold_execute(job, staging, failed_dir, title, *, kernel):
    """The runner's step as before warm kernels: every report starts a kernel of its own."""
    return runner.execute(job, staging, failed_dir, title)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    repeats = parser.parse_args().repeats
    with threadpool_limits(1), tempfile.TemporaryDirectory() as scratch:
        folder = synthetic.write(Path(scratch) / "input", 2025)
        out = Path(scratch) / "reports"

        def full_run():
            result = runner.run(folder, out, seed=2025, progress=False, replace_previous=True)
            assert result.ok and len(result.reports) == 27, result.text()

        validate = best_of(repeats, lambda: load_programme(folder))
        warm = best_of(repeats, full_run)
        warm_execute = runner._execute
        runner._execute = cold_execute
        try:
            cold = best_of(repeats, full_run)
        finally:
            runner._execute = warm_execute
    lines = [
        f"Full default run of the synthetic North East CA programme (27 reports), best of {repeats}:",
        f"- validate the input once (load_programme): {validate:.1f} s",
        f"- full run, warm kernels (default):        {warm:.1f} s = {warm / validate:.0f} x validation",
        f"- full run, a new kernel per report:       {cold:.1f} s = {cold / validate:.0f} x validation",
        f"- warm kernels take {warm / cold:.0%} of the time of a kernel per report",
    ]
    print("\n".join(lines))
    Path(__file__).with_name("results_full_run.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
