"""Segmentation runs compute only the features their model reads."""

from datetime import date

from custseg.pipeline import Project
from custseg.runs import SNAPSHOT_FEATURES, used_features
from custseg.segment import RFMRules, RFMScores
from custseg.segment.tiers import Tiers

AS_OF = date(1998, 6, 30)


def test_rule_models_prune_to_their_features_and_assign_as_on_the_full_table(
        cdnow_project_dir):
    with Project.open(cdnow_project_dir) as project:
        con = project.connect()
        full = project.features(as_of=AS_OF)
        for model in (RFMRules(), RFMScores()):
            lean = used_features(full, model)
            assert set(lean.columns) == {"customer_id", *model.required_features(),
                                         *SNAPSHOT_FEATURES}
            assert len(lean.columns) < len(full.columns)
            on_full = con.execute(model.fit(full).assign(full).select(
                "customer_id", "segment_id").order_by("customer_id"))
            on_lean = con.execute(model.fit(lean).assign(lean).select(
                "customer_id", "segment_id").order_by("customer_id"))
            assert on_full.equals(on_lean)


def test_models_that_declare_nothing_and_unknown_features_keep_every_column(
        cdnow_project_dir):
    with Project.open(cdnow_project_dir) as project:
        full = project.features(as_of=AS_OF)
        assert used_features(full, Tiers()).columns == full.columns
        typo = RFMRules(rules=[{"id": "X", "name_en": "x", "conditions": {"frequncy": 1}}])
        assert used_features(full, typo).columns == full.columns


def test_stored_features_are_the_models_plus_the_snapshot_set(cdnow_project_dir):
    with Project.open(cdnow_project_dir) as project:
        run = project.segment("rfm-rules", as_of=AS_OF)
        stored = project.sql(f"SELECT * FROM features WHERE run_id = '{run.run_id}'")
        non_null = [c for c in stored.columns
                    if project.connect().execute(stored[c].notnull().any())]
        assert set(non_null) >= {"run_id", "customer_id", "as_of", "registration_date",
                                 *SNAPSHOT_FEATURES} - {"aov"}
        assert "order_days" not in non_null
