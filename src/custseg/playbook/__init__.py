"""The strategy playbook (SPEC §7): one row per segment with direction, measures, owner,
budget note and KPI targets, built from the defaults and ``[playbook]`` in custseg.toml."""

from custseg.playbook.defaults import DEFAULTS
from custseg.playbook.table import Measure, Strategy, build_playbook, problems, records

__all__ = ["DEFAULTS", "Measure", "Strategy", "build_playbook", "problems", "records"]
