"""`evaluation run` prints what a person needs and nothing else: no kernel or library log lines,
warnings as plain lines, and a final count of reports by kind (not of files)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from evaluation import synthetic

ACTIVITIES = ["women", "carers_vcse", "lmi_hub"]  # one of each impact design; the run renders women
NOISE = [
    "without encryption",
    "KeyboardInterrupt",
    "IPKernelApp",
    "Traceback",
    "UserWarning",
    "DeprecationWarning",
    "RuntimeWarning",
]
LOG_LINE = re.compile(r"^\[?\w*\]?\s*\[?(DEBUG|INFO|WARNING|ERROR|CRITICAL)\]?\s*[|:]")  # [App] WARNING | ...
PYTHON_WARNING = re.compile(r"\.py:\d+: \w*Warning")  # path/to/file.py:12: UserWarning: ...


def _small_folder(folder: Path) -> Path:
    """A small synthetic programme cut to three activities, with no as_of in programme.json (so the
    toolkit warns that it takes the last day the data speak for)."""
    synthetic.write(folder, 2025, scale=0.5, pool_size=1500)

    def read(name: str) -> pd.DataFrame:
        return pd.read_csv(folder / f"{name}.csv", dtype=str, keep_default_na=False)

    for name in ("delivery_plan", "participants", "area_panel", "spend"):
        table = read(name)
        table[table["activity_id"].isin(ACTIVITIES)].to_csv(folder / f"{name}.csv", index=False)
    people = set(read("participants")["person_id"]) | set(read("comparison_pool")["person_id"])
    outcomes = read("outcomes_monthly")
    outcomes[outcomes["person_id"].isin(people)].to_csv(folder / "outcomes_monthly.csv", index=False)
    (folder / "true_effects.csv").unlink()
    metadata = json.loads((folder / "programme.json").read_text(encoding="utf-8"))
    del metadata["as_of"]
    (folder / "programme.json").write_text(json.dumps(metadata), encoding="utf-8")
    return folder


@pytest.mark.notebook
def test_a_run_prints_no_kernel_noise_plain_warnings_and_a_count_of_reports(tmp_path):
    folder = _small_folder(tmp_path / "input")
    command = [sys.executable, "-m", "evaluation.cli", "run", str(folder), "--out", str(tmp_path / "out")]
    environment = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": ""}
    done = subprocess.run(
        [*command, "--activity", "women"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env=environment,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    lines = [line.strip() for line in re.split(r"[\r\n]+", output) if line.strip()]
    noisy = [
        line
        for line in lines
        if any(word in line for word in NOISE) or LOG_LINE.match(line) or PYTHON_WARNING.search(line)
    ]
    assert not noisy, "\n".join(noisy)
    warned = [line for line in lines if "warning" in line.lower()]
    assert warned, output  # the missing as_of is warned of ...
    assert all(re.match(r"warning( \(\w+\))?: \S", line) for line in warned), warned  # ... as plain lines
    assert any(line.startswith("warning: programme.json gives no as_of") for line in warned), warned
    written = [line for line in done.stdout.splitlines() if "written to" in line]
    assert len(written) == 1, done.stdout
    assert re.fullmatch(r"3 reports written to .+ in \d+ s: 1 process, 1 impact, 1 summary\.", written[0])
