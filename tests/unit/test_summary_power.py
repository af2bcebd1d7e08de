"""The record carries each headline's p-value and smallest detectable effect, and the summary's
comparison table shows them with the p-value adjusted across activities (Holm)."""

from __future__ import annotations

import numpy as np
import pytest

from evaluation.impact import estimate_activity
from evaluation.multiplicity import adjusted_p_values
from evaluation.programme import load_programme
from evaluation.report.record import HeadlineRecord, ImpactRecord, record
from evaluation.report.summary import _power_columns


@pytest.fixture(scope="module")
def programme(synthetic_folder):
    return load_programme(synthetic_folder)


def test_a_matched_record_carries_the_headline_p_value_and_detectable_effect(programme):
    for activity_id in ("vcse_small_grants", "employers", "women"):
        impact = estimate_activity(programme, activity_id, seed=3)
        if impact.headline is not None:
            break
    else:
        pytest.fail("no matched activity of the small synthetic programme has a headline")
    rec = record(impact, programme, seed=3, as_of=None)
    head = impact.headline
    assert rec.headline.p_value == pytest.approx(head.p_value)
    assert rec.headline.detectable_pp == pytest.approx(100 * 2.8016 * head.std_error, rel=1e-4)


def test_an_area_record_carries_the_wild_bootstrap_p_value(programme):
    impact = estimate_activity(programme, "service_redesign", seed=3)
    if impact.area_inference is None or impact.area_inference.wild is None:
        pytest.fail("the synthetic service redesign should have an area estimate")
    rec = record(impact, programme, seed=3, as_of=None)
    assert rec.headline.p_value == pytest.approx(impact.area_inference.wild.p_value)
    assert rec.headline.p_value != pytest.approx(impact.headline.p_value)  # not the normal approximation


def _record(p_value, detectable):
    head = HeadlineRecord(6, 3.0, -1.0, 7.0, False, p_value=p_value, detectable_pp=detectable)
    return ImpactRecord(activity_id="a", activity_name="A", design="matched_comparison", status="estimated",
                        reason="", headline=head)  # fmt: skip


def test_the_power_columns_show_p_holm_and_detectable_effect():
    holm = adjusted_p_values([0.01, 0.04, 0.30], "holm")
    np.testing.assert_allclose(holm, [0.03, 0.08, 0.30])  # 0.01 x 3, 0.04 x 2, 0.30 x 1
    assert _power_columns(_record(0.04, 9.24), holm[1]) == ["0.040", "0.080", "9.2"]
    assert _power_columns(_record(None, None), np.nan) == ["[x]", "[x]", "[x]"]


def test_the_cohort_table_shows_each_activitys_effect_for_each_group():
    from evaluation.report.record import SubgroupRecord
    from evaluation.report.summary import cohort_effect_table

    women = SubgroupRecord("Women", 80, 5.0, 1.0, 9.0, 0.02, 0.3, "")
    carers = SubgroupRecord("Carers", "[c]", reason="too few people")
    rec = ImpactRecord(activity_id="a", activity_name="A", design="matched_comparison", status="estimated",
                       subgroups=(women, carers))  # fmt: skip
    area = ImpactRecord(activity_id="b", activity_name="B", design="did", status="estimated")
    table = cohort_effect_table({"a": rec, "b": area}, cohorts=("Women", "Carers", "Veterans"))
    assert table.index.tolist() == ["A"]  # an area design has no cohort estimates
    assert table.loc["A"].tolist() == ["+5.0 (+1.0 to +9.0)", "not estimated", "[z]"]
    again = ImpactRecord.from_dict(rec.to_dict())
    assert again.subgroups == rec.subgroups  # the record keeps them through its JSON form
