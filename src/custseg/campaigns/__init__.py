"""Campaigns (SPEC §8): holdout draw, action log, KPIs with exact definitions, and the
evaluation of treated versus holdout customers with 95% confidence intervals."""

from custseg.campaigns.evaluate import diagnose, evaluate_kpis
from custseg.campaigns.holdout import draw, objectors
from custseg.campaigns.kpis import KPIS, arm_stats, outcomes
from custseg.campaigns.targets import Target, parse_share, parse_target

__all__ = ["KPIS", "Target", "arm_stats", "diagnose", "draw", "evaluate_kpis", "objectors",
           "outcomes", "parse_share", "parse_target"]
