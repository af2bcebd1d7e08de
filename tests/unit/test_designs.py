"""The registry of impact designs (issue 10).

Each design is one entry (`evaluation.impact.DESIGNS`) declaring its estimator, its result type,
its label, its evidence rating and its report module; the contract's allowed values agree with
it; a design missing a part fails loudly when its entry is built or when a report would present
it, instead of falling back to another design's wording; and a new design needs only its
estimator (with its result type), its entry and its report module (`toy_design`, `toy_sections`).
"""

from __future__ import annotations

import dataclasses
import html
import re
from dataclasses import dataclass

import pytest

from evaluation import impact as impact_module
from evaluation.activity import ActivityImpact, DescriptiveImpact, MatchedImpact
from evaluation.contracts import load_contracts
from evaluation.designs import Design, design_of, registry
from evaluation.errors import DesignError, OptionError
from evaluation.impact import DESIGNS, estimate_activity
from evaluation.programme import load_programme
from evaluation.report import impact as impact_report
from evaluation.report.context import ImpactContext
from evaluation.report.families import Family, family_of, load_family
from evaluation.report.record import record
from evaluation.report.sentences import activity_sentences
from evaluation.report.summary import DESIGN_LABELS
from tests.unit.toy_design import ToyImpact, toy_activity


def estimator(*args, **kwargs):
    raise AssertionError("not called")


def test_the_contract_allows_exactly_the_registered_designs():
    allowed = load_contracts()["delivery_plan"].columns["impact_design"].allowed
    assert set(allowed) == set(DESIGNS)
    assert {name: d.label for name, d in DESIGNS.items()} == DESIGN_LABELS


def test_every_registered_design_has_its_own_result_type_and_report_sections():
    for name, design in DESIGNS.items():
        assert isinstance(family_of(name), Family)
        assert family_of(name) is load_family(design.report)
        assert issubclass(design.result, ActivityImpact) and design.result is not ActivityImpact
        assert design.result.__dataclass_params__.frozen
    assert len({d.result for d in DESIGNS.values()}) == len(DESIGNS)
    assert len({d.report for d in DESIGNS.values()}) == len(DESIGNS)


@dataclass(frozen=True, kw_only=True)
class NeedsAScore(ActivityImpact):
    score: float  # no default: a "not estimated" result could not be built


PARTS = {
    "name": "synthetic_control",
    "label": "Synthetic control",
    "estimate": estimator,
    "result": DescriptiveImpact,
    "evidence": "area_did",
    "report": "evaluation.report.area_sections",
}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"estimate": None}, "its estimator is not callable"),
        ({"result": None}, "result type None is not its own subclass of ActivityImpact"),
        ({"result": dict}, "is not its own subclass of ActivityImpact"),
        ({"result": ActivityImpact}, "is not its own subclass of ActivityImpact"),
        ({"result": NeedsAScore}, "NeedsAScore has fields without defaults: score"),
        ({"report": "evaluation.report.synthetic_control_sections"}, "report module .* does not exist"),
        ({"report": "nowhere.sections"}, "report module 'nowhere.sections' does not exist"),
        ({"evidence": "randomised"}, "evidence 'randomised' is not a known evidence rating"),
        ({"label": " "}, "no label"),
        ({"name": "Synthetic Control"}, "not a lower-case identifier"),
    ],
)
def test_a_design_missing_a_part_fails_loudly_at_registration(change, message):
    with pytest.raises(OptionError, match=message):
        Design(**(PARTS | change))


def test_a_report_module_without_a_complete_family_fails_loudly(monkeypatch):
    entry = Design(**(PARTS | {"report": "evaluation.report.formatting"}))  # a module, but no FAMILY
    monkeypatch.setattr(impact_module, "DESIGNS", {**DESIGNS, entry.name: entry})
    with pytest.raises(OptionError, match="'synthetic_control' cannot be reported: .*defines no FAMILY"):
        family_of("synthetic_control")
    with pytest.raises(TypeError, match="missing .* 'headline'"):
        Family(name="x", complete=print)  # type: ignore[call-arg]  # no headline, scope, ...


def test_a_design_registered_twice_or_unknown_is_refused():
    one = Design(**PARTS)
    with pytest.raises(OptionError, match="registered twice: synthetic_control"):
        registry(one, one)
    with pytest.raises(OptionError, match="Unknown impact design 'nope'"):
        design_of(DESIGNS, "nope")
    with pytest.raises(OptionError, match="Unknown impact design 'nope'"):
        family_of("nope")


def _descriptive_activity_id(programme) -> str:
    plan = programme.delivery_plan
    return str(plan.loc[plan["impact_design"] == "descriptive", "activity_id"].iloc[0])


def test_estimate_activity_dispatches_through_the_registry(synthetic_folder, monkeypatch):
    """A new design is reached by its entry alone: no branch in estimate_activity names it; what
    its estimator returns must be the result type its entry declares."""
    programme = load_programme(synthetic_folder)
    activity = _descriptive_activity_id(programme)
    seen = []
    made = estimate_activity(programme, activity)

    def described(programme, activity_id, plan, **options):
        seen.append((activity_id, sorted(options)))
        return made

    entry = dataclasses.replace(DESIGNS["descriptive"], estimate=described)
    monkeypatch.setattr(impact_module, "DESIGNS", {**DESIGNS, "descriptive": entry})
    assert estimate_activity(programme, activity) is made
    assert seen == [(activity, ["alpha", "horizons", "policy", "seed"])]
    wrong = dataclasses.replace(entry, result=MatchedImpact)
    monkeypatch.setattr(impact_module, "DESIGNS", {**DESIGNS, "descriptive": wrong})
    with pytest.raises(TypeError, match="returned a DescriptiveImpact, not its declared MatchedImpact"):
        estimate_activity(programme, activity)


def test_a_design_error_is_stated_in_the_designs_own_result_type(synthetic_folder, monkeypatch):
    programme = load_programme(synthetic_folder)

    def fails(*args, **kwargs):
        raise DesignError("no comparison people")

    monkeypatch.setattr(
        impact_module,
        "DESIGNS",
        {**DESIGNS, "descriptive": dataclasses.replace(DESIGNS["descriptive"], estimate=fails)},
    )
    found = estimate_activity(programme, _descriptive_activity_id(programme))
    assert type(found) is DescriptiveImpact and not found.estimated
    assert found.reason == "the data cannot support the analysis (no comparison people)"


def _text(parts) -> str:
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", getattr(p, "data", str(p)))) for p in parts)
    return " ".join(text.split())


def test_a_new_design_needs_only_its_estimator_its_entry_and_its_report_module(synthetic_folder, monkeypatch):
    """The toy design: its estimator and result type (`toy_design`), its entry (here, in a test
    registry) and its report module (`toy_sections`). Nothing else in the toolkit names it, yet
    `estimate_activity`, every section of the impact notebook, the headline sentences and the
    record present it in its own words."""
    toy = Design(
        name="toy",
        label="Toy",
        estimate=toy_activity,
        result=ToyImpact,
        evidence="before_after",
        report="tests.unit.toy_sections",
    )
    monkeypatch.setattr(impact_module, "DESIGNS", registry(*DESIGNS.values(), toy))
    programme = load_programme(synthetic_folder)  # validated with the contract's designs, then:
    activity = _descriptive_activity_id(programme)
    plan = programme.delivery_plan
    plan.loc[plan["activity_id"] == activity, "impact_design"] = "toy"

    found = estimate_activity(programme, activity)
    assert type(found) is ToyImpact and found.design == "toy" and found.estimated
    ctx = ImpactContext(programme, activity, impact=found)
    assert ctx.kind == "toy"
    assert _text(impact_report.headline_section(ctx)).startswith(f"Headline Toy headline for {ctx.name}: ")
    sections = {
        name: _text(getattr(impact_report, name)(ctx))
        for name in (
            "scope",
            "not_yet_observable",
            "balance",
            "outcomes_over_time",
            "falsification_section",
            "sensitivity_section",
            "net_outcomes",
            "evidence",
            "methods",
            "caveats",
        )
    }
    for name, said in {
        "scope": "Toy scope",
        "not_yet_observable": "Toy: nothing more",
        "net_outcomes": "Toy: no net outcomes",
        "evidence": "Toy check",
        "methods": "Toy assumption",
        "caveats": "Toy bias",
    }.items():
        assert said in sections[name], name
    assert sections["balance"] == sections["outcomes_over_time"] == sections["sensitivity_section"] == ""
    assert activity_sentences(found)[0].startswith("Toy sentence: ")
    saved = record(found, programme, seed=None, as_of=None)
    assert saved.design == "toy" and saved.headline is None and saved.horizons == ()
