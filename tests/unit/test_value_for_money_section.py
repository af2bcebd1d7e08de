"""The impact report's value-for-money section says why when there is nothing to value."""

from __future__ import annotations

from types import SimpleNamespace

from evaluation.report.display import Numbering
from evaluation.report.value_for_money import value_for_money


def _text(parts) -> str:
    return " ".join(getattr(p, "data", str(p)) for p in parts)


def _ctx(**impact):
    base = {"estimated": True, "falsification": None, "net_impacts": {}, "n_treated_areas": 0}
    return SimpleNamespace(result=SimpleNamespace(**(base | impact)), numbering=Numbering())


def test_no_estimate_means_no_value_and_says_so():
    assert "not assessed: there is no impact estimate to value." in _text(
        value_for_money(_ctx(estimated=False))
    )


def test_a_withheld_verdict_claims_no_benefit():
    withheld = SimpleNamespace(credible=False)
    text = _text(value_for_money(_ctx(falsification=withheld)))
    assert "the verdict is withheld (a falsification check failed), so no benefit is claimed for it." in text


def test_an_area_rate_is_not_turned_into_people():
    text = _text(value_for_money(_ctx(n_treated_areas=7)))
    assert "employment rate, not a number of people in work" in text


def test_money_puts_the_minus_sign_before_the_pound():
    from evaluation.report.formatting import money

    assert money(-648468.4) == "-£648,468"
    assert money(12345.6) == "£12,346"
    assert money(-0.4) == "£0"  # rounds to no money, so no sign
    assert money(float("nan")) == "[x]"
