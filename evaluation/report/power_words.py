"""The minimum detectable effect in plain English, for beside a "not significant" verdict.

Built from the numbers of `evaluation.power`: the participant count is published as the
disclosure rules allow (`evaluation.disclosure.safe_count`: small counts hidden, others
rounded), and effects are written in percentage points as elsewhere in the reports
(`evaluation.counterfactual.format_pp`).
"""

from __future__ import annotations

import math

from evaluation.counterfactual import format_pp
from evaluation.disclosure import DEFAULT_POLICY, DisclosurePolicy, safe_count
from evaluation.errors import OptionError

__all__ = ["detectable_effect_sentence", "participants_needed_sentence"]


def _points(number: str) -> str:
    return "percentage point" if number == "1" else "percentage points"


def _participants(n_participants: int, policy: DisclosurePolicy) -> str:
    shown = safe_count(n_participants, policy)
    if isinstance(shown, str):  # suppressed: say only that there were few
        return f"fewer than {policy.threshold} participants"
    return f"about {shown:,} participant{'' if shown == 1 else 's'}"


def detectable_effect_sentence(
    n_participants: int, difference: float, policy: DisclosurePolicy = DEFAULT_POLICY
) -> str:
    """'With about 70 participants this analysis could only detect effects of 14 percentage
    points or more.' `difference` is a minimum detectable effect as a fraction (0.14);
    inf (no change within 0-100% detectable) gets its own sentence."""
    if isinstance(difference, bool) or not isinstance(difference, int | float) or math.isnan(difference):
        raise OptionError(f"difference={difference!r} must be a number (a proportion, or inf)")
    who = _participants(n_participants, policy)
    if math.isinf(difference) or difference >= 1:
        return f"With {who} this analysis could not reliably detect an effect of any size."
    points = format_pp(difference)
    return f"With {who} this analysis could only detect effects of {points} {_points(points)} or more."


def participants_needed_sentence(effect: float, participants: int) -> str:
    """'To detect an effect of 5 percentage points, an activity would need at least 375
    participants.' `effect` as a fraction, `participants` from `participants_needed`."""
    if isinstance(participants, bool) or not isinstance(participants, int) or participants < 1:
        raise OptionError(f"participants={participants!r} must be a whole number of at least 1")
    points = format_pp(effect)
    return (
        f"To detect an effect of {points} {_points(points)}, an activity would need at least "
        f"{participants:,} participant{'' if participants == 1 else 's'}."
    )
