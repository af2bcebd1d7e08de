"""The registry of impact designs (issue 10, item 1).

Each design is one entry (`evaluation.impact.DESIGNS`) declaring its estimator, label, evidence
rating and report module; the contract's allowed values agree with it; a design missing a part
fails loudly when its entry is built or when a report would present it, instead of falling back
to another design's wording.
"""

from __future__ import annotations

import pytest

from evaluation.contracts import load_contracts
from evaluation.designs import Design, design_of, registry
from evaluation.errors import OptionError
from evaluation.impact import DESIGNS, estimate_activity
from evaluation.programme import load_programme
from evaluation.report.families import Family, family_of, load_family
from evaluation.report.summary import DESIGN_LABELS


def estimator(*args, **kwargs):
    raise AssertionError("not called")


def test_the_contract_allows_exactly_the_registered_designs():
    allowed = load_contracts()["delivery_plan"].columns["impact_design"].allowed
    assert set(allowed) == set(DESIGNS)
    assert {name: d.label for name, d in DESIGNS.items()} == DESIGN_LABELS


def test_every_registered_design_has_report_sections():
    for name, design in DESIGNS.items():
        assert isinstance(family_of(name), Family)
        assert family_of(name) is load_family(design.report)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"estimate": None}, "estimator is not callable"),
        ({"label": " "}, "no label"),
        ({"evidence": "randomised"}, "not a known evidence rating"),
        ({"report": "evaluation.report.synthetic_control_sections"}, "report module .* does not exist"),
        ({"report": "nowhere.sections"}, "report module 'nowhere.sections' does not exist"),
        ({"name": "Synthetic Control"}, "not a lower-case identifier"),
    ],
)
def test_a_design_missing_a_part_fails_loudly(change, message):
    parts = {"name": "synthetic_control", "label": "Synthetic control", "estimate": estimator}
    parts |= {"evidence": "area_did", "report": "evaluation.report.area_sections"} | change
    with pytest.raises(OptionError, match=message):
        Design(**parts)


def test_a_design_registered_twice_or_unknown_is_refused():
    one = Design("x", "X", estimator, "descriptive", "evaluation.report.descriptive_sections")
    with pytest.raises(OptionError, match="registered twice: x"):
        registry(one, one)
    with pytest.raises(OptionError, match="Unknown impact design 'nope'"):
        design_of(DESIGNS, "nope")
    with pytest.raises(OptionError, match="Unknown impact design 'nope'"):
        family_of("nope")


def test_estimate_activity_dispatches_through_the_registry(synthetic_folder, monkeypatch):
    """A new design is reached by its entry alone: no branch in estimate_activity names it."""
    programme = load_programme(synthetic_folder)
    seen = []

    def described(programme, activity_id, plan, **options):
        seen.append((activity_id, sorted(options)))
        return "estimated by the registered design"

    entry = Design(
        "descriptive", "Descriptive", described, "descriptive", "evaluation.report.descriptive_sections"
    )
    from evaluation import impact as impact_module

    monkeypatch.setattr(impact_module, "DESIGNS", {**DESIGNS, "descriptive": entry})
    activity = programme.delivery_plan.loc[
        programme.delivery_plan["impact_design"] == "descriptive", "activity_id"
    ]
    assert estimate_activity(programme, activity.iloc[0]) == "estimated by the registered design"
    assert seen == [(activity.iloc[0], ["alpha", "horizons", "policy", "seed"])]
