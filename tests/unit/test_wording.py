"""Sentences that must read right at the edges: a true zero and a programme of one activity."""

from __future__ import annotations

from evaluation.report.process import about_count
from evaluation.report.summary import _with_target


def test_a_true_zero_is_not_about_zero():
    assert about_count(0) == "0"  # shown exactly, as the disclosure rules allow a true zero
    assert about_count(7) == "a few" and about_count(12) == "about 10" and about_count(13) == "about 15"


def test_one_activity_with_a_target_is_singular():
    assert _with_target(1, "target") == "The target of the one activity with one is"
    assert (
        _with_target(3, "job outcome target")
        == "The job outcome targets of the 3 activities with one add up to"
    )
