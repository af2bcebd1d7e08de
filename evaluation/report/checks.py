"""Report sections on whether an estimate can be trusted: falsification and sensitivity.

Words only: the numbers come from `evaluation.falsification` and the estimator's candidate
table. The matched family shows `falsification_section` and `sensitivity_section`;
`withheld_headline` is what a family's headline says when the checks fail, and the summary and
the record use `withheld_reason`.
"""

from __future__ import annotations

import pandas as pd

from evaluation.activity import ActivityImpact
from evaluation.falsification import Falsification
from evaluation.matched import CANDIDATES
from evaluation.report.display import bullets, heading, headline, paragraph, warning
from evaluation.report.formatting import signed
from evaluation.report.sentences import evidence_line

__all__ = [
    "design_check_sentences",
    "falsification_section",
    "failed_check_sentences",
    "sensitivity_section",
    "withheld_headline",
    "withheld_reason",
]


def _pp(value: float) -> str:
    """A proportion as signed percentage points: "+3.2"."""
    return signed(100 * value)


def _p(value: float) -> str:
    return "p < 0.001" if value < 0.001 else f"p = {value:.3f}"


def failed_check_sentences(checks: Falsification) -> list[str]:
    """One sentence per failed check, from its numbers."""
    out = []
    for placebo in checks.placebos:
        if placebo.deciding and not placebo.passed:
            out.append(
                f"Matched {placebo.months_before} months before they were referred, participants and their "
                f"comparison group already differed in the chance of being in work in the following months "
                f"(largest difference {_pp(placebo.largest)} percentage points; joint test "
                f"{_p(placebo.p_value)}), when the true difference is zero."
            )
    if not checks.pre_path_passed and checks.pre_path_label == "area":
        out.append(
            "Quarter by quarter before the activity started, the areas where it ran and the comparison areas "
            f"were already moving apart more than chance allows (joint test {_p(checks.pre_path_p_value)})."
        )
    elif not checks.pre_path_passed:
        out.append(
            "Month by month between the baseline and the last six months before referral, participants and the "
            f"comparison group changed differently, more than chance allows (joint test {_p(checks.pre_path_p_value)})."
        )
    return out


def withheld_reason(impact: ActivityImpact) -> str:
    """Why the verdict is withheld, in one clause ("" when it is published)."""
    checks = impact.falsification
    if impact.published or checks is None:
        return ""
    names = []
    for name in checks.failed:
        if name == "pre_path" and checks.pre_path_label == "area":
            names.append("the comparison of the quarters before the activity started")
        elif name == "pre_path":
            names.append("the month-by-month comparison before referral")
        else:
            names.append(f"the placebo referral {name.split('_')[1]} months early")
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f"the comparison group is not credible for this activity: it failed {listed}"


def withheld_headline(sentences: list[str], impact: ActivityImpact) -> list:
    """The headline of a withheld verdict: the first sentence (no verdict, and why) as the headline,
    the rest (the failed checks, the estimate for the record) and the evidence as bullets."""
    first, *rest = sentences
    return [headline(first), bullets([*rest, evidence_line(impact)])]


def falsification_section(ctx) -> list:
    """Placebo referrals and the pre-referral path: what was checked and what was found."""
    impact = ctx.result
    checks = impact.falsification
    if not impact.estimated or checks is None:
        return []
    rows: list[dict[str, object]] = []
    for placebo in checks.placebos:
        if not placebo.run:
            rows.append(
                {
                    "Check": f"Placebo referral {placebo.months_before} months early",
                    "Months after placebo referral": "[x]",
                    "Difference (percentage points)": "[x]",
                    "95% confidence interval": "[x]",
                    "Result": f"not run: {placebo.reason_not_run}",
                }
            )
            continue
        if placebo.deciding:
            result = ("passed" if placebo.passed else "failed") + f" (joint test {_p(placebo.p_value)})"
        else:
            result = (
                "no difference" if placebo.passed else "difference: the fall in employment before referral"
            ) + f" (joint test {_p(placebo.p_value)}; reported, does not decide)"
        for row in placebo.table.itertuples():
            rows.append(
                {
                    "Check": f"Placebo referral {placebo.months_before} months early",
                    "Months after placebo referral": int(row.horizon),
                    "Difference (percentage points)": _pp(row.estimate),
                    "95% confidence interval": f"{_pp(row.ci_lower)} to {_pp(row.ci_upper)}",
                    "Result": result,
                }
            )
    pre = checks.pre_path
    rows.append(
        {
            "Check": "Month-by-month difference 7 to 24 months before referral",
            "Months after placebo referral": "[z]",
            "Difference (percentage points)": "[z]",
            "95% confidence interval": "[z]",
            "Result": (
                "not run: too few months"
                if pre is None
                else ("passed" if checks.pre_path_passed else "failed") + f" (joint test {_p(pre.p_value)})"
            ),
        }
    )
    out = [
        heading("Checks before publication"),
        paragraph(
            "Before a verdict is published, the method is tried where the true effect is known to be zero: the "
            "same participants are matched as if they had been referred 6 or 12 months earlier, and compared with "
            "their matches over the following months, all before they actually joined (placebo referrals). The "
            "months between the baseline and the last six months before referral are also compared one by one. "
            "A clear difference 12 months early, or in those months, means the comparison group differs in ways "
            "the matching does not capture, and the verdict is withheld. Six months early the compared months are "
            "the last six before referral, where people who joined after losing a job differ by construction; "
            "the matching compares exactly those months, so that placebo measures the fall in employment before "
            "referral and does not decide."
        ),
        ctx.numbering.table(
            pd.DataFrame(rows).set_index("Check"),
            index=True,
            title=f"Placebo referrals and the months before referral, {ctx.name}",
            note="A difference is the chance of being in work of participants minus that of their matched "
            "comparison group, in percentage points; the joint test asks whether all the differences of one check "
            "are zero. [x]: not available; [z]: not applicable.",
        ),
    ]
    if checks.credible:
        deciding = [p for p in checks.placebos if p.deciding and p.run] + (
            [checks.pre_path] if checks.pre_path else []
        )
        out.append(
            paragraph(
                (
                    "The check that decides publication passed"
                    if len(deciding) == 1
                    else f"The {len(deciding)} checks that decide publication passed"
                )
                + ": the comparison group is credible for this activity."
            )
        )
    else:
        out.append(warning(" ".join(failed_check_sentences(checks))))
    return out


def sensitivity_section(ctx) -> list:
    """The headline estimator beside the other candidates, at each horizon."""
    impact = ctx.result
    if not impact.estimated or impact.matched is None or impact.matched.candidates.empty:
        return []
    table = impact.matched.candidates
    reportable = set(impact.matched.horizons.loc[impact.matched.horizons["reportable"], "horizon"])
    table = table[table["horizon"].isin(reportable)]
    if table.empty:
        return []
    shown = pd.DataFrame(
        {
            "Method": [
                CANDIDATES[c] + (" (headline)" if c == impact.matched.estimator else "")
                for c in table["candidate"]
            ],
            "Months after referral": table["horizon"].astype(int).to_numpy(),
            "Effect (percentage points)": [_pp(v) for v in table["estimate"]],
            "95% confidence interval": [
                f"{_pp(lo)} to {_pp(hi)}" for lo, hi in zip(table["ci_lower"], table["ci_upper"], strict=True)
            ],
        }
    ).set_index("Method")
    return [
        heading("How the estimate depends on the method"),
        paragraph(
            "The headline compares participants with matched people who had the same employment and benefit "
            "history, after referral, with regression adjustment. Differencing from each person's level before "
            "referral invites regression to the mean when people are matched on that level, and an unmatched "
            "comparison ignores who takes part; they are shown for comparison only. Simulations with a fall in "
            "employment before referral and unrecorded differences between people, documented in the method "
            "notes, show why the headline method was chosen."
        ),
        bullets(
            [
                "When the methods disagree by more than their intervals allow, the result depends on assumptions "
                "that the data cannot check; read the headline with more caution."
            ]
        ),
        ctx.numbering.table(
            shown,
            index=True,
            title=f"Effect on the chance of being in work by method, {ctx.name}",
            note="Percentage points; every method uses the same participants and comparison pool.",
        ),
    ]


def design_check_sentences(found) -> list[str]:
    """What a design check (`evaluation.design_check.DesignCheck`) found, in words, from its table."""
    table = found.table.set_index("scenario")
    out = [
        f"{found.draws} simulated programmes of {found.n_pseudo} pseudo-participants drawn from the comparison pool "
        f"to resemble the participants of {found.activity_id}; effect measured {found.horizon} months after "
        "(pseudo-)referral. Figures in brackets are Monte Carlo standard errors."
    ]
    if "zero" in table.index:
        zero = table.loc["zero"]
        out.append(
            f"With no effect, the estimate was off by {_pp(zero['bias'])} percentage points on average "
            f"({100 * zero['bias_mc_se']:.1f}); {100 * zero['significant']:.0f}% ({100 * zero['significant_mc_se']:.0f}) "
            "of draws found a significant effect, and "
            f"{100 * zero['published_significant']:.0f}% ({100 * zero['published_significant_mc_se']:.0f}) would have "
            "published one after the falsification checks (the target is at most 10%)."
        )
    if "effect" in table.index:
        effect = table.loc["effect"]
        relative = effect["bias"] / effect["mean_truth"] if effect["mean_truth"] else float("nan")
        out.append(
            f"With a true effect of {_pp(effect['mean_truth'])} percentage points, the estimate was off by "
            f"{_pp(effect['bias'])} points on average ({100 * effect['bias_mc_se']:.1f}), "
            f"{100 * relative:+.0f}% of the effect; 95% intervals covered the truth in {100 * effect['coverage']:.0f}% "
            f"({100 * effect['coverage_mc_se']:.0f}) of draws (the target is 90-98%), and "
            f"{100 * effect['published']:.0f}% of verdicts passed the falsification checks."
        )
    out.append(
        "What this cannot show: pseudo-participants are chosen on what the data record, so the check says whether "
        "the method works when selection is on recorded history; the placebo referrals in each impact report test "
        "for differences the data do not record."
    )
    return out
