"""One frozen object for what a report is run with: the validated snapshot, the activity, the
interim cut date or none, the seed and the output folder.

Papermill can hand a notebook only plain values, so the runner writes them with `as_notebook()`
and each report's context reads them back with `from_notebook(...)`: the interim date is parsed
once, in one way (YYYY-MM-DD or DD/MM/YYYY, day first), and travels as a `Timestamp` or None,
never as "", a string or a flag.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from evaluation.contracts import parse_date

__all__ = ["RunParameters"]


@dataclass(frozen=True)
class RunParameters:
    """What one report is run with. `activity_id` is None for the programme summary; `as_of` is
    the interim cut date (None: a full update, everything known)."""

    snapshot: str
    activity_id: str | None = None
    as_of: pd.Timestamp | None = None
    seed: int | None = 2025
    output_dir: str | None = None

    @property
    def interim(self) -> bool:
        return self.as_of is not None

    @property
    def as_of_text(self) -> str:
        """The cut date as YYYY-MM-DD, or "" for a full update (what papermill passes)."""
        return self.as_of.date().isoformat() if self.as_of is not None else ""

    @classmethod
    def from_notebook(
        cls,
        programme_path: str | Path,
        activity_id: str | None = None,
        as_of: object = None,
        *,
        seed: int | None = 2025,
        output_dir: str | Path | None = None,
    ) -> RunParameters:
        """The parameters as a notebook receives them ("" for no activity, no cut date or no folder)."""
        cut = None if as_of is None or (isinstance(as_of, str) and not as_of.strip()) else parse_date(as_of)
        return cls(
            snapshot=str(programme_path),
            activity_id=activity_id or None,
            as_of=pd.Timestamp(cut).normalize() if cut is not None else None,
            seed=None if seed is None else int(seed),
            output_dir=str(output_dir) if output_dir not in (None, "") else None,
        )

    def as_notebook(self) -> dict:
        """Plain values for papermill: the notebook's parameters cell reads these names."""
        found: dict = {"programme_path": self.snapshot}
        if self.activity_id is not None:
            found["activity_id"] = self.activity_id
        return found | {"as_of": self.as_of_text, "seed": self.seed, "output_dir": self.output_dir or "."}

    def provenance(self) -> dict:
        """The parameters as a report's provenance footer lists them (activity first, if any)."""
        found: dict = {"programme_path": self.snapshot}
        if self.activity_id is not None:
            found["activity_id"] = self.activity_id
        return found | {"as_of": self.as_of_text, "seed": self.seed}
