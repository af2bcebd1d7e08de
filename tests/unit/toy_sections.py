"""The toy design's report module for `test_designs`: its `FAMILY`, with only the required parts
(the optional sections, summary lines and process headline take their defaults)."""

from __future__ import annotations

from evaluation.report.display import headline, paragraph
from evaluation.report.families import Family, result_of
from tests.unit.toy_design import ToyImpact


def _share(impact) -> str:
    share = result_of(impact, ToyImpact).started_share
    return "unknown" if share is None else f"{100 * share:.0f}%"


FAMILY = Family(
    name="toy",
    complete=lambda impact: impact.estimated,
    headline=lambda ctx: [headline(f"Toy headline for {ctx.name}: {_share(ctx.result)} started support.")],
    sentences=lambda impact: [f"Toy sentence: {_share(impact)} started support."],
    scope=lambda ctx: [paragraph("Toy scope: nobody is compared.")],
    observable=lambda ctx: ["Toy: nothing more to observe."],
    net_outcomes=lambda ctx, spend_text: [paragraph("Toy: no net outcomes.", spend_text)],
    evidence=lambda ctx: ["Toy check: none."],
    methods=lambda ctx: (["Toy method: a share."], ["Toy assumption: none."]),
    caveats=lambda ctx: (["Toy bias: everything."], ["Toy: what difference it made."]),
    record=lambda impact, policy: {},
)
