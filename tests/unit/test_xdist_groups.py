"""The test suite relies on `--dist loadgroup` to send every test of an `xdist_group` to one worker,
so the session's end-to-end run (`tests/e2e_fixtures.py`) is rendered once. pytest 9.2 with
pytest-xdist 3.8 stopped grouping without any error (pytest-dev/pytest-xdist#1386) and `make test`
quietly rendered the same runs on both workers; this checks grouping in a small session."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap


def test_tests_of_one_xdist_group_run_on_one_worker(tmp_path):
    probe = tmp_path / "test_probe.py"
    probe.write_text(
        textwrap.dedent(
            """
            import pytest

            pytestmark = pytest.mark.xdist_group("probe")

            @pytest.mark.parametrize("i", range(8))
            def test_one(i):
                pass
            """
        ),
        encoding="utf-8",
    )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-n",
            "2",
            "--dist",
            "loadgroup",
            "-v",
            "-p",
            "no:cacheprovider",
            "-c",
            os.devnull,
            str(probe),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    workers = re.findall(r"\[(gw\d+)\].*PASSED", done.stdout)
    assert len(workers) == 8, done.stdout
    assert len(set(workers)) == 1, f"one group ran on {sorted(set(workers))}"
