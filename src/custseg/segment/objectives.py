"""Objective presets (SPEC §1.1): an analyst's goal chooses the model and its dimensions.

====================  ============  ===================================================
objective             model         why
====================  ============  ===================================================
repurchase-high-value rfm-rules     value (M) and behaviour (R, F) in the seed's rules
cut-churn             lifecycle     declining and lost stages from R and the change of F
launch-product        value-matrix  historic LTV × recency: recent, valuable buyers first
allocate-service      tiers (vip)   top 10 % by value get dedicated service staff
====================  ============  ===================================================

An explicit model wins over the objective, with a note saying so.

>>> choice = choose("cut-churn")
>>> choice.model, choice.text("en")  # doctest: +ELLIPSIS
('lifecycle', 'objective cut-churn → lifecycle: ...')
>>> choose("cut-churn", model="tiers").text("en")  # doctest: +ELLIPSIS
'--model tiers wins over --objective cut-churn (which would choose lifecycle)'
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from custseg.errors import CustsegError
from custseg.segment.rules import suggest


@dataclass(frozen=True)
class Objective:
    """A goal: the model it chooses, ``[segmentation]`` overrides, and why (zh, en)."""

    model: str
    why: tuple[str, str]
    overrides: dict[str, dict[str, Any]] = field(default_factory=dict)


OBJECTIVES: dict[str, Objective] = {
    "repurchase-high-value": Objective(
        "rfm-rules", ("按价值 (M) 与行为 (R, F) 的种子规则找出核心忠诚与稳定普通客户，"
                      "作为复购提升对象",
                      "the seed's rules on value (M) and behaviour (R, F) find the core loyal "
                      "and stable regular customers to raise repurchase")),
    "cut-churn": Objective(
        "lifecycle", ("生命周期按最近购买与购买频次变化标出衰退与流失客户",
                      "lifecycle stages flag declining and lost customers from recency and "
                      "the change in purchase frequency")),
    "launch-product": Objective(
        "value-matrix", ("价值 × 活跃矩阵（历史价值 × 最近购买）：近期购买的高价值客户优先试新",
                         "value × activity matrix (historic LTV × recency): recent, valuable "
                         "buyers are the first audience of a launch"),
        {"value_matrix": {"value": "ltv_historic", "activity": "recency_days"}}),
    "allocate-service": Objective(
        "tiers", ("VIP / 普通 / 潜力分级：按价值前 10% 配置专属服务人员",
                  "VIP / regular / potential tiers: the top 10 % by value get dedicated "
                  "service staff"),
        {"tiers": {"variant": "vip"}}),
}


@dataclass(frozen=True)
class Choice:
    """The model to run, the settings to run it with, and the one line that explains it."""

    objective: str
    model: str
    overrides: dict[str, dict[str, Any]]
    explicit: bool = False

    def text(self, lang: str = "zh") -> str:
        goal = OBJECTIVES[self.objective]
        if self.explicit:
            return (f"--model {self.model} 优先于 --objective {self.objective}"
                    f"（该目标会选择 {goal.model}）" if lang == "zh" else
                    f"--model {self.model} wins over --objective {self.objective} "
                    f"(which would choose {goal.model})")
        why = goal.why[0 if lang == "zh" else 1]
        head = "目标" if lang == "zh" else "objective"
        return f"{head} {self.objective} → {self.model}: {why}"

    def apply(self, segmentation: Any) -> Any:
        """``[segmentation]`` settings with this choice's model and overrides."""
        update: dict[str, Any] = {"model": self.model}
        for key, values in self.overrides.items():
            if key in type(segmentation).model_fields:
                update[key] = getattr(segmentation, key).model_copy(update=values)
        return segmentation.model_copy(update=update)


def choose(objective: str, model: str | None = None) -> Choice:
    """The choice for ``objective``; an explicit ``model`` wins, without overrides."""
    if objective not in OBJECTIVES:
        raise CustsegError(f"unknown objective {objective!r}{suggest(objective, OBJECTIVES)}; "
                           f"objectives: {', '.join(OBJECTIVES)}")
    if model is not None:
        return Choice(objective, model, {}, explicit=True)
    goal = OBJECTIVES[objective]
    return Choice(objective, goal.model, goal.overrides)
