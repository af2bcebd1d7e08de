"""Every built-in programme shape, end to end at full scale, in full and at each interim update
its programme.json lists (issue 9, item 13). Run: `python bench/bench_programme_shapes.py`.
Writes bench/results_programme_shapes.txt: per run, the reports written, the seconds taken and
each activity's impact status (published, withheld or not estimated) with its headline estimate,
beside the true effect where the shape has one. The tests run the same shapes at half size.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from evaluation import synthetic  # noqa: E402
from evaluation.report.record import read_results  # noqa: E402
from evaluation.runner import run  # noqa: E402


def describe(record) -> str:
    head = record.headline
    if not record.estimated or head is None:
        return "not estimated"
    status = "published" if head.published else "withheld"
    at = f" at {head.horizon} months" if head.horizon else ""
    return f"{status} {head.estimate_pp:+.1f} ({head.ci_lower_pp:+.1f} to {head.ci_upper_pp:+.1f}){at}"


def main() -> None:
    lines = []
    with threadpool_limits(1), tempfile.TemporaryDirectory() as scratch:
        for key, shape in synthetic.SHAPES.items():
            folder = synthetic.write(Path(scratch) / key, 2025, programme=key)
            dates = [None] + [day for _, day in shape.updates if day != shape.as_of.date().isoformat()]
            for day in dates:
                result = run(folder, Path(scratch) / "out", as_of=day, seed=2025, progress=False)
                lines.append(f"## {shape.name}, {'full' if day is None else 'as of ' + day}")
                lines.append(result.text().replace(str(result.out_dir), result.out_dir.name))
                for activity_id, record in read_results(result.out_dir).items():
                    lines.append(f"- {activity_id}: {describe(record)}")
                print("\n".join(lines[-3:]), flush=True)
            truth = json.loads((folder / "programme.json").read_text())["data_generating_process"]
            lines.append(
                f"(true effects: {folder.name}/true_effects.csv; persistence {truth['persistence']})"
            )
    out = Path(__file__).with_name("results_programme_shapes.txt")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
