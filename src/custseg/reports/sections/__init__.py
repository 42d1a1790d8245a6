"""The report's sections, one module per stage, found here without a list to maintain.

Every module in this package that defines ``KEY`` (its anchor and the stem of its labels),
``ORDER`` (its place in the report), ``TITLE`` (a `custseg.i18n.MESSAGES` key) and
``build(ctx) -> Section | None`` is a section. ``None`` means the stage did not run: the
report then shows the one-line note ``report_missing_<KEY>`` instead of empty charts, or,
for a module with ``FROM_RUNS = True`` (it shows stored runs) in a report of one selected
run (``--run``), the note that the selected run does not hold it. A later stage adds its
section by adding a module, without touching the others.
"""

from __future__ import annotations

import importlib
import pkgutil
from types import ModuleType

from custseg.errors import CustsegError
from custseg.reports.section import Section, Skipped


def modules() -> list[ModuleType]:
    """The section modules in report order."""
    found = [importlib.import_module(f"{__name__}.{info.name}")
             for info in pkgutil.iter_modules(__path__) if not info.name.startswith("_")]
    return sorted((m for m in found if callable(getattr(m, "build", None))),
                  key=lambda m: m.ORDER)


def build_sections(ctx) -> list[Section | Skipped]:
    """Build every section; a stage that did not run (or cannot be shown) becomes `Skipped`."""
    out: list[Section | Skipped] = []
    for module in modules():
        title = ctx.t(module.TITLE)
        try:
            section = module.build(ctx)
        except CustsegError as exc:  # e.g. a run whose data was removed: say so, go on
            out.append(Skipped(module.KEY, title, str(exc)))
            continue
        if section is None:
            note = (ctx.t("report_not_in_run", run=ctx.run_id)
                    if ctx.selected is not None and getattr(module, "FROM_RUNS", False)
                    else ctx.t(f"report_missing_{module.KEY}"))
            section = Skipped(module.KEY, title, note)
        out.append(section)
    return out
