"""What a report kernel is doing, said to the run's progress bar (issue 13, item 5): at national
scale one impact report works for a minute or more, and the bar showed only reports done."""

from __future__ import annotations

import io
import threading
import time
from concurrent.futures import Future

from tqdm import tqdm

from evaluation import progress, runner
from evaluation.impact import estimate_activity
from evaluation.programme import load_programme


def test_outside_a_run_a_note_writes_nothing(monkeypatch, tmp_path):
    monkeypatch.delenv(progress.PROGRESS_VARIABLE, raising=False)
    monkeypatch.chdir(tmp_path)
    progress.note("matching")
    assert list(tmp_path.iterdir()) == []
    assert progress.latest(None) == "" and progress.latest(tmp_path / "absent.txt") == ""


def test_a_note_is_of_its_activity_and_is_cleared_after_it(monkeypatch, tmp_path):
    where = tmp_path / "progress.txt"
    monkeypatch.setenv(progress.PROGRESS_VARIABLE, str(where))
    with progress.about("women"):
        progress.note("matching 1,200 candidate rows")
        assert progress.latest(where) == "women: matching 1,200 candidate rows"
    assert progress.latest(where) == ""


def test_a_matched_estimate_says_each_long_step_in_order(synthetic_folder, monkeypatch):
    """Reading outcomes, then candidates and matching for the headline, then the placebo
    referrals, each with the activity's id and the sizes it works on."""
    said: list[str] = []

    def note(step: str) -> None:
        if step:
            said.append(f"{progress._about[-1]}: {step}")

    monkeypatch.setattr(progress, "note", note)
    programme = load_programme(synthetic_folder)
    estimate_activity(programme, "vcse_small_grants", seed=1, alpha=0.05, horizons=(6, 12))
    assert said[0].startswith("vcse_small_grants: reading the outcomes of ") and said[0].endswith(" people")
    assert said[1].startswith("vcse_small_grants: selecting candidates from ")
    assert said[2].startswith("vcse_small_grants: matching ") and said[2].endswith(" candidate rows")
    placebos = said.index("vcse_small_grants: placebo referrals")
    assert placebos > 2 and any("selecting candidates" in s for s in said[placebos + 1 :])


class _Workers:
    def __init__(self, steps):
        self._steps = steps

    def steps(self):
        return self._steps


def test_the_bar_shows_what_each_kernel_is_doing_while_reports_run():
    out = io.StringIO()
    bar = tqdm(total=1, file=out, desc="Reports", mininterval=0)
    slow: Future = Future()
    threading.Timer(0.3, lambda: slow.set_result(1)).start()
    started = time.perf_counter()
    done = list(runner._as_done([slow], bar, _Workers(["women: matching 1,200 candidate rows"]), every=0.05))
    bar.close()
    assert done == [slow] and time.perf_counter() - started < 5
    assert "women: matching 1,200 candidate rows" in out.getvalue()
