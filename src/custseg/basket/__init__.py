"""Association rules (SPEC §5): which items, brands or categories are bought together.

Pure logic over Ibis tables: `basket_lines` turns orders and order lines into baskets,
`custseg.basket.counting` counts frequent items, pairs and triples in the engine,
`custseg.basket.fpgrowth` finds deeper itemsets on small data, and `custseg.basket.rules`
turns itemsets into rules with support, confidence, lift, leverage and conviction, overall
and per segment. `custseg.basket_runs` runs and stores them.
"""

from custseg.basket.baskets import BASKET_KINDS, LEVELS, PERIODS, SEP, basket_lines, with_segments
from custseg.basket.counting import (
    basket_sizes,
    count_itemsets,
    item_counts,
    pair_counts,
    triple_counts,
)
from custseg.basket.rules import (
    RULE_COLUMNS,
    candidates_of,
    compare_overall,
    needed_keys,
    rule_candidates,
    rule_metrics,
)

__all__ = [
    "BASKET_KINDS", "LEVELS", "PERIODS", "RULE_COLUMNS", "SEP", "basket_lines", "basket_sizes",
    "candidates_of", "compare_overall", "count_itemsets", "item_counts", "needed_keys",
    "pair_counts", "rule_candidates", "rule_metrics", "triple_counts", "with_segments",
]
