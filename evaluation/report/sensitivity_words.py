"""Parallel-trends sensitivity in plain English: sentences from an `HonestResult`'s breakdown values.

`honest_sentence` says how far post-start trends may differ, relative to the largest pre-start
difference, before the conclusion fails (relative magnitudes); `smoothness_sentence` says how
far the pre-start trend, continued past the start, may bend. Both round the breakdown value
down to two significant figures, so a sentence never claims more robustness than was found.
"""

from __future__ import annotations

import math

from evaluation.sensitivity.honest import HonestResult

__all__ = ["honest_sentence", "smoothness_sentence"]

NOT_SIGNIFICANT = (
    "The estimate is not statistically significant even if trends were parallel, "
    "so there is no conclusion for a difference in trends to overturn."
)


def rounded_down(value: float) -> str:
    """A positive number rounded down to two significant figures, without trailing zeros:
    1.9487 -> "1.9", 0.4567 -> "0.45", 12.7 -> "12", 2.0 -> "2"."""
    exponent = math.floor(math.log10(value))
    step = 10.0 ** (exponent - 1)
    kept = math.floor(value / step * (1 + 1e-12)) * step  # 1e-12: 1.5 stays 1.5 in binary
    text = f"{kept:.{max(0, 1 - exponent)}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def honest_sentence(result: HonestResult) -> str:
    """The relative-magnitudes breakdown as one sentence, e.g. "The conclusion holds unless
    post-start trends differ by more than 1.9 times the largest pre-start difference."."""
    value = result.breakdown_rm
    if value is None:
        return NOT_SIGNIFICANT
    if value == 0:
        return (
            "The conclusion needs trends to stay exactly parallel after the start: "
            "any difference in post-start trends could overturn it."
        )
    if math.isinf(value):
        return (
            "The trends did not differ at all before the start, so no multiple of the "
            "pre-start differences overturns the conclusion."
        )
    times = rounded_down(value)
    amount = (
        "the largest pre-start difference"
        if times == "1"
        else f"{times} times the largest pre-start difference"
    )
    return f"The conclusion holds unless post-start trends differ by more than {amount}."


def smoothness_sentence(result: HonestResult, *, points: bool = True, scale: float = 100.0) -> str:
    """The smoothness breakdown as one sentence. With `points` (the outcome is a proportion,
    such as an employment rate) the bend is in percentage points, `scale` turning the outcome's
    units into points (100 for a proportion, 1 for a rate already in percent); otherwise in
    outcome units."""
    value = result.breakdown_sd
    if value is None:
        return NOT_SIGNIFICANT
    if value == 0:
        return (
            "The conclusion fails if the pre-start trend simply continues in a straight line after the start."
        )
    if math.isinf(value):
        return "No bend tried in the pre-start trend, continued past the start, overturns the conclusion."
    if points:
        number = rounded_down(scale * value)
        amount = f"{number} percentage {'point' if number == '1' else 'points'}"
    else:
        amount = rounded_down(value)
    return (
        "The conclusion holds unless the pre-start trend, continued past the start, "
        f"bends by more than {amount} from one period to the next."
    )
