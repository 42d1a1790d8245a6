"""What every section reads from: the project, the language and the runs the report shows.

A report shows either the runs of one pipeline run (``--run`` with a pipeline run id), one
stored segmentation or predict run (``--run`` with its id), or, by default, the latest
segmentation run of every model and the latest predict run. Data comes only through the
Python API (`custseg.pipeline.Project`, `custseg.snapshots`) and the `custseg.io` readers.
"""

from __future__ import annotations

from datetime import date
from functools import cached_property

from custseg import snapshots
from custseg.errors import CustsegError
from custseg.features import FEATURES
from custseg.i18n import t
from custseg.io import basket_store
from custseg.reports import format as fmt

LANGS = ("zh", "en")


class ReportContext:
    """The project, language and selected runs of one report (or workbook).

    Parameters
    ----------
    project
        An open `custseg.pipeline.Project`.
    lang
        ``zh`` or ``en``; default ``[report] language``, then ``[project] language``.
    run_id
        A pipeline, segmentation or predict run to show instead of the latest runs.
    """

    def __init__(self, project, *, lang: str | None = None, run_id: str | None = None):
        settings = project.settings
        report = getattr(settings, "report", None)
        self.lang = lang or getattr(report, "language", None) or settings.project.language
        if self.lang not in LANGS:
            raise CustsegError(f"--lang {self.lang!r}: choose zh or en")
        self.project = project
        self.con = project.connect()
        self.run_id = run_id
        if run_id is not None:
            self.selected  # noqa: B018 -- fail early on an unknown run id

    def t(self, key: str, **values) -> str:
        """The label ``key`` in the report's language, with ``{placeholders}`` filled."""
        text = t(key, self.lang)
        return text.format(**values) if values else text

    def cell(self, value) -> str:
        return fmt.cell(value, self.lang)

    def reveal(self, value):
        """A stored value decrypted when personal data is encrypted at rest (hidden without
        the key); callers mask it before it leaves the database."""
        privacy = getattr(self.project, "privacy", None)
        return privacy.reveal(value) if privacy is not None else value

    def feature_text(self, name: str) -> str:
        """What a feature means, in the report's language (`custseg.features.FEATURES`)."""
        labels = FEATURES.get(name)
        return labels[0 if self.lang == "zh" else 1] if labels else name

    @cached_property
    def runs(self) -> list[dict]:
        """Every stored run, newest first (`custseg.snapshots.list_runs`)."""
        return snapshots.list_runs(self.con)

    @cached_property
    def selected(self) -> dict | None:
        """The run chosen with ``--run`` (with its config), or None."""
        return snapshots.get_run(self.con, self.run_id) if self.run_id else None

    def _chosen_ids(self, kind: str) -> list[str]:
        run = self.selected
        if run["kind"] == "pipeline":
            steps = run["config"].get("steps", [])
            ids = {r["run_id"]: r["kind"] for r in self.runs}
            return [s["run_id"] for s in steps if ids.get(s.get("run_id")) == kind]
        return [run["run_id"]] if run["kind"] == kind else []

    @cached_property
    def segment_runs(self) -> list[dict]:
        """Segmentation runs to show, oldest first, each with template 1 (``segments``)."""
        if self.selected is not None:
            ids = self._chosen_ids("segment")
        else:
            latest: dict[str, str] = {}
            for r in self.runs:
                if r["kind"] == "segment" and r["status"] == "done":
                    latest.setdefault(r["model"], r["run_id"])
            ids = list(latest.values())[::-1]
        return [snapshots.get_run(self.con, i) for i in ids]

    @cached_property
    def predict_run(self) -> dict | None:
        """The predict run to show (with its config), or None when none was stored."""
        if self.selected is not None:
            ids = self._chosen_ids("predict")
        else:
            ids = [r["run_id"] for r in self.runs
                   if r["kind"] == "predict" and r["status"] == "done"][:1]
        return snapshots.get_run(self.con, ids[0]) if ids else None

    @cached_property
    def basket_run_id(self) -> str | None:
        """The basket run to show: the selected one, else the latest; None when there is none."""
        if self.selected is not None:
            ids = self._chosen_ids("basket")
            return ids[0] if ids else None
        return basket_store.latest_basket_run(self.con)

    def shows(self, segment_run_id: str | None) -> bool:
        """Whether data made from segmentation run ``segment_run_id`` (a campaign's members)
        belongs in the report: always without ``--run``, else only for a shown run."""
        return self.selected is None or segment_run_id in {r["run_id"] for r in self.segment_runs}

    @cached_property
    def as_of(self) -> date | None:
        """The as-of date of the selected run; None means the latest order date."""
        run = self.selected
        return date.fromisoformat(run["as_of"]) if run and run["as_of"] else None

    @cached_property
    def has_orders(self) -> bool:
        return self.project.status()["tables"]["orders"] > 0

    @cached_property
    def structure(self) -> dict:
        """`Project.describe` as of the report's date (computed once per report)."""
        return self.project.describe(as_of=self.as_of)
