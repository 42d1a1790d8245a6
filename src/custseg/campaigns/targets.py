"""KPI targets of the playbook: a level the treated group must reach, or a lift over control.

Written as text in ``custseg.toml`` (``kpis = { repurchase_rate = "+10%" }``):

==========  ==============================  ================================================
text        kind                            met when
==========  ==============================  ================================================
``+10%``    ``relative_lift`` 0.10          treated / control − 1 ≥ 0.10
``+5pt``    ``lift`` 0.05                   treated − control ≥ 5 points (rates; also ``pp``)
``+20``     ``lift`` 20                     treated − control ≥ 20 in the KPI's unit
``>=20%``   ``level`` 0.20                  treated ≥ 20% (also ``≥20%``, or just ``20%``)
``>=4.5``   ``level`` 4.5                   treated ≥ 4.5 (also a bare number)
==========  ==============================  ================================================

>>> parse_target("+10%")
Target(kind='relative_lift', value=0.1, text='+10%')
>>> parse_target("≥ 20%").met(0.22, 0.15)
True
>>> parse_target("+5pt").met(0.22, 0.20)
False
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from custseg.errors import CustsegError

_TARGET = re.compile(r"^(?P<op>\+|>=|≥)?\s*(?P<num>-?\d+(?:\.\d+)?)\s*(?P<unit>%|pt|pp)?$")
KINDS = ("level", "lift", "relative_lift")


@dataclass(frozen=True)
class Target:
    """``kind`` (`KINDS`), ``value`` (a fraction for percentages) and the text it came from."""

    kind: str
    value: float
    text: str

    def measure(self, treated: float | None, control: float | None) -> float | None:
        """The figure compared with ``value``: the level, the lift or the relative lift."""
        if treated is None or (self.kind != "level" and control is None):
            return None
        if self.kind == "level":
            return treated
        if self.kind == "lift":
            return treated - control
        return treated / control - 1 if control else None

    def met(self, treated: float | None, control: float | None) -> bool | None:
        """Whether the point estimate reaches the target; None when it cannot be computed."""
        got = self.measure(treated, control)
        if got is None or (isinstance(got, float) and math.isnan(got)):
            return None
        return bool(got >= self.value - 1e-12)

    def describe(self, lang: str = "en") -> str:
        """``≥ 20%``, ``+10% vs control`` (较对照组 +10%), ``+5 pt vs control``."""
        pct = self.text.rstrip().endswith(("%", "pt", "pp"))
        number = f"{self.value * 100:g}" if pct else f"{self.value:g}"
        if self.kind == "level":
            return f"≥ {number}{'%' if pct else ''}"
        lift = f"+{number}%" if self.kind == "relative_lift" else f"+{number}{' pt' * pct}"
        return f"较对照组 {lift}" if lang == "zh" else f"{lift} vs control"


def parse_target(text: str | float | int, *, where: str = "target") -> Target:
    """Read a target written as in the table above; ``where`` names it in the error."""
    if isinstance(text, bool):
        raise CustsegError(f"{where}: {text!r} is not a target; write e.g. \"+10%\" or \">=20%\"")
    if isinstance(text, int | float):
        return Target("level", float(text), str(text))
    m = _TARGET.match(str(text).strip().lower())
    if not m:
        raise CustsegError(f"{where}: {text!r} is not a target; write \"+10%\" (relative lift "
                           "over control), \"+5pt\" (lift in points), \">=20%\" (level) or a "
                           "number")
    number = float(m["num"]) / (100 if m["unit"] else 1)
    if m["op"] == "+":
        kind = "relative_lift" if m["unit"] == "%" else "lift"
    else:
        if m["unit"] in ("pt", "pp"):
            raise CustsegError(f"{where}: {text!r}: points (pt) describe a lift; write "
                               f"\"+{m['num']}pt\" or \">={m['num']}%\"")
        kind = "level"
    return Target(kind, number, str(text).strip())


def parse_share(text: str | float, *, where: str = "--holdout") -> float:
    """A share written as ``10%``, ``0.1`` or ``10``; must lie strictly between 0 and 1.

    >>> parse_share("10%"), parse_share("0.25"), parse_share(20)
    (0.1, 0.25, 0.2)
    """
    raw = str(text).strip()
    try:
        value = float(raw.rstrip("%"))
    except ValueError:
        raise CustsegError(f"{where}: {text!r} is not a share; write e.g. 10% or 0.1") from None
    if raw.endswith("%") or value >= 1:
        value /= 100
    if not 0 < value < 1:
        raise CustsegError(f"{where}: {text!r} must be between 0% and 100% (exclusive)")
    return value
