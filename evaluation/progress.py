"""What a report kernel is doing, for the run's progress bar (issue 13, item 5).

At national scale an impact report works for a minute or more: it reads its outcome rows, selects
comparison candidates by referral month and matches them, then does it again for each
falsification check. `ReportKernelManager` starts each report kernel with `PROGRESS_VARIABLE`
naming a file of its own; the estimators say each long step there as it starts (`note`), and the
run's bar shows each working kernel's latest step beside the reports done. Outside a run
(a notebook opened by hand, the tests) `note` writes nothing.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

PROGRESS_VARIABLE = "EVALUATION_PROGRESS_FILE"
_about: list[str] = []  # what the steps are of (an activity), innermost last


def note(step: str) -> None:
    """Say that `step` has started, in the file the run gave this kernel (if any)."""
    path = os.environ.get(PROGRESS_VARIABLE)
    if not path:
        return
    text = f"{_about[-1]}: {step}" if _about else step
    with contextlib.suppress(OSError):  # progress must never fail a report
        Path(path).write_text(text, encoding="utf-8")


@contextlib.contextmanager
def about(what: str) -> Iterator[None]:
    """Notes made inside are of `what` (an activity's id), and the step is cleared after."""
    _about.append(what)
    try:
        yield
    finally:
        _about.pop()
        note("")


def latest(path: str | Path | None) -> str:
    """The last step said in a kernel's progress file ('' when none)."""
    if not path:
        return ""
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError:
        return ""
