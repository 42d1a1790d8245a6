"""Per-customer features (SPEC §5) as Ibis expressions; see `customer_features`."""

from custseg.features.orders import add_months
from custseg.features.table import FEATURES, customer_features

__all__ = ["FEATURES", "add_months", "customer_features"]
